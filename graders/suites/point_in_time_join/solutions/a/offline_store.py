"""Style A: pandas.merge_asof per view (backward, by the join keys, tolerance = ttl) on int64
UTC-nanosecond instants, the source pre-sorted by (feature ts, created ts) so the last
equal-timestamp row (the latest correction) wins; results scattered back by row position."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

ENTITY_TIMESTAMP = "event_timestamp"

_NAT = np.iinfo(np.int64).min


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


def _require(frame: pd.DataFrame, columns, where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{where} lacks column(s) {missing}")


def _instants_ns(series: pd.Series) -> np.ndarray:
    """int64 nanoseconds since the epoch (UTC instants for tz-aware data); NaT -> int64 min."""
    idx = pd.DatetimeIndex(series)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return idx.as_unit("ns").asi8


def _ttl_ns(ttl) -> int | None:
    if ttl is None:
        return None
    td = pd.Timedelta(ttl)
    if td < pd.Timedelta(0):
        raise ValueError(f"ttl must not be negative, got {ttl!r}")
    return int(td.as_unit("ns").value)


def get_historical_features(
    entity_df: pd.DataFrame, feature_views: Sequence[FeatureView]
) -> pd.DataFrame:
    """Point-in-time join of every feature view onto the entity rows (Feast semantics)."""
    views = list(feature_views)
    # --- KeyError: missing columns ---
    _require(entity_df, [ENTITY_TIMESTAMP], "entity_df")
    for v in views:
        _require(entity_df, list(v.join_keys), "entity_df")
        _require(
            v.source,
            list(v.join_keys) + [v.timestamp_field, v.created_timestamp_column] + list(v.features),
            f"source of view {v.name!r}",
        )
    # --- TypeError: timestamp dtypes and time-zone consistency ---
    ts_columns = [("entity_df." + ENTITY_TIMESTAMP, entity_df[ENTITY_TIMESTAMP])]
    for v in views:
        ts_columns.append((f"{v.name}.{v.timestamp_field}", v.source[v.timestamp_field]))
        ts_columns.append(
            (f"{v.name}.{v.created_timestamp_column}", v.source[v.created_timestamp_column])
        )
    aware, naive = [], []
    for label, col in ts_columns:
        if not pd.api.types.is_datetime64_any_dtype(col.dtype):
            raise TypeError(f"{label} is not a datetime64 column (dtype {col.dtype})")
        (aware if getattr(col.dtype, "tz", None) is not None else naive).append(label)
    if aware and naive:
        raise TypeError(f"tz-naive columns {naive} mixed with tz-aware columns {aware}")
    # --- ValueError: ttl ---
    ttls = [_ttl_ns(v.ttl) for v in views]

    n = len(entity_df)
    ets = _instants_ns(entity_df[ENTITY_TIMESTAMP])
    ent_ok = ets != _NAT
    new_columns: dict[str, np.ndarray] = {}
    for v, ttl in zip(views, ttls):
        keys = list(v.join_keys)
        feats = list(v.features)
        renamed = [f"__feat{i}" for i in range(len(feats))]
        result = np.full((len(feats), n), np.nan)
        src = v.source
        if n and len(src):
            left_keys, right_keys = {}, {}
            for k in keys:
                lk, rk = entity_df[k].reset_index(drop=True), src[k].reset_index(drop=True)
                if lk.dtype != rk.dtype:  # e.g. object vs str: merge_asof wants one dtype
                    lk, rk = lk.astype(object), rk.astype(object)
                left_keys[k], right_keys[k] = lk, rk
            left = pd.DataFrame(left_keys)
            left["__ts"] = ets
            left["__pos"] = np.arange(n)
            left = left[ent_ok].sort_values("__ts", kind="stable")

            fts = _instants_ns(src[v.timestamp_field])
            cts = _instants_ns(src[v.created_timestamp_column])
            right = pd.DataFrame(right_keys)
            for f, r in zip(feats, renamed):
                right[r] = src[f].to_numpy(dtype=np.float64)
            right["__ts"] = fts
            right["__cts"] = cts
            right = right[fts != _NAT]
            # ascending by (feature ts, created ts): merge_asof keeps the last tie
            right = right.sort_values(["__ts", "__cts"], kind="stable")

            merged = pd.merge_asof(
                left,
                right,
                on="__ts",
                by=keys,
                direction="backward",
                allow_exact_matches=True,
                tolerance=ttl,
            )
            pos = merged["__pos"].to_numpy()
            for i, r in enumerate(renamed):
                result[i, pos] = merged[r].to_numpy(dtype=np.float64)
        for i, f in enumerate(feats):
            new_columns[f"{v.name}__{f}"] = result[i]

    out = entity_df.copy()
    for name, values in new_columns.items():
        out[name] = values
    return out
