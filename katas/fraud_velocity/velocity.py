"""Real-time fraud features on Redis sorted sets, impossible travel, and the decision.

Fill in the three functions below. Read README.md first: it states the Redis layout, the
window edges, the out-of-order rules, the decision layers, the errors to raise and the
round-trip budget. The dataclasses and constants are given; keep them as they are.
"""

from __future__ import annotations

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
    raise NotImplementedError


def record_transaction(client: Any, prefix: str, txn: Transaction) -> VelocityFeatures:
    """Record ``txn`` in its user's sorted set, trim old members, and return its features.

    Args:
        client: a ``redis.Redis`` (or ``fakeredis.FakeRedis``) with ``decode_responses=True``.
        prefix: every key written starts with it.
        txn: the transaction (event-time timestamp in seconds).

    Returns:
        The transaction's :class:`VelocityFeatures` over windows ``[t - W, t]`` in event time.

    Raises:
        ValueError: a malformed id, amount, timestamp or position.
    """
    raise NotImplementedError


def decide(
    txn: Transaction,
    features: VelocityFeatures,
    ml_score: float,
    dl_score: float | None = None,
    rules: Rules = Rules(),  # noqa: B008 - a frozen dataclass: immutable default
) -> Decision:
    """The multi-layer decision: rules, then the (blended) model score and its thresholds.

    Args:
        txn: the transaction.
        features: its velocity features.
        ml_score: the gradient-boosting fraud probability in [0, 1].
        dl_score: the sequence model's score, blended only in the band 0.4 < ml_score < 0.8.
        rules: blocklists, limits and thresholds.

    Returns:
        A :class:`Decision` (action, reason, final score).
    """
    raise NotImplementedError
