"""Style A: one threading.Lock, an OrderedDict for LRU order, and per-load "flight" objects
each carrying a threading.Event (single flight keyed by key + generation)."""

from __future__ import annotations

import numbers
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


def _check_ttl(ttl_s: Any) -> float:
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, numbers.Real) or not ttl_s > 0:
        raise ValueError(f"ttl_s must be a number > 0, got {ttl_s!r}")  # NaN fails `> 0`
    return ttl_s


class _Flight:
    """One loader call in progress, shared by every caller that joins it."""

    __slots__ = ("gen", "done", "value", "error")

    def __init__(self, gen: int) -> None:
        self.gen = gen
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class PredictionCache:
    """LRU + TTL cache of model predictions with invalidation by model version and
    single-flight loading. Thread-safe.
    """

    def __init__(
        self,
        loader: Callable[[Hashable], Any],
        capacity: int,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        self._ttl = _check_ttl(ttl_s)
        self._loader = loader
        self._capacity = capacity
        self._clock = clock
        self._lock = threading.Lock()
        self._gen = 0
        # key -> (value, generation, stored_time); order = LRU first, MRU last
        self._entries: OrderedDict[Hashable, tuple[Any, int, float]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}

    @property
    def generation(self) -> int:
        return self._gen

    def invalidate(self) -> int:
        # O(1): entries and flights of older generations become stale lazily.
        with self._lock:
            self._gen += 1
            return self._gen

    def get(self, key: Hashable) -> Any:
        with self._lock:
            gen = self._gen
            entry = self._entries.get(key)
            if entry is not None:
                value, egen, stored = entry
                if egen == gen and self._clock() < stored + self._ttl:
                    self._entries.move_to_end(key)
                    return value
                del self._entries[key]  # stale or expired: drop it
            flight = self._flights.get(key)
            if flight is not None and flight.gen == gen:
                owner = False
            else:
                flight = _Flight(gen)
                self._flights[key] = flight
                owner = True

        if not owner:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value

        try:
            value = self._loader(key)
        except BaseException as exc:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
                flight.error = exc
            flight.done.set()
            raise

        stored = self._clock()
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]
            if self._gen == flight.gen:
                self._entries[key] = (value, flight.gen, stored)
                self._entries.move_to_end(key)
                while len(self._entries) > self._capacity:
                    self._entries.popitem(last=False)
            flight.value = value
        flight.done.set()
        return value
