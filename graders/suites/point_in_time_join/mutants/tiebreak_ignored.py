# kills: test_correctness.py::test_created_timestamp_breaks_ties
"""Mutant: sorts feature rows by feature timestamp only: among equal timestamps the last row of the source wins, not the largest created_timestamp."""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
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


def _utc_nanoseconds(column: pd.Series, what: str) -> tuple[np.ndarray, bool]:
    """The column as int64 nanoseconds since the epoch (UTC), and whether it is tz-aware."""
    dtype = column.dtype
    if not pd.api.types.is_datetime64_any_dtype(dtype):
        raise TypeError(f"{what} must be a datetime64 column, got dtype {dtype}")
    aware = isinstance(dtype, pd.DatetimeTZDtype)
    naive = column.dt.tz_convert("UTC").dt.tz_localize(None) if aware else column
    return naive.dt.as_unit("ns").to_numpy().view(np.int64), aware


def _ttl_nanoseconds(view: FeatureView) -> int | None:
    if view.ttl is None:
        return None
    ttl = pd.Timedelta(view.ttl)
    if ttl < pd.Timedelta(0):
        raise ValueError(f"feature view {view.name!r}: ttl must not be negative, got {view.ttl}")
    return int(ttl.value)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{what} lacks the column(s) {missing}")


def get_historical_features(
    entity_df: pd.DataFrame, feature_views: Sequence[FeatureView]
) -> pd.DataFrame:
    """Point-in-time join of ``feature_views`` onto ``entity_df`` (see the module docstring)."""
    _require(entity_df, [ENTITY_TIMESTAMP], "entity_df")
    entity_ts, entity_aware = _utc_nanoseconds(
        entity_df[ENTITY_TIMESTAMP], "entity_df.event_timestamp"
    )
    n = len(entity_df)

    prepared = []
    for view in feature_views:
        _require(entity_df, list(view.join_keys), "entity_df")
        _require(
            view.source,
            [*view.join_keys, view.timestamp_field, view.created_timestamp_column, *view.features],
            f"the source of feature view {view.name!r}",
        )
        fts, fts_aware = _utc_nanoseconds(
            view.source[view.timestamp_field], f"{view.name}.{view.timestamp_field}"
        )
        created, created_aware = _utc_nanoseconds(
            view.source[view.created_timestamp_column],
            f"{view.name}.{view.created_timestamp_column}",
        )
        if not (fts_aware == created_aware == entity_aware):
            raise TypeError(
                f"feature view {view.name!r} mixes tz-naive and tz-aware timestamps with "
                f"entity_df (entity_df.event_timestamp is "
                f"{'tz-aware' if entity_aware else 'tz-naive'}, {view.timestamp_field} is "
                f"{'tz-aware' if fts_aware else 'tz-naive'}, {view.created_timestamp_column} is "
                f"{'tz-aware' if created_aware else 'tz-naive'}): localise them first"
            )
        prepared.append((view, fts, created, _ttl_nanoseconds(view)))

    # entity rows in time order (stable), remembering where each one came from
    order = np.argsort(entity_ts, kind="stable")
    result = entity_df.copy(deep=False)
    for view, fts, created, ttl in prepared:
        keys = list(view.join_keys)
        left = pd.DataFrame({k: entity_df[k].iloc[order].reset_index(drop=True) for k in keys})
        left["_pit_ts"] = entity_ts[order]
        left["_pit_pos"] = order
        # feature rows by (feature timestamp, created timestamp): the as-of join takes the
        # last row at or before the entity timestamp, i.e. the largest created timestamp
        src = view.source
        src_order = np.argsort(fts, kind="stable")
        right = pd.DataFrame({k: src[k].iloc[src_order].reset_index(drop=True) for k in keys})
        right["_pit_fts"] = fts[src_order]
        names = [f"{view.name}__{f}" for f in view.features]
        for feature, name in zip(view.features, names, strict=True):
            right[name] = src[feature].to_numpy(dtype=np.float64)[src_order]
        joined = pd.merge_asof(
            left,
            right,
            left_on="_pit_ts",
            right_on="_pit_fts",
            by=keys,
            direction="backward",
            allow_exact_matches=True,
            tolerance=ttl,
        )
        positions = joined["_pit_pos"].to_numpy()
        for name in names:
            values = np.empty(n, dtype=np.float64)
            values[positions] = joined[name].to_numpy(dtype=np.float64)
            result[name] = values
    return result
