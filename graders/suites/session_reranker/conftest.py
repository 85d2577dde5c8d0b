"""Fixtures of the session_reranker hidden suite: the modules and a brute-force oracle."""

import math

import numpy as np
import pytest


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
