"""Style B: one threading.Condition (waiters sleep on it, owners notify_all), pending
texts map to a shared per-batch job record, and LRU order is kept by dict re-insertion."""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any


class _Job:
    """The texts of one embed_fn batch of one call (done / failed together)."""

    __slots__ = ("texts", "done", "error", "vectors")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.done = False
        self.error: BaseException | None = None
        self.vectors: dict[str, Any] = {}


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
            if type(value) is bool or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1")
        if type(ttl_s) is bool or not isinstance(ttl_s, numbers.Real):
            raise ValueError("ttl_s must be a number > 0")
        if math.isnan(ttl_s) or ttl_s <= 0:
            raise ValueError("ttl_s must be a number > 0")
        self._embed = embed_fn
        self._capacity = capacity
        self._ttl = ttl_s
        self._max_batch = max_batch_size
        self._clock = clock
        self._cond = threading.Condition()
        self._store: dict[str, tuple[Any, float]] = {}  # insertion order == recency order
        self._pending: dict[str, _Job] = {}

    def get(self, text: str) -> Any:
        return self.get_many([text])[0]

    def _put(self, text: str, vector: Any, stored: float) -> None:
        self._store.pop(text, None)
        self._store[text] = (vector, stored)
        while len(self._store) > self._capacity:
            del self._store[next(iter(self._store))]

    def get_many(self, texts: Sequence[str]) -> list[Any]:
        texts = list(texts)
        out: dict[str, Any] = {}
        misses: list[str] = []
        waited: dict[str, _Job] = {}
        with self._cond:
            now = self._clock()
            seen: set[str] = set()
            for text in texts:
                if text in seen:
                    continue
                seen.add(text)
                hit = self._store.pop(text, None)
                if hit is not None and now < hit[1] + self._ttl:
                    self._store[text] = hit  # re-insert: most recently used
                    out[text] = hit[0]
                    continue
                job = self._pending.get(text)
                if job is not None:
                    waited[text] = job
                else:
                    misses.append(text)
            jobs = [
                _Job(misses[i : i + self._max_batch])
                for i in range(0, len(misses), self._max_batch)
            ]
            for job in jobs:
                for text in job.texts:
                    self._pending[text] = job

        failure: BaseException | None = None
        for index, job in enumerate(jobs):
            try:
                result = self._embed(list(job.texts))
                if not hasattr(result, "__len__") or len(result) != len(job.texts):
                    raise ValueError("embed_fn returned the wrong number of vectors")
            except BaseException as exc:
                failure = exc
                with self._cond:
                    for failed in jobs[index:]:
                        failed.error = exc
                        failed.done = True
                        for text in failed.texts:
                            if self._pending.get(text) is failed:
                                del self._pending[text]
                    self._cond.notify_all()
                break
            stored = self._clock()
            with self._cond:
                for i, text in enumerate(job.texts):
                    vector = result[i]
                    job.vectors[text] = vector
                    out[text] = vector
                    self._put(text, vector, stored)
                    if self._pending.get(text) is job:
                        del self._pending[text]
                job.done = True
                self._cond.notify_all()
        if failure is not None:
            raise failure

        if waited:
            with self._cond:
                for text, job in waited.items():
                    while not job.done:
                        self._cond.wait()
                    if job.error is not None:
                        raise job.error
                    out[text] = job.vectors[text]

        return [out[text] for text in texts]
