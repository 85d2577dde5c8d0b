"""Public examples for token_bucket: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

from fractions import Fraction

import fakeredis
import pytest
from ratelimit import RedisTokenBucket, SlidingWindowLimiter, Tier, TokenBucket


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_burst_then_refill():
    """A full bucket of 3 grants 3, refuses the 4th, and refills 2 tokens per second."""
    clock = FakeClock(100.0)
    bucket = TokenBucket(3, 2, clock)
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
    clock.t += 0.25  # half a token
    assert bucket.try_acquire() is False
    assert bucket.tokens() == Fraction(1, 2)
    clock.t += 0.25  # one token
    assert bucket.try_acquire() is True
    clock.t += 60.0  # never more than capacity
    assert bucket.tokens() == 3


def test_multi_token_requests():
    """try_acquire(n) takes n tokens or none."""
    bucket = TokenBucket(10, Fraction(1, 3), FakeClock())
    assert bucket.try_acquire(7) is True
    assert bucket.try_acquire(4) is False
    assert bucket.tokens() == 3
    with pytest.raises(ValueError):
        bucket.try_acquire(11)


def test_sliding_window():
    """At most `limit` units per window; near the end of the next window almost the whole
    limit is available again."""
    clock = FakeClock(10.0)  # window [10, 20) of length 10
    limiter = SlidingWindowLimiter(4, 10, clock)
    assert [limiter.try_acquire() for _ in range(5)] == [True] * 4 + [False]
    assert limiter.try_acquire(1) is False
    clock.t = 29.5  # 95% through [20, 30): estimate = 4 * 0.05 + 0 = 0.2
    assert limiter.try_acquire(3) is True
    with pytest.raises(ValueError):
        limiter.try_acquire(5)


def test_redis_bucket_per_user():
    """Each user has their own bucket with their tier's capacity; keys live under the prefix."""
    client = fakeredis.FakeRedis(decode_responses=True)
    limiter = RedisTokenBucket(client, "api:", {"free": Tier(2, 0.01), "pro": Tier(5, 1.0)})
    assert [limiter.acquire("ann", "free") for _ in range(3)] == [True, True, False]
    assert [limiter.acquire("ben", "pro") for _ in range(6)] == [True] * 5 + [False]
    assert all(key.startswith("api:") for key in client.keys("*"))
