"""Fixtures and oracles of the token_bucket hidden suite.

The oracles are exact and independent of any submission: a token bucket and a sliding-window
counter written with :class:`fractions.Fraction` straight from their definitions. Time comes
from :class:`graders.clocks.ManualClock`, advanced by dyadic steps (multiples of 2**-10 s) so
that every clock reading is exact.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from types import SimpleNamespace

import pytest

TICK = Fraction(1, 1024)  # s: the clock's step unit; every reading is an exact float


class OracleBucket:
    """The token bucket by definition, in Fractions."""

    def __init__(self, capacity: int, rate, t0) -> None:
        self.capacity = Fraction(capacity)
        self.rate = Fraction(rate)
        self.last = Fraction(t0)
        self.level = Fraction(capacity)

    def refill(self, t) -> None:
        t = Fraction(t)
        if t > self.last:
            self.level = min(self.capacity, self.level + (t - self.last) * self.rate)
            self.last = t

    def try_acquire(self, t, n: int = 1) -> bool:
        self.refill(t)
        if self.level >= n:
            self.level -= n
            return True
        return False


class OracleWindow:
    """The sliding-window counter by definition, in Fractions."""

    def __init__(self, limit: int, window) -> None:
        self.limit = limit
        self.window = Fraction(window)
        self.counts: dict[int, int] = {}

    def try_acquire(self, t, n: int = 1) -> bool:
        position = Fraction(t) / self.window
        k = math.floor(position)
        f = position - k
        estimate = self.counts.get(k - 1, 0) * (1 - f) + self.counts.get(k, 0)
        if estimate + n <= self.limit:
            self.counts[k] = self.counts.get(k, 0) + n
            return True
        return False


def yielding(clock):
    """A clock that gives the GIL away on every reading (``time.sleep(0)``), so threads
    interleave inside whatever the limiter does around its clock call."""

    def read():
        time.sleep(0)
        return clock()

    return read


def dyadic(rng, lo_ticks: int, hi_ticks: int) -> float:
    """A random exact duration in [lo, hi] ticks of 2**-10 s."""
    return float(int(rng.integers(lo_ticks, hi_ticks + 1)) * TICK)


@pytest.fixture(scope="session")
def tk():
    """The suite's helpers (hidden tests may not import conftest)."""
    return SimpleNamespace(
        OracleBucket=OracleBucket, OracleWindow=OracleWindow, yielding=yielding, dyadic=dyadic,
        TICK=TICK,
    )  # fmt: skip


@pytest.fixture
def processes(kata_session):
    """``processes(n)``: n new contestant sandboxes (each a fresh process running the
    submitted module), as the suite's inside.py in each; stopped when the test ends."""
    boxes = []

    def start(n: int) -> list:
        new = [kata_session.spawn(env={"PYTHONHASHSEED": str(i + 1)}) for i in range(n)]
        boxes.extend(new)
        return [box.endpoint.root("inside") for box in new]

    yield start
    for box in boxes:
        box.stop()
