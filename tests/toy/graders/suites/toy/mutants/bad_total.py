# kills: test_hidden.py::test_total
# breaks: R2
def add(a, b):
    return a + b


def total(xs):
    return sum(xs[1:])
