# kills: test_hidden.py::test_add
# breaks: R1
def add(a, b):
    return a + b + (a == 0)


def total(xs):
    return sum(xs)
