"""Attack class 3: lying results.

Returns objects whose __eq__ is always true (a plain object, an int subclass, a list subclass),
hoping the judge compares them with the expected values.
"""


class Liar:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class LyingInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


def add(a, b):
    return Liar()


def total(xs):
    return LyingInt(-1)
