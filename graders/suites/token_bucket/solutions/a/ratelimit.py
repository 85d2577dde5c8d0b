"""Style A: exact arithmetic on scaled Python ints (all times and token counts share one
common denominator, grown by lcm when a reading needs it), one threading.Lock per limiter;
Redis side: a Lua script keeping the bucket in a HASH (tokens, ts) with PEXPIRE."""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _exact_positive(x: Any, what: str) -> Fraction:
    """Fraction(x) for a finite real number x > 0, else ValueError."""
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, Decimal)):
        raise ValueError(f"{what} must be a finite number > 0, got {x!r}")
    try:
        value = Fraction(x)
    except (ValueError, OverflowError, TypeError):  # nan / inf
        raise ValueError(f"{what} must be a finite number > 0, got {x!r}") from None
    if value <= 0:
        raise ValueError(f"{what} must be a finite number > 0, got {x!r}")
    return value


def _ratio(t: Any) -> tuple[int, int]:
    """The exact value of a clock reading as (numerator, positive denominator)."""
    kind = type(t)
    if kind is float:
        return t.as_integer_ratio()
    if kind is int:
        return t, 1
    f = Fraction(t)
    return f.numerator, f.denominator


class TokenBucket:
    """A thread-safe token bucket with exact (rational) token counts.

    Internally a time t is the int ``A`` with ``t = A / S`` and a token count x is the int
    ``N`` with ``x = N / (q * S)`` where ``refill_rate = p / q``; refilling for ``d`` clock
    units adds ``d * p``. ``S`` only changes (by an lcm) when a reading's denominator does
    not divide it, so the float clock path is a handful of int operations.
    """

    def __init__(
        self,
        capacity: int,
        refill_rate: int | float | Fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _is_int(capacity) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        rate = _exact_positive(refill_rate, "refill_rate")
        self._capacity = capacity
        self._p = rate.numerator
        self._q = rate.denominator
        self._clock = clock
        self._lock = threading.Lock()
        a, b = _ratio(clock())
        self._S = b
        self._A = a
        self._unit = self._q * b  # one token
        self._full = capacity * self._unit
        self._N = self._full  # starts full

    def _rescale(self, b: int) -> None:
        S = self._S
        L = S // math.gcd(S, b) * b
        k = L // S
        self._S = L
        self._A *= k
        self._N *= k
        self._unit *= k
        self._full *= k
        if L.bit_length() > 4096:  # keep the common denominator small
            g = math.gcd(math.gcd(L, self._A), self._N)
            if g > 1:
                self._S //= g
                self._A //= g
                self._N //= g
                self._unit //= g
                self._full //= g

    def _refill(self) -> None:
        t = self._clock()
        if type(t) is float:
            a, b = t.as_integer_ratio()
        else:
            a, b = _ratio(t)
        if b != self._S:
            if self._S % b:
                self._rescale(b)
            a *= self._S // b
        d = a - self._A
        if d > 0:  # an earlier (or equal) reading refills nothing
            self._A = a
            n = self._N + d * self._p
            self._N = n if n < self._full else self._full

    def try_acquire(self, n: int = 1) -> bool:
        if type(n) is not int and (not isinstance(n, int) or isinstance(n, bool)):
            raise ValueError(f"n must be an int in [1, capacity], got {n!r}")
        if n < 1 or n > self._capacity:
            raise ValueError(f"n must be an int in [1, capacity], got {n!r}")
        with self._lock:
            # inlined self._refill() (the hot path)
            t = self._clock()
            if type(t) is float:
                a, b = t.as_integer_ratio()
            else:
                a, b = _ratio(t)
            if b != self._S:
                if self._S % b:
                    self._rescale(b)
                a *= self._S // b
            d = a - self._A
            if d > 0:
                self._A = a
                full = self._full
                if self._N != full:
                    m = self._N + d * self._p
                    self._N = m if m < full else full
            need = n * self._unit
            if self._N >= need:
                self._N -= need
                return True
            return False

    def tokens(self) -> Fraction:
        with self._lock:
            self._refill()
            return Fraction(self._N, self._unit)


class SlidingWindowLimiter:
    """The sliding-window counter with exact rational arithmetic on ints."""

    def __init__(
        self,
        limit: int,
        window_s: int | float | Fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _is_int(limit) or limit < 1:
            raise ValueError(f"limit must be an int >= 1, got {limit!r}")
        window = _exact_positive(window_s, "window_s")
        self._limit = limit
        self._wn = window.numerator
        self._wd = window.denominator
        self._clock = clock
        self._lock = threading.Lock()
        self._k: int | None = None  # index of the current fixed window
        self._current = 0
        self._previous = 0

    def try_acquire(self, n: int = 1) -> bool:
        if type(n) is not int and (not isinstance(n, int) or isinstance(n, bool)):
            raise ValueError(f"n must be an int in [1, limit], got {n!r}")
        if n < 1 or n > self._limit:
            raise ValueError(f"n must be an int in [1, limit], got {n!r}")
        with self._lock:
            t = self._clock()
            if type(t) is float:
                a, b = t.as_integer_ratio()
            else:
                a, b = _ratio(t)
            # t / window = (a * wd) / (b * wn) = k + r / D with 0 <= r < D
            num = a * self._wd
            D = b * self._wn
            k, r = divmod(num, D)
            cur_k = self._k
            if cur_k is None or k > cur_k:
                if cur_k is not None and k == cur_k + 1:
                    self._previous = self._current
                else:
                    self._previous = 0
                self._current = 0
                self._k = k
            elif k < cur_k:  # a reading older than the current window: use its start
                r = 0
            # previous * (1 - r/D) + current + n <= limit, times D
            if self._previous * (D - r) <= (self._limit - self._current - n) * D:
                self._current += n
                return True
            return False


class Tier(NamedTuple):
    """A pricing tier: bucket capacity (burst) and refill rate (tokens per second)."""

    capacity: int
    refill_rate: float


# KEYS[1] bucket key; ARGV: capacity, rate, n. Hash fields: tk (tokens), ts (seconds).
_ACQUIRE_LUA = """
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tk', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = cap
  ts = now
end
if now > ts then
  tokens = math.min(cap, tokens + (now - ts) * rate)
  ts = now
end
local granted = 0
if tokens >= n then
  tokens = tokens - n
  granted = 1
end
redis.call('HSET', KEYS[1], 'tk', string.format('%.17g', tokens), 'ts', string.format('%.17g', ts))
local ms = math.ceil((cap - tokens) / rate * 1000) + 1
if ms < 1 then ms = 1 end
redis.call('PEXPIRE', KEYS[1], ms)
return granted
"""


class RedisTokenBucket:
    """Per-user token buckets in Redis, one atomic Lua script (a hash per user) per acquire."""

    def __init__(self, client: Any, prefix: str, tiers: Mapping[str, Tier]) -> None:
        self._tiers: dict[str, tuple[int, float]] = {}
        for name, tier in dict(tiers).items():
            capacity, rate = tier[0], tier[1]
            if not _is_int(capacity) or capacity < 1:
                raise ValueError(f"tier {name!r}: capacity must be an int >= 1")
            if (
                isinstance(rate, bool)
                or not isinstance(rate, (numbers.Real, Decimal))
                or not math.isfinite(float(rate))
                or not rate > 0
            ):
                raise ValueError(f"tier {name!r}: refill_rate must be a finite number > 0")
            self._tiers[name] = (capacity, float(rate))
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_ACQUIRE_LUA)

    def acquire(self, user_id: str, tier: str, n: int = 1) -> bool:
        capacity, rate = self._tiers[tier]  # KeyError for an unknown tier
        if not _is_int(n) or n < 1 or n > capacity:
            raise ValueError(f"n must be an int in [1, {capacity}], got {n!r}")
        granted = self._script(
            keys=[f"{self._prefix}{user_id}"], args=[capacity, repr(rate), n]
        )
        return int(granted) == 1
