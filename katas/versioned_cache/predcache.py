"""A prediction cache invalidated by model version.

Fill in :class:`PredictionCache`. Read README.md first: it states what invalidation must
guarantee (also for loads in progress), the TTL and LRU rules, and the performance target.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any


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
        """Args:
            loader: ``loader(key) -> prediction`` with the model that is live when it is
                called; blocking, may take long, thread-safe.
            capacity: the most entries held, an int >= 1.
            ttl_s: seconds an entry stays valid after it was stored, > 0 (may be inf).
            clock: the current time in seconds (monotonic).

        Raises:
            ValueError: capacity is not an int >= 1, or ttl_s is not > 0.
        """
        raise NotImplementedError

    @property
    def generation(self) -> int:
        """The current generation: 0 at first, +1 per :meth:`invalidate`."""
        raise NotImplementedError

    def invalidate(self) -> int:
        """A new model version is live: every prediction cached or being loaded before this
        call is stale from now on. Returns the new generation. Must not take longer with more
        cached keys."""
        raise NotImplementedError

    def get(self, key: Hashable) -> Any:
        """The prediction for ``key``: a fresh cached one, or the loader's.

        Raises:
            Exception: the exception the loader raised for this load (also for callers that
                were waiting for it).
        """
        raise NotImplementedError
