"""Style B: a single Lua script per transaction (sent with EVAL: one round trip) that records,
trims and aggregates inside Redis (ZCOUNTs, 1 h amount sum, distinct merchants, previous via
ZREVRANGEBYSCORE LIMIT 1) and returns only the aggregates; haversine via atan2."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

WINDOW_5M = 300.0
WINDOW_30M = 1800.0
WINDOW_1H = 3600.0
WINDOW_24H = 86_400.0
RETENTION = 90_000.0  # 25 h: the 24 h window plus 1 h of allowed lateness
EARTH_RADIUS_KM = 6371.0
SEP = "|"

BLOCK = "BLOCK"
CHALLENGE = "CHALLENGE"
REVIEW = "REVIEW"
APPROVE = "APPROVE"
SEVERITY = {APPROVE: 0, REVIEW: 1, CHALLENGE: 2, BLOCK: 3}


@dataclass(frozen=True)
class Transaction:
    """One card transaction.

    Attributes:
        txn_id: unique id (no ``|``); the same id delivered twice is the same transaction.
        user_id: the card holder (no ``|``).
        merchant_id: the merchant (no ``|``).
        amount: amount charged, >= 0.
        timestamp: event time, float seconds since the epoch.
        lat: latitude in degrees, [-90, 90].
        lon: longitude in degrees, [-180, 180].
    """

    txn_id: str
    user_id: str
    merchant_id: str
    amount: float
    timestamp: float
    lat: float
    lon: float


@dataclass(frozen=True)
class VelocityFeatures:
    """The real-time features of one transaction (windows include the transaction itself)."""

    txn_count_5m: int
    txn_count_30m: int
    txn_count_1h: int
    amount_1h: float
    avg_amount_1h: float
    unique_merchants_24h: int
    distance_from_last_km: float
    hours_since_last: float
    impossible_travel: bool


@dataclass(frozen=True)
class Rules:
    """Layer-1 rules and the decision thresholds (the seed's values by default)."""

    blocked_users: frozenset[str] = field(default_factory=frozenset)
    blocked_merchants: frozenset[str] = field(default_factory=frozenset)
    max_amount: float = 10_000.0
    max_txn_5m: int = 10
    block: float = 0.9
    challenge: float = 0.7
    review: float = 0.5


@dataclass(frozen=True)
class Decision:
    """The action, why it was taken (``blocklist``, ``amount``, ``velocity``,
    ``impossible_travel`` or ``score``), and the final model score."""

    action: str
    reason: str
    score: float



# KEYS[1]: the user's sorted set.
# ARGV: member, t, trim bound "(t-25h", then the lower bounds of the 5 m, 30 m, 1 h and 24 h
# windows, and the exclusive upper bound "(t" for the previous transaction.
# Returns {c5, c30, c60, amount_1h (string), merchants, prev_member or false, prev_score or false}
_RECORD_LUA = """
local key = KEYS[1]
local t = ARGV[2]
redis.call('ZADD', key, t, ARGV[1])
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[3])
local c5 = redis.call('ZCOUNT', key, ARGV[4], t)
local c30 = redis.call('ZCOUNT', key, ARGV[5], t)
local hour = redis.call('ZRANGEBYSCORE', key, ARGV[6], t)
local total = 0.0
for i = 1, #hour do
  local amount = string.match(hour[i], '^[^|]*|[^|]*|([^|]*)|')
  total = total + tonumber(amount)
end
local day = redis.call('ZRANGEBYSCORE', key, ARGV[7], t)
local seen = {}
local merchants = 0
for i = 1, #day do
  local merchant = string.match(day[i], '^[^|]*|([^|]*)|')
  if not seen[merchant] then
    seen[merchant] = true
    merchants = merchants + 1
  end
end
local prev = redis.call('ZREVRANGEBYSCORE', key, ARGV[8], ARGV[7], 'WITHSCORES', 'LIMIT', 0, 1)
local prev_member = false
local prev_score = false
if #prev > 0 then
  prev_member = prev[1]
  prev_score = prev[2]
end
return {c5, c30, #hour, string.format('%.17g', total), merchants, prev_member, prev_score}
"""

def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points in degrees, on a sphere of radius
    ``EARTH_RADIUS_KM`` (haversine formula)."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    s_lat = math.sin((p2 - p1) / 2.0)
    s_lon = math.sin((l2 - l1) / 2.0)
    h = s_lat * s_lat + math.cos(p1) * math.cos(p2) * s_lon * s_lon
    h = min(1.0, max(0.0, h))
    return EARTH_RADIUS_KM * 2.0 * math.atan2(math.sqrt(h), math.sqrt(1.0 - h))


def _number(value: Any, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}: not a number") from None
    if not math.isfinite(x):
        raise ValueError(f"{name}: not finite")
    return x


def record_transaction(client: Any, prefix: str, txn: Transaction) -> VelocityFeatures:
    """Record ``txn`` in its user's sorted set, trim old members, and return its features."""
    for name in ("txn_id", "user_id", "merchant_id"):
        ident = getattr(txn, name)
        if type(ident) is not str and not isinstance(ident, str):
            raise ValueError(f"{name}: not a str")
        if ident == "" or SEP in ident:
            raise ValueError(f"{name}: empty or contains {SEP!r}")
    amount = _number(txn.amount, "amount")
    if amount < 0:
        raise ValueError("amount: negative")
    t = _number(txn.timestamp, "timestamp")
    lat = _number(txn.lat, "lat")
    lon = _number(txn.lon, "lon")
    if abs(lat) > 90.0:
        raise ValueError("lat outside [-90, 90]")
    if abs(lon) > 180.0:
        raise ValueError("lon outside [-180, 180]")

    member = SEP.join((txn.txn_id, txn.merchant_id, repr(amount), repr(lat), repr(lon)))
    args = [
        member,
        repr(t),
        "(" + repr(t - RETENTION),
        repr(t - WINDOW_5M),
        repr(t - WINDOW_30M),
        repr(t - WINDOW_1H),
        repr(t - WINDOW_24H),
        "(" + repr(t),
    ]
    # EVAL (not EVALSHA with a NOSCRIPT fallback): always exactly one round trip.
    c5, c30, c60, total, merchants, prev_member, prev_score = client.eval(
        _RECORD_LUA, 1, f"{prefix}txn:{txn.user_id}", *args
    )
    amount_1h = float(total)
    if prev_member:
        _, _, _, plat, plon = prev_member.split(SEP)
        distance = haversine_km(float(plat), float(plon), lat, lon)
        hours = (t - float(prev_score)) / 3600.0
    else:
        distance = hours = float("nan")
    return VelocityFeatures(
        txn_count_5m=int(c5),
        txn_count_30m=int(c30),
        txn_count_1h=int(c60),
        amount_1h=amount_1h,
        avg_amount_1h=amount_1h / int(c60),
        unique_merchants_24h=int(merchants),
        distance_from_last_km=distance,
        hours_since_last=hours,
        impossible_travel=bool(distance > 1000.0 and hours < 2.0),
    )


_LAYERS = (BLOCK, CHALLENGE, REVIEW)


def decide(
    txn: Transaction,
    features: VelocityFeatures,
    ml_score: float,
    dl_score: float | None = None,
    rules: Rules = Rules(),  # noqa: B008 - a frozen dataclass: immutable default
) -> Decision:
    """The multi-layer decision: rules, then the (blended) model score and its thresholds."""
    blend = dl_score is not None and 0.4 < ml_score < 0.8
    score = 0.6 * ml_score + 0.4 * dl_score if blend else ml_score
    thresholds = {BLOCK: rules.block, CHALLENGE: rules.challenge, REVIEW: rules.review}
    score_action = next((a for a in _LAYERS if score > thresholds[a]), APPROVE)

    checks = (
        (txn.user_id in rules.blocked_users or txn.merchant_id in rules.blocked_merchants,
         BLOCK, "blocklist"),
        (txn.amount > rules.max_amount, BLOCK, "amount"),
        (features.txn_count_5m > rules.max_txn_5m, BLOCK, "velocity"),
        (bool(features.impossible_travel), CHALLENGE, "impossible_travel"),
    )  # fmt: skip
    for fired, action, reason in checks:
        if fired:
            if SEVERITY[action] >= SEVERITY[score_action]:
                return Decision(action, reason, score)
            break
    return Decision(score_action, "score", score)
