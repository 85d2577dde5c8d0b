"""Rate limiters for an ML inference API: token bucket, sliding window, Redis token bucket.

Fill in the three classes below. Read README.md first: it states the exact arithmetic, the
window rule, the Redis contract (one atomic script, the server's clock, keys under a prefix)
and the performance targets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, NamedTuple


class TokenBucket:
    """A thread-safe token bucket (Turner 1986; the algorithm of most API gateways).

    The bucket holds at most ``capacity`` tokens and starts full; tokens flow in continuously
    at ``refill_rate`` per second of ``clock``; a request for n tokens is granted, and takes
    them, iff the bucket holds at least n. Token counts are exact: as if computed with
    :class:`fractions.Fraction` from the clock's readings and ``Fraction(refill_rate)``, over
    any number of refills.
    """

    def __init__(
        self,
        capacity: int,
        refill_rate: int | float | Fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a full bucket.

        Args:
            capacity: the burst size, an int >= 1 (tokens).
            refill_rate: tokens per second, > 0 and finite (an int, float or Fraction; its
                exact value is used).
            clock: returns the current time in seconds (monotonic; float, int or Fraction).
                Read once here: the bucket is full at that reading.

        Raises:
            ValueError: capacity is not an int >= 1, or refill_rate is not a finite number > 0.
        """
        raise NotImplementedError

    def try_acquire(self, n: int = 1) -> bool:
        """Refill for the time elapsed since the last call, then take n tokens if there are
        at least n (return True), else take none (return False). Thread-safe.

        Raises:
            ValueError: n is not an int, n < 1, or n > capacity.
        """
        raise NotImplementedError

    def tokens(self) -> Fraction:
        """The exact number of tokens in the bucket now (after refilling), as a Fraction."""
        raise NotImplementedError


class SlidingWindowLimiter:
    """The sliding-window counter (as in Cloudflare's rate limiter): at most ``limit`` units
    per ``window_s`` seconds, estimated from two fixed windows.

    Fixed windows are ``[k * window_s, (k + 1) * window_s)`` on the clock's timeline. At time
    t in window k, with ``f = t / window_s - k`` (the elapsed fraction of window k), the
    estimate is ``previous * (1 - f) + current``, where current counts the units admitted in
    window k and previous those admitted in window k - 1 (0 if window k - 1 saw no call).
    """

    def __init__(
        self,
        limit: int,
        window_s: int | float | Fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Args:
            limit: units per window, an int >= 1.
            window_s: the window length in seconds, > 0 and finite.
            clock: returns the current time in seconds (monotonic).

        Raises:
            ValueError: limit is not an int >= 1, or window_s is not a finite number > 0.
        """
        raise NotImplementedError

    def try_acquire(self, n: int = 1) -> bool:
        """Admit n units iff ``estimate + n <= limit`` (exact arithmetic), counting them in
        the current window; a refused request counts nothing. Thread-safe.

        Raises:
            ValueError: n is not an int, n < 1, or n > limit.
        """
        raise NotImplementedError


class Tier(NamedTuple):
    """A pricing tier: bucket capacity (burst) and refill rate (tokens per second)."""

    capacity: int
    refill_rate: float


class RedisTokenBucket:
    """Per-user token buckets shared by every process of the API, stored in Redis.

    Each acquire is ONE atomic Lua script (``client.register_script``; EVALSHA), which reads
    the server's clock with ``redis.call('TIME')``, refills, takes the tokens and writes the
    bucket back: one round trip, and no other client can act between the read and the write.
    """

    def __init__(self, client: Any, prefix: str, tiers: Mapping[str, Tier]) -> None:
        """Args:
            client: a ``redis.Redis`` (or ``fakeredis.FakeRedis``), ``decode_responses=True``.
            prefix: every key this object writes starts with it.
            tiers: tier name -> Tier(capacity, refill_rate).

        Raises:
            ValueError: a tier's capacity is not an int >= 1 or its rate is not > 0.
        """
        raise NotImplementedError

    def acquire(self, user_id: str, tier: str, n: int = 1) -> bool:
        """Take n tokens from ``user_id``'s bucket, whose capacity and rate are those of
        ``tier``; True iff granted. Exactly one round trip to Redis (once the script is loaded).

        Raises:
            KeyError: unknown tier.
            ValueError: n is not an int, n < 1, or n > the tier's capacity.
        """
        raise NotImplementedError
