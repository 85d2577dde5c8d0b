"""Clocks that tests control, for katas whose API takes an injectable clock.

:class:`ManualClock` only moves when a test advances it, so TTL expiry, refill, windows and
deadlines are deterministic. It is thread-safe.
"""

from __future__ import annotations

import threading


class ManualClock:
    """A monotonic clock in seconds that moves only when told.

    ``clock()`` (or ``clock.now()``) returns the current time; ``advance(dt)`` moves it
    forward; ``sleep(dt)`` is ``advance`` for code that sleeps through an injected clock.

    Raises:
        ValueError: ``advance`` or ``sleep`` with a negative ``dt`` (time never goes back).
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    __call__ = now

    def advance(self, dt: float) -> float:
        if dt < 0:
            raise ValueError(f"a clock cannot go back (advance by {dt})")
        with self._lock:
            self._now += float(dt)
            return self._now

    def sleep(self, dt: float) -> None:
        self.advance(max(0.0, dt))
