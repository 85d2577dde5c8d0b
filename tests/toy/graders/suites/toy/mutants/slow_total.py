# kills: test_hidden.py::test_total_speed
# breaks: R3


def add(a, b):
    return a + b


def total(xs):
    out = 0
    for x in xs:
        for _ in range(20):
            pass
        out += x
    return out
