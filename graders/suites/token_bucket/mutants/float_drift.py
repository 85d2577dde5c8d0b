# kills: test_bucket.py::test_long_run_exact_no_drift
"""Mutant: keeps tokens in a float and adds (now - last) * rate at every call: rounding accumulates over a long run."""


from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from numbers import Rational
from typing import Any, NamedTuple


def _exact_rate(refill_rate: Any) -> Fraction:
    if isinstance(refill_rate, bool) or not isinstance(refill_rate, (int, float, Rational)):
        raise ValueError(f"refill_rate must be a positive number, got {refill_rate!r}")
    if isinstance(refill_rate, float) and not math.isfinite(refill_rate):
        raise ValueError(f"refill_rate must be finite, got {refill_rate!r}")
    rate = Fraction(refill_rate)
    if rate <= 0:
        raise ValueError(f"refill_rate must be > 0, got {refill_rate!r}")
    return rate


def _check_capacity(capacity: Any, name: str = "capacity") -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise ValueError(f"{name} must be an int >= 1, got {capacity!r}")
    return capacity


def _check_n(n: Any, capacity: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if n > capacity:
        raise ValueError(f"n={n} exceeds the capacity {capacity}: it could never be granted")
    return n


class TokenBucket:
    """A thread-safe token bucket; float arithmetic."""

    def __init__(
        self,
        capacity: int,
        refill_rate: int | float | Fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = _check_capacity(capacity)
        self._rate = float(_exact_rate(refill_rate))
        self._clock = clock
        self._lock = threading.Lock()
        self._last = clock()
        self._tokens = float(capacity)

    def _refill(self) -> None:
        now = self._clock()
        if now > self._last:
            self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
            self._last = now

    def try_acquire(self, n: int = 1) -> bool:
        _check_n(n, self._capacity)
        with self._lock:
            self._refill()
            if self._tokens >= n:
                self._tokens -= n
                return True
            return False

    def tokens(self) -> Fraction:
        with self._lock:
            self._refill()
            return Fraction(self._tokens)


class SlidingWindowLimiter:
    """Sliding-window counter: at most ``limit`` units per ``window_s``, estimated from the
    current and the previous fixed window (windows are [k*W, (k+1)*W) on the clock)."""

    def __init__(
        self,
        limit: int,
        window_s: int | float | Fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = _check_capacity(limit, "limit")
        if isinstance(window_s, bool) or not isinstance(window_s, (int, float, Rational)):
            raise ValueError(f"window_s must be a positive number, got {window_s!r}")
        if isinstance(window_s, float) and not math.isfinite(window_s):
            raise ValueError(f"window_s must be finite, got {window_s!r}")
        self._window = Fraction(window_s)
        if self._window <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s!r}")
        self._clock = clock
        self._lock = threading.Lock()
        self._index: int | None = None  # the current window's index
        self._current = 0
        self._previous = 0

    def _roll(self) -> Fraction:
        """Move to the window of now; return the elapsed fraction of that window."""
        position = Fraction(self._clock()) / self._window
        index = math.floor(position)
        if self._index is None or index > self._index:
            if self._index is not None and index == self._index + 1:
                self._previous = self._current
            else:  # first call, or a whole window (or more) without traffic
                self._previous = 0
            self._current = 0
            self._index = index
        return position - self._index

    def try_acquire(self, n: int = 1) -> bool:
        """Admit n units iff previous * (1 - elapsed fraction) + current + n <= limit."""
        _check_n(n, self._limit)
        with self._lock:
            elapsed = min(
                max(self._roll(), Fraction(0)), Fraction(1)
            )  # clamp a clock that went back
            estimate = self._previous * (1 - elapsed) + self._current
            if estimate + n <= self._limit:
                self._current += n
                return True
            return False


class Tier(NamedTuple):
    """A pricing tier: bucket capacity (burst) and refill rate (tokens per second)."""

    capacity: int
    refill_rate: float


_LUA = """
-- KEYS[1]: the user's bucket; ARGV: capacity, refill rate (tokens/s), n
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if tokens > capacity then
  tokens = capacity
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate / 1000000)
  ts = now
end
local granted = 0
if tokens >= n then
  tokens = tokens - n
  granted = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.0f', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1000)
return granted
"""


class RedisTokenBucket:
    """Per-user token buckets in Redis, one atomic Lua script per acquire."""

    def __init__(self, client: Any, prefix: str, tiers: Mapping[str, Tier]) -> None:
        if not isinstance(prefix, str):
            raise ValueError("prefix must be a str")
        self._client = client
        self._prefix = prefix
        self._tiers: dict[str, Tier] = {}
        for name, spec in tiers.items():
            capacity, rate = spec
            _check_capacity(capacity)
            if float(_exact_rate(rate)) <= 0:
                raise ValueError(f"tier {name!r}: refill_rate must be > 0")
            self._tiers[name] = Tier(capacity, float(rate))
        self._script = client.register_script(_LUA)

    def key(self, user_id: str) -> str:
        """The Redis key of a user's bucket."""
        return f"{self._prefix}tb:{user_id}"

    def acquire(self, user_id: str, tier: str, n: int = 1) -> bool:
        """Take n tokens from the user's bucket of the given tier; one round trip."""
        try:
            spec = self._tiers[tier]
        except KeyError:
            raise KeyError(f"unknown tier {tier!r}; known: {sorted(self._tiers)}") from None
        _check_n(n, spec.capacity)
        granted = self._script(
            keys=[self.key(user_id)], args=[spec.capacity, repr(spec.refill_rate), n]
        )
        return int(granted) == 1
