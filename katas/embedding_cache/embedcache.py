"""An embedding service front: LRU + TTL cache, request coalescing, batched model calls.

Fill in :class:`EmbeddingCache`. Read README.md first: it states the exact recency and expiry
rules, how concurrent calls share work, and what happens when the model fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any


class EmbeddingCache:
    """LRU + TTL cache in front of a batched embedding model, with request coalescing.

    Thread-safe: any number of threads may call :meth:`get_many` at once. While one call
    computes a text, other calls needing that text wait for its result (Go's singleflight);
    the model never sees a text twice in one batch.
    """

    def __init__(
        self,
        embed_fn: Callable[[list[str]], Sequence[Any]],
        capacity: int,
        ttl_s: float,
        max_batch_size: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Args:
            embed_fn: ``embed_fn(texts: list[str]) -> vectors`` with ``len(vectors) ==
                len(texts)``; blocking, may take long, thread-safe.
            capacity: the most entries the cache holds, an int >= 1.
            ttl_s: seconds an entry stays valid after it was stored, > 0 (may be inf).
            max_batch_size: the most texts per embed_fn call, an int >= 1.
            clock: the current time in seconds (monotonic).

        Raises:
            ValueError: capacity or max_batch_size is not an int >= 1, or ttl_s is not > 0.
        """
        raise NotImplementedError

    def get_many(self, texts: Sequence[str]) -> list[Any]:
        """The embeddings of ``texts``, in order (a repeated text gets the same vector).

        Raises:
            Exception: the exception embed_fn raised for a text this call needs (also when a
                concurrent call was computing it); ValueError when embed_fn returned the wrong
                number of vectors.
        """
        raise NotImplementedError

    def get(self, text: str) -> Any:
        """The embedding of one text: ``get_many([text])[0]``."""
        raise NotImplementedError
