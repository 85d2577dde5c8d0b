"""The bar of point_in_time_join's time gate (baseline sandbox only): a plain, idiomatic
pandas point-in-time join, as a data scientist would write it from the pandas documentation,
with no tuning.

Per view: the feature and created timestamps converted to UTC, the feature rows sorted by
(feature timestamp, created timestamp), ``pandas.merge_asof`` backward with ``by=join_keys``
and ``tolerance=ttl`` against the entity rows sorted by time, then the rows put back in the
entity DataFrame's order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _utc(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC")
    return column.dt.as_unit("ns")


def join(entity_df: pd.DataFrame, views: list[dict]) -> pd.DataFrame:
    """``views``: dicts with ``name``, ``join_keys``, ``features``, ``source``, ``ttl``,
    ``timestamp_field``, ``created_timestamp_column``."""
    out = entity_df.copy()
    left = entity_df.reset_index(drop=True)
    left["_pos"] = np.arange(len(left))
    left["_ts"] = _utc(left["event_timestamp"])
    left = left.sort_values("_ts", kind="stable")
    for view in views:
        keys, features, src = list(view["join_keys"]), list(view["features"]), view["source"]
        right = src[keys + features].copy()
        right["_fts"] = _utc(src[view["timestamp_field"]])
        right["_cts"] = _utc(src[view["created_timestamp_column"]])
        right = right.sort_values(["_fts", "_cts"], kind="stable")
        joined = pd.merge_asof(
            left[["_ts", "_pos", *keys]],
            right,
            left_on="_ts",
            right_on="_fts",
            by=keys,
            direction="backward",
            allow_exact_matches=True,
            tolerance=None if view["ttl"] is None else pd.Timedelta(view["ttl"]),
        )
        joined = joined.sort_values("_pos")
        for feature in features:
            out[f"{view['name']}__{feature}"] = joined[feature].to_numpy(dtype=np.float64)
    return out
