# kills: test_correctness.py::test_equal_amounts_and_redelivery
"""Mutant: as in the seed, amounts go to their own sorted set with the amount as the member: equal amounts collapse into one."""


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


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees (R = 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _validate(txn: Transaction) -> None:
    for name, value in (
        ("txn_id", txn.txn_id),
        ("user_id", txn.user_id),
        ("merchant_id", txn.merchant_id),
    ):
        if not isinstance(value, str) or not value or SEP in value:
            raise ValueError(f"{name} must be a non-empty str without {SEP!r}, got {value!r}")
    if not (txn.amount >= 0.0 and math.isfinite(txn.amount)):
        raise ValueError(f"amount must be finite and >= 0, got {txn.amount!r}")
    if not math.isfinite(txn.timestamp):
        raise ValueError(f"timestamp must be finite, got {txn.timestamp!r}")
    if not (-90.0 <= txn.lat <= 90.0 and -180.0 <= txn.lon <= 180.0):
        raise ValueError(f"lat/lon out of range: {txn.lat!r}, {txn.lon!r}")


def _member(txn: Transaction) -> str:
    """The sorted-set member of a transaction (see the statement's layout)."""
    return SEP.join(
        (txn.txn_id, txn.merchant_id, repr(float(txn.amount)), repr(float(txn.lat)),
         repr(float(txn.lon)))
    )  # fmt: skip


def record_transaction(client: Any, prefix: str, txn: Transaction) -> VelocityFeatures:
    """Record ``txn`` in its user's sorted set and return its velocity features (one round
    trip; see the module docstring)."""
    _validate(txn)
    t = float(txn.timestamp)
    key = f"{prefix}txn:{txn.user_id}"
    pipe = client.pipeline(transaction=True)
    pipe.zadd(key, {_member(txn): t})
    pipe.zremrangebyscore(key, "-inf", f"({t - RETENTION!r}")
    pipe.zrangebyscore(key, t - WINDOW_24H, t, withscores=True)
    amt_key = f"{prefix}amt:{txn.user_id}"
    pipe.zadd(amt_key, {repr(float(txn.amount)): t})
    pipe.zrangebyscore(amt_key, t - WINDOW_1H, t)
    _, _, window, _, amounts = pipe.execute()

    count_5m = count_30m = count_1h = 0
    amount_1h = 0.0
    merchants: set[str] = set()
    prev_ts, prev_lat, prev_lon = -math.inf, math.nan, math.nan
    for raw, score in window:
        _, merchant, amount, lat, lon = raw.split(SEP)
        merchants.add(merchant)
        age = t - score
        if age <= WINDOW_1H:
            count_1h += 1
            if age <= WINDOW_30M:
                count_30m += 1
                if age <= WINDOW_5M:
                    count_5m += 1
        if score < t and score > prev_ts:
            prev_ts, prev_lat, prev_lon = score, float(lat), float(lon)
    amount_1h = sum(float(a) for a in amounts)
    if prev_ts > -math.inf:
        distance = haversine_km(prev_lat, prev_lon, txn.lat, txn.lon)
        hours = (t - prev_ts) / 3600.0
        impossible = distance > 1000.0 and hours < 2.0
    else:
        distance, hours, impossible = math.nan, math.nan, False
    return VelocityFeatures(
        txn_count_5m=count_5m,
        txn_count_30m=count_30m,
        txn_count_1h=count_1h,
        amount_1h=amount_1h,
        avg_amount_1h=amount_1h / max(count_1h, 1),
        unique_merchants_24h=len(merchants),
        distance_from_last_km=distance,
        hours_since_last=hours,
        impossible_travel=impossible,
    )


def decide(
    txn: Transaction,
    features: VelocityFeatures,
    ml_score: float,
    dl_score: float | None = None,
    rules: Rules = Rules(),  # noqa: B008 - a frozen dataclass: immutable default
) -> Decision:
    """The multi-layer decision of the seed (see the module docstring and the statement)."""
    score = float(ml_score)
    if dl_score is not None and 0.4 < ml_score < 0.8:
        score = 0.6 * ml_score + 0.4 * dl_score
    if score > rules.block:
        by_score = BLOCK
    elif score > rules.challenge:
        by_score = CHALLENGE
    elif score > rules.review:
        by_score = REVIEW
    else:
        by_score = APPROVE
    rule = None
    if txn.user_id in rules.blocked_users or txn.merchant_id in rules.blocked_merchants:
        rule = (BLOCK, "blocklist")
    elif txn.amount > rules.max_amount:
        rule = (BLOCK, "amount")
    elif features.txn_count_5m > rules.max_txn_5m:
        rule = (BLOCK, "velocity")
    elif features.impossible_travel:
        rule = (CHALLENGE, "impossible_travel")
    if rule is not None and SEVERITY[rule[0]] >= SEVERITY[by_score]:
        return Decision(rule[0], rule[1], score)
    return Decision(by_score, "score", score)
