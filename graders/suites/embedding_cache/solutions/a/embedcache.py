"""Style A: one threading.Lock guarding an OrderedDict (LRU + stored time), and one
"future" per in-flight text (a threading.Event plus value/error) that other calls wait on."""

from __future__ import annotations

import numbers
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any


class _Future:
    __slots__ = ("event", "value", "error")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


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
        if not _is_int(capacity) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        if not _is_int(max_batch_size) or max_batch_size < 1:
            raise ValueError(f"max_batch_size must be an int >= 1, got {max_batch_size!r}")
        if isinstance(ttl_s, bool) or not isinstance(ttl_s, numbers.Real) or not ttl_s > 0:
            raise ValueError(f"ttl_s must be a number > 0, got {ttl_s!r}")
        self._embed = embed_fn
        self._capacity = capacity
        self._ttl = ttl_s
        self._batch = max_batch_size
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[Any, float]] = OrderedDict()  # LRU first
        self._inflight: dict[str, _Future] = {}

    def get(self, text: str) -> Any:
        return self.get_many([text])[0]

    def get_many(self, texts: Sequence[str]) -> list[Any]:
        texts = list(texts)
        found: dict[str, Any] = {}
        mine: list[tuple[str, _Future]] = []
        others: list[tuple[str, _Future]] = []
        with self._lock:
            now = self._clock()
            for text in dict.fromkeys(texts):  # distinct, first-occurrence order
                entry = self._cache.get(text)
                if entry is not None:
                    vector, stored = entry
                    if now < stored + self._ttl:
                        self._cache.move_to_end(text)
                        found[text] = vector
                        continue
                    del self._cache[text]  # expired
                fut = self._inflight.get(text)
                if fut is not None:
                    others.append((text, fut))
                else:
                    fut = _Future()
                    self._inflight[text] = fut
                    mine.append((text, fut))

        # Compute this call's misses, max_batch_size at a time, holding no lock.
        for start in range(0, len(mine), self._batch):
            batch = mine[start : start + self._batch]
            try:
                vectors = self._embed([text for text, _ in batch])
                try:
                    count = len(vectors)
                except TypeError:
                    count = -1
                if count != len(batch):
                    raise ValueError(
                        f"embed_fn returned {count} vectors for {len(batch)} texts"
                    )
            except BaseException as exc:
                with self._lock:  # this batch and the later ones: fail, store nothing
                    for text, fut in mine[start:]:
                        if self._inflight.get(text) is fut:
                            del self._inflight[text]
                        fut.error = exc
                for _, fut in mine[start:]:
                    fut.event.set()
                raise
            stored = self._clock()
            with self._lock:
                for i, (text, fut) in enumerate(batch):
                    vector = vectors[i]
                    fut.value = vector
                    found[text] = vector
                    self._cache[text] = (vector, stored)
                    self._cache.move_to_end(text)
                    if self._inflight.get(text) is fut:
                        del self._inflight[text]
                    while len(self._cache) > self._capacity:
                        self._cache.popitem(last=False)
            for _, fut in batch:
                fut.event.set()

        # Then wait for the texts other calls are computing.
        for text, fut in others:
            fut.event.wait()
            if fut.error is not None:
                raise fut.error
            found[text] = fut.value

        return [found[text] for text in texts]
