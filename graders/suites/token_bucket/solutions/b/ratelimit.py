"""Style B: GCRA formulation (a "theoretical arrival time" instead of a token count) on exact
scaled ints, a two-slot dict for the sliding window with a no-previous fast path; Redis side:
a Lua script storing only the TAT as a string with SET ... PX (no hash)."""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple


def _bad_count(x: Any) -> bool:
    """True unless x is a genuine int (bool excluded)."""
    return type(x) is not int and (isinstance(x, bool) or not isinstance(x, int))


def _positive_finite(x: Any, what: str) -> Fraction:
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, Decimal)):
        raise ValueError(f"{what}: not a number: {x!r}")
    if isinstance(x, (float, Decimal)) and not math.isfinite(x):
        raise ValueError(f"{what}: not finite: {x!r}")
    try:
        exact = Fraction(x)
    except (ValueError, OverflowError, TypeError):
        raise ValueError(f"{what}: not a finite number: {x!r}") from None
    if not exact > 0:
        raise ValueError(f"{what}: must be > 0, got {x!r}")
    return exact


def _as_ratio(t: Any) -> tuple[int, int]:
    if isinstance(t, float):
        return t.as_integer_ratio()
    if isinstance(t, int):
        return int(t), 1
    f = Fraction(t)
    return f.numerator, f.denominator


class TokenBucket:
    """Token bucket as GCRA: the state is ``tat``, the time at which the bucket is full.

    With ``refill_rate = p / q`` and readings ``t = a / S``, time is kept in integer units of
    ``1 / (S * p)`` seconds, so a token is worth ``q * S`` units and everything is exact:
    tokens(now) = capacity - max(0, tat - now) / (q * S).
    """

    def __init__(
        self,
        capacity: int,
        refill_rate: int | float | Fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if _bad_count(capacity) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        rate = _positive_finite(refill_rate, "refill_rate")
        self._cap = capacity
        self._p, self._q = rate.numerator, rate.denominator
        self._clock = clock
        self._mutex = threading.Lock()
        a, b = _as_ratio(clock())
        self._S = b  # common denominator of the readings
        self._now = a * self._p  # latest reading, in units of 1/(S*p)
        self._tat = self._now  # full at the first reading
        self._token = self._q * b  # units per token
        self._span = capacity * self._token  # the whole bucket, in units

    def _advance(self) -> int:
        """Read the clock; return the effective 'now' in units (never moves back)."""
        a, b = _as_ratio(self._clock())
        S = self._S
        if S % b:
            new_s = S * b // math.gcd(S, b)
            k = new_s // S
            self._S = S = new_s
            self._now *= k
            self._tat *= k
            self._token *= k
            self._span *= k
            if S.bit_length() > 4096:
                g = math.gcd(math.gcd(S, self._now), self._tat)
                if g > 1:
                    self._S = S = S // g
                    self._now //= g
                    self._tat //= g
                    self._token //= g
                    self._span //= g
        t = a * (S // b) * self._p
        if t > self._now:
            self._now = t
        return self._now

    def try_acquire(self, n: int = 1) -> bool:
        if _bad_count(n) or n < 1 or n > self._cap:
            raise ValueError(f"n must be an int in [1, capacity], got {n!r}")
        with self._mutex:
            now = self._advance()
            tat = self._tat
            new_tat = (tat if tat > now else now) + n * self._token
            if new_tat - now <= self._span:
                self._tat = new_tat
                return True
            return False

    def tokens(self) -> Fraction:
        with self._mutex:
            now = self._advance()
            debt = self._tat - now
            if debt < 0:
                debt = 0
            return Fraction(self._span - debt, self._token)


class SlidingWindowLimiter:
    """Sliding-window counter: counts per fixed-window index in a dict of at most two slots;
    exact integer cross-multiplication, skipped when the previous window is empty."""

    def __init__(
        self,
        limit: int,
        window_s: int | float | Fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if _bad_count(limit) or limit < 1:
            raise ValueError(f"limit must be an int >= 1, got {limit!r}")
        w = _positive_finite(window_s, "window_s")
        self._limit = limit
        self._w_num, self._w_den = w.numerator, w.denominator
        self._clock = clock
        self._mutex = threading.Lock()
        self._counts: dict[int, int] = {}
        self._latest: int | None = None

    def try_acquire(self, n: int = 1) -> bool:
        if _bad_count(n) or n < 1 or n > self._limit:
            raise ValueError(f"n must be an int in [1, limit], got {n!r}")
        with self._mutex:
            a, b = _as_ratio(self._clock())
            denom = b * self._w_num
            k, rem = divmod(a * self._w_den, denom)  # t / window = k + rem / denom
            latest = self._latest
            if latest is None or k > latest:
                self._latest = k
                counts = self._counts
                self._counts = {k - 1: counts[k - 1]} if k - 1 in counts else {}
                self._counts[k] = 0
            elif k < latest:  # older than the current window: judge at its start
                k, rem = latest, 0
            current = self._counts[k]
            previous = self._counts.get(k - 1, 0)
            room = self._limit - current - n
            if previous == 0:
                ok = room >= 0
            else:
                ok = previous * (denom - rem) <= room * denom
            if ok:
                self._counts[k] = current + n
            return ok


class Tier(NamedTuple):
    """A pricing tier: bucket capacity (burst) and refill rate (tokens per second)."""

    capacity: int
    refill_rate: float


# GCRA in Lua. The key holds "<sec>:<offset>": the bucket is full again at server time
# sec + offset (offset kept small so doubles stay precise). ARGV: capacity, rate, n.
_GCRA_LUA = """
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local tm = redis.call('TIME')
local sec = tonumber(tm[1])
local usec = tonumber(tm[2])
local debt = 0
local raw = redis.call('GET', KEYS[1])
if raw then
  local base, off = string.match(raw, '^(%-?%d+):(.+)$')
  if base then
    debt = (tonumber(base) - sec) + tonumber(off) - usec / 1000000
    if debt < 0 then debt = 0 end
  end
end
local new_debt = debt + n / rate
if (new_debt * rate - cap) > 1e-9 then
  return 0
end
local ms = math.ceil(new_debt * 1000) + 1
redis.call('SET', KEYS[1], string.format('%d:%.17g', sec, usec / 1000000 + new_debt), 'PX', ms)
return 1
"""


class RedisTokenBucket:
    """Per-user GCRA buckets in Redis: one atomic Lua script (string + PX) per acquire."""

    def __init__(self, client: Any, prefix: str, tiers: Mapping[str, Tier]) -> None:
        checked = {}
        for name in tiers:
            capacity, rate = tiers[name]
            if _bad_count(capacity) or capacity < 1:
                raise ValueError(f"tier {name!r}: capacity must be an int >= 1")
            _positive_finite(rate, f"tier {name!r} refill_rate")
            checked[name] = (capacity, repr(float(rate)))
        self._tiers = checked
        self._prefix = prefix
        self._gcra = client.register_script(_GCRA_LUA)

    def acquire(self, user_id: str, tier: str, n: int = 1) -> bool:
        if tier not in self._tiers:
            raise KeyError(tier)
        capacity, rate = self._tiers[tier]
        if _bad_count(n) or n < 1 or n > capacity:
            raise ValueError(f"n must be an int in [1, {capacity}], got {n!r}")
        return bool(int(self._gcra(keys=[self._prefix + str(user_id)], args=[capacity, rate, n])))
