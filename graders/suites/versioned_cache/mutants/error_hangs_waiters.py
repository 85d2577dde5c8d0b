# kills: test_correctness.py::test_loader_error_reaches_waiters_and_is_not_cached
"""Mutant: when the loader raises, the waiters of that load are never woken."""


from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class _Flight:
    """One load in progress, under generation ``gen``."""

    __slots__ = ("gen", "done", "value", "error")

    def __init__(self, gen: int) -> None:
        self.gen = gen
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class PredictionCache:
    """LRU + TTL prediction cache with O(1) generation invalidation and single-flight loads."""

    def __init__(
        self,
        loader: Callable[[Hashable], Any],
        capacity: int,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        if isinstance(ttl_s, bool) or not isinstance(ttl_s, (int, float)):
            raise ValueError(f"ttl_s must be a number > 0, got {ttl_s!r}")
        if math.isnan(ttl_s) or ttl_s <= 0:
            raise ValueError(f"ttl_s must be > 0, got {ttl_s!r}")
        self._loader = loader
        self._capacity = capacity
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._generation = 0
        # key -> (value, generation, stored_at); most recently used last
        self._entries: OrderedDict[Hashable, tuple[Any, int, float]] = OrderedDict()
        self._inflight: dict[Hashable, _Flight] = {}

    @property
    def generation(self) -> int:
        """The current generation: 0 at first, +1 per invalidate()."""
        return self._generation

    def invalidate(self) -> int:
        """Make every entry stale (a new model version is live); O(1). Returns the new
        generation."""
        with self._lock:
            self._generation += 1
            return self._generation

    def get(self, key: Hashable) -> Any:
        """The cached prediction for ``key``, or the loader's (one load per key and
        generation, shared by concurrent callers)."""
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            if entry is not None:
                value, gen, stored_at = entry
                if gen == self._generation and now - stored_at < self._ttl:
                    self._entries.move_to_end(key)
                    return value
                del self._entries[key]  # stale or expired
            flight = self._inflight.get(key)
            owner = flight is None or flight.gen != self._generation
            if owner:
                flight = _Flight(self._generation)
                self._inflight[key] = flight
        if not owner:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            value = self._loader(key)
        except Exception as exc:
            with self._lock:
                if self._inflight.get(key) is flight:
                    del self._inflight[key]
            raise
        with self._lock:
            if self._inflight.get(key) is flight:
                del self._inflight[key]
            if flight.gen == self._generation:  # an older generation's result is not stored
                self._entries[key] = (value, flight.gen, self._clock())
                self._entries.move_to_end(key)
                while len(self._entries) > self._capacity:
                    self._entries.popitem(last=False)
        flight.value = value
        flight.done.set()
        return value
