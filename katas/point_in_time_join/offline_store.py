"""Point-in-time correct training data from an offline feature store.

Fill in ``get_historical_features``. Read README.md first: it states the exact join rule, the
tie-break, the TTL boundary, the time-zone rules, the errors to raise and the performance
targets. ``FeatureView`` is given; keep its fields as they are (the grader builds views with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

ENTITY_TIMESTAMP = "event_timestamp"


@dataclass(frozen=True, eq=False)
class FeatureView:
    """A named group of features read from one source table (Feast's ``FeatureView``).

    Attributes:
        name: the view's name; output columns are ``f"{name}__{feature}"``.
        join_keys: the entity columns that identify a feature row (one or several).
        features: the feature columns of ``source`` to retrieve (float64).
        source: the feature rows: join keys, ``timestamp_field``, ``created_timestamp_column``
            and the feature columns.
        ttl: how far back a feature row may lie behind the entity timestamp (inclusive);
            ``None`` means no limit.
        timestamp_field: the column of ``source`` holding each row's event timestamp.
        created_timestamp_column: the column of ``source`` holding when each row was written.
    """

    name: str
    join_keys: Sequence[str]
    features: Sequence[str]
    source: pd.DataFrame
    ttl: timedelta | None = None
    timestamp_field: str = "event_timestamp"
    created_timestamp_column: str = "created_timestamp"


def get_historical_features(
    entity_df: pd.DataFrame, feature_views: Sequence[FeatureView]
) -> pd.DataFrame:
    """Point-in-time join of every feature view onto the entity rows (Feast semantics).

    For each entity row and each view: among the view's source rows with the same join keys,
    ``feature_ts <= event_timestamp`` and ``event_timestamp - feature_ts <= ttl``, take the
    one with the latest ``feature_ts``, ties broken by the larger created timestamp; no such
    row gives NaN.

    Args:
        entity_df: one row per training example: the join keys of every view, a datetime64
            ``event_timestamp`` column, and any other columns (kept unchanged).
        feature_views: the views to join, in output order.

    Returns:
        A new DataFrame: ``entity_df``'s columns, rows, order and index unchanged, followed by
        one float64 column ``f"{view.name}__{feature}"`` per view and feature.

    Raises:
        KeyError: a column a view needs is missing from ``entity_df`` or from its source.
        TypeError: a timestamp column is not datetime64, or tz-naive and tz-aware timestamps
            are mixed.
        ValueError: a view's ttl is negative.
    """
    raise NotImplementedError
