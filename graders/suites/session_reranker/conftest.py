"""Fixtures of the session_reranker hidden suite: the modules and a brute-force oracle."""

import math

import numpy as np
import pytest

from graders.checks import assert_array


class BruteSession:
    """The statement's definitions written out: keep every accepted click, sum at query time."""

    def __init__(self, half_life_s, max_lateness_s):
        self.lam = math.log(2.0) / half_life_s
        self.lateness = max_lateness_s
        self.clicks: list[tuple[np.ndarray, float]] = []
        self.latest = None

    def click(self, e, t):
        if self.latest is not None and t < self.latest - self.lateness:
            return False
        self.clicks.append((np.asarray(e, dtype=np.float64), float(t)))
        self.latest = t if self.latest is None else max(self.latest, t)
        return True

    def intent(self, t, dim):
        out = np.zeros(dim)
        for e, ti in self.clicks:
            out += math.exp(-self.lam * (t - ti)) * e  # age >= 0: no overflow in the oracle
        return out


@pytest.fixture(scope="session")
def brute():
    """``brute(half_life_s, max_lateness_s)``: a :class:`BruteSession`."""
    return BruteSession


def _close(got, want, what: str, rule: str) -> None:
    """``got`` is a float64 ndarray of ``want``'s shape, within tolerance; else fail naming
    ``rule``."""
    try:
        assert_array(got, np.asarray(want, dtype=np.float64), what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {rule}") from None


@pytest.fixture(scope="session")
def close():
    """``close(got, want, what, rule)``: the array check, its message naming the rule."""
    return _close


@pytest.fixture(scope="module")
def drive(inside, sol):
    """The suite's drivers (inside.py) in the candidate's sandbox."""
    return inside(sol)
