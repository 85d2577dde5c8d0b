"""Style A: one MULTI/EXEC pipeline per transaction (ZADD, trim, the 1 h window with scores,
the 24 h window's members, the previous member); features computed in Python (bisect on the
scores); haversine via asin."""

from __future__ import annotations

import bisect
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



def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points in degrees, on a sphere of radius
    ``EARTH_RADIUS_KM`` (haversine formula)."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = math.radians(lat2 - lat1)
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _check_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value or SEP in value:
        raise ValueError(f"{what} must be a non-empty str without {SEP!r}, got {value!r}")


def _finite(value: Any, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return x


def _validate(txn: Transaction) -> tuple[float, float, float, float]:
    _check_id(txn.txn_id, "txn_id")
    _check_id(txn.user_id, "user_id")
    _check_id(txn.merchant_id, "merchant_id")
    amount = _finite(txn.amount, "amount")
    if amount < 0:
        raise ValueError(f"amount must be >= 0, got {txn.amount!r}")
    t = _finite(txn.timestamp, "timestamp")
    lat = _finite(txn.lat, "lat")
    lon = _finite(txn.lon, "lon")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"lat must be in [-90, 90], got {txn.lat!r}")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"lon must be in [-180, 180], got {txn.lon!r}")
    return amount, t, lat, lon


def record_transaction(client: Any, prefix: str, txn: Transaction) -> VelocityFeatures:
    """Record ``txn`` in its user's sorted set, trim old members, and return its features."""
    amount, t, lat, lon = _validate(txn)
    key = f"{prefix}txn:{txn.user_id}"
    member = f"{txn.txn_id}{SEP}{txn.merchant_id}{SEP}{amount!r}{SEP}{lat!r}{SEP}{lon!r}"

    pipe = client.pipeline(transaction=True)  # MULTI/EXEC: one round trip
    pipe.zadd(key, {member: t})
    pipe.zremrangebyscore(key, "-inf", f"({t - RETENTION!r}")
    pipe.zrangebyscore(key, repr(t - WINDOW_1H), repr(t), withscores=True)
    pipe.zrangebyscore(key, repr(t - WINDOW_24H), repr(t))
    pipe.zrevrangebyscore(key, f"({t!r}", repr(t - WINDOW_24H), start=0, num=1, withscores=True)
    _, _, hour, day, previous = pipe.execute()

    # hour: [(member, score)] ascending, all in [t - 1 h, t]
    scores = [score for _, score in hour]
    count_1h = len(hour)
    amount_1h = 0.0
    for m, _ in hour:
        amount_1h += float(m.split(SEP, 3)[2])
    merchants = {m.split(SEP, 2)[1] for m in day}

    if previous:
        prev_member, prev_score = previous[0]
        fields = prev_member.split(SEP)
        distance = haversine_km(float(fields[3]), float(fields[4]), lat, lon)
        hours = (t - prev_score) / 3600.0
        impossible = distance > 1000.0 and hours < 2.0
    else:
        distance = hours = math.nan
        impossible = False

    return VelocityFeatures(
        txn_count_5m=count_1h - bisect.bisect_left(scores, t - WINDOW_5M),
        txn_count_30m=count_1h - bisect.bisect_left(scores, t - WINDOW_30M),
        txn_count_1h=count_1h,
        amount_1h=amount_1h,
        avg_amount_1h=amount_1h / count_1h,
        unique_merchants_24h=len(merchants),
        distance_from_last_km=distance,
        hours_since_last=hours,
        impossible_travel=impossible,
    )


def _score_action(score: float, rules: Rules) -> str:
    if score > rules.block:
        return BLOCK
    if score > rules.challenge:
        return CHALLENGE
    if score > rules.review:
        return REVIEW
    return APPROVE


def decide(
    txn: Transaction,
    features: VelocityFeatures,
    ml_score: float,
    dl_score: float | None = None,
    rules: Rules = Rules(),  # noqa: B008 - a frozen dataclass: immutable default
) -> Decision:
    """The multi-layer decision: rules, then the (blended) model score and its thresholds."""
    if dl_score is not None and 0.4 < ml_score < 0.8:
        score = 0.6 * ml_score + 0.4 * dl_score
    else:
        score = ml_score
    by_score = _score_action(score, rules)

    if txn.user_id in rules.blocked_users or txn.merchant_id in rules.blocked_merchants:
        rule = (BLOCK, "blocklist")
    elif txn.amount > rules.max_amount:
        rule = (BLOCK, "amount")
    elif features.txn_count_5m > rules.max_txn_5m:
        rule = (BLOCK, "velocity")
    elif features.impossible_travel:
        rule = (CHALLENGE, "impossible_travel")
    else:
        return Decision(by_score, "score", score)
    if SEVERITY[rule[0]] >= SEVERITY[by_score]:
        return Decision(rule[0], rule[1], score)
    return Decision(by_score, "score", score)
