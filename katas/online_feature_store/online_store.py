"""The online half of a feature store on Redis: materialise, serve, check train/serve skew.

Fill in the three functions below. Read README.md first: it states the Redis layout, the
validity (TTL) rules, the statuses, the round-trip budgets and the errors to raise.
``FeatureView``, ``OnlineResponse`` and the constants are given; keep them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

PRESENT = "PRESENT"
NOT_FOUND = "NOT_FOUND"
OUTSIDE_MAX_AGE = "OUTSIDE_MAX_AGE"
TS_FIELD = "_ts"
CREATED_FIELD = "_created"


@dataclass(frozen=True)
class FeatureView:
    """A group of features of one entity, materialised together.

    Attributes:
        name: the view's name (feature references are ``"name:feature"``).
        entity_key: the source column holding the entity id (int or str).
        features: the float64 feature columns of the source.
        ttl_s: seconds a row stays valid after its event timestamp (inclusive).
        timestamp_field: source column of event timestamps (float seconds since the epoch).
        created_timestamp_column: source column of created timestamps (float seconds).
    """

    name: str
    entity_key: str
    features: tuple[str, ...]
    ttl_s: float
    timestamp_field: str = "event_timestamp"
    created_timestamp_column: str = "created_timestamp"


@dataclass(frozen=True)
class OnlineResponse:
    """What ``get_online_features`` returns.

    Attributes:
        values: float64 DataFrame, index = the requested entity keys (in request order),
            columns = the feature references; NaN wherever the status is not PRESENT.
        statuses: DataFrame of the same shape holding ``PRESENT``, ``NOT_FOUND`` or
            ``OUTSIDE_MAX_AGE`` per value.
    """

    values: pd.DataFrame
    statuses: pd.DataFrame


def materialize(
    client: Any, prefix: str, view: FeatureView, source: pd.DataFrame, now: float
) -> int:
    """Write the latest valid row of every entity of ``source`` into Redis.

    Args:
        client: a ``redis.Redis`` (or ``fakeredis.FakeRedis``) with ``decode_responses=True``.
        prefix: every key written starts with it.
        view: the feature view.
        source: its rows (entity ids, float-second timestamps, float64 features).
        now: the current time, float seconds since the epoch.

    Returns:
        The number of hashes written (rows already superseded in Redis are not written).

    Raises:
        ValueError: ``view.ttl_s`` is not > 0 (NaN included).
        KeyError: ``source`` lacks a column the view names.
    """
    raise NotImplementedError


def get_online_features(
    client: Any,
    prefix: str,
    views: Sequence[FeatureView],
    entity_keys: Sequence[Any],
    feature_refs: Sequence[str],
    now: float,
) -> OnlineResponse:
    """Feature values of many entities in one pipelined round trip, with a status per value.

    Args:
        client: the Redis client.
        prefix: the key prefix used by ``materialize``.
        views: the views that ``feature_refs`` may name.
        entity_keys: entity ids, in request order (may repeat).
        feature_refs: ``"view_name:feature"`` strings.
        now: the current time, float seconds since the epoch.

    Returns:
        An :class:`OnlineResponse` (values and statuses, index = entity_keys, columns =
        feature_refs).

    Raises:
        KeyError: a reference names an unknown view or feature.
    """
    raise NotImplementedError


def skew_report(
    client: Any,
    prefix: str,
    views: Sequence[FeatureView],
    sources: Mapping[str, pd.DataFrame],
    entity_keys: Sequence[Any],
    feature_refs: Sequence[str],
    now: float,
    rtol: float = 1e-9,
) -> pd.DataFrame:
    """Train/serve skew: online values that disagree with the point-in-time value at ``now``.

    Args:
        client, prefix, views, entity_keys, feature_refs, now: as ``get_online_features``.
        sources: the offline source of each view, by view name.
        rtol: relative tolerance of the comparison.

    Returns:
        A DataFrame with columns ``entity_key``, ``feature_ref``, ``online``, ``offline``
        (float64): one row per disagreement, in entity then feature-reference order.
    """
    raise NotImplementedError
