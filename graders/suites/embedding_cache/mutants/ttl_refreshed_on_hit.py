# kills: test_correctness.py::test_ttl_expiry_boundary_and_no_refresh
"""Mutant: a hit restarts the entry's TTL, so a text read often enough is never recomputed."""


from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any


class _Flight:
    """One text being computed: the waiters block on ``done`` until value or error is set."""

    __slots__ = ("done", "value", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class EmbeddingCache:
    """LRU + TTL cache in front of a batched embedding model, with request coalescing."""

    def __init__(
        self,
        embed_fn: Callable[[list[str]], Sequence[Any]],
        capacity: int,
        ttl_s: float,
        max_batch_size: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (("capacity", capacity), ("max_batch_size", max_batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if isinstance(ttl_s, bool) or not isinstance(ttl_s, (int, float)):
            raise ValueError(f"ttl_s must be a number > 0, got {ttl_s!r}")
        if math.isnan(ttl_s) or ttl_s <= 0:
            raise ValueError(f"ttl_s must be > 0, got {ttl_s!r}")
        self._embed = embed_fn
        self._capacity = capacity
        self._ttl = ttl_s
        self._max_batch = max_batch_size
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[Any, float]] = OrderedDict()  # text -> (vec, t)
        self._inflight: dict[str, _Flight] = {}

    def get(self, text: str) -> Any:
        """The embedding of one text (``get_many([text])[0]``)."""
        return self.get_many([text])[0]

    def get_many(self, texts: Sequence[str]) -> list[Any]:
        """The embeddings of ``texts``, in order; each distinct missing text is computed once,
        by this call or by a concurrent one."""
        texts = list(texts)
        found: dict[str, Any] = {}
        waits: dict[str, _Flight] = {}
        mine: list[str] = []
        with self._lock:
            now = self._clock()
            for text in dict.fromkeys(texts):  # distinct, in first-occurrence order
                entry = self._entries.get(text)
                if entry is not None:
                    if now - entry[1] < self._ttl:
                        self._entries[text] = (entry[0], now)
                        self._entries.move_to_end(text)
                        found[text] = entry[0]
                        continue
                    del self._entries[text]  # expired: a miss
                flight = self._inflight.get(text)
                if flight is not None:
                    waits[text] = flight  # someone else computes it: wait for them
                else:
                    self._inflight[text] = _Flight()
                    mine.append(text)
        error = self._compute(mine, found)
        for text, flight in waits.items():
            flight.done.wait()
            if flight.error is not None and error is None:
                error = flight.error
            found[text] = flight.value
        if error is not None:
            raise error
        return [found[text] for text in texts]

    def _compute(self, mine: list[str], found: dict[str, Any]) -> BaseException | None:
        """Embed this call's texts batch by batch, store and publish them; on an error, fail
        this batch's and every later batch's flights with it and return it."""
        for start in range(0, len(mine), self._max_batch):
            batch = mine[start : start + self._max_batch]
            try:
                vectors = self._embed(list(batch))
                if len(vectors) != len(batch):
                    raise ValueError(
                        f"embed_fn returned {len(vectors)} vectors for {len(batch)} texts"
                    )
            except Exception as exc:  # noqa: BLE001 - raised to every caller of these texts
                with self._lock:
                    for text in mine[start:]:
                        flight = self._inflight.pop(text)
                        flight.error = exc
                        flight.done.set()
                return exc
            with self._lock:
                stored_at = self._clock()
                for text, vector in zip(batch, vectors, strict=True):
                    self._entries[text] = (vector, stored_at)
                    self._entries.move_to_end(text)
                    while len(self._entries) > self._capacity:
                        self._entries.popitem(last=False)  # least recently used
                    flight = self._inflight.pop(text)
                    flight.value = vector
                    flight.done.set()
                    found[text] = vector
        return None
