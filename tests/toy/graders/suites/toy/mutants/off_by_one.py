# kills: test_hidden.py::test_add
def add(a, b):
    return a + b + (a == 0)


def total(xs):
    return sum(xs)
