"""The bar of token_bucket's performance gate (baseline sandbox only): a plain exact token
bucket, as the statement asks for it and no more. Each clock reading is turned into an exact
integer ratio (``float.as_integer_ratio``), time is counted in units of the readings' common
denominator and tokens in units of 1/(denominator(rate) * that), so a refill is one integer
multiply-add under one lock; the unit is refined (lcm) when a reading needs a finer one.
"""

from __future__ import annotations

import math
import threading
from fractions import Fraction

from inside import drive_throughput


class PlainBucket:
    """An exact, thread-safe token bucket on integer counters."""

    def __init__(self, capacity: int, refill_rate, clock) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError("capacity must be an int >= 1")
        rate = Fraction(refill_rate)
        if rate <= 0:
            raise ValueError("refill_rate must be > 0")
        self.capacity = capacity
        self.num, self.den = rate.numerator, rate.denominator
        self.clock = clock
        self.lock = threading.Lock()
        self.last, self.q = clock().as_integer_ratio()  # float, int and Fraction have it
        self.unit = self.den * self.q
        self.level = capacity * self.unit

    def try_acquire(self, n: int = 1) -> bool:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= self.capacity:
            raise ValueError("n must be an int in [1, capacity]")
        with self.lock:
            p, q = self.clock().as_integer_ratio()
            if self.q % q:
                lcm = self.q * q // math.gcd(self.q, q)
                factor = lcm // self.q
                self.q, self.last = lcm, self.last * factor
                self.unit, self.level = self.unit * factor, self.level * factor
            now = p * (self.q // q)
            if now > self.last:
                self.level = min(self.capacity * self.unit,
                                 self.level + (now - self.last) * self.num)  # fmt: skip
                self.last = now
            need = n * self.unit
            if self.level >= need:
                self.level -= need
                return True
            return False


def throughput(capacity: int, rate, origin: float, n_calls: int, step: float) -> int:
    """The gate's timed loop on :class:`PlainBucket`."""
    return drive_throughput(PlainBucket, capacity, rate, origin, n_calls, step)
