"""Style B: pure numpy. Join keys are factorised into one integer code, times are ranked jointly,
and each entity row finds its feature row with one np.searchsorted on the packed
(key code, time rank) of the source sorted by (key, feature ts, created ts)."""

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


class _TimeColumn:
    """A validated timestamp column: its label, whether it is tz-aware, and its instants."""

    def __init__(self, label: str, series: pd.Series):
        dtype = series.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            self.aware = True
        elif isinstance(dtype, np.dtype) and dtype.kind == "M":
            self.aware = False
        else:
            raise TypeError(f"column {label} must be datetime64, not {dtype}")
        self.label = label
        self.series = series

    def nanoseconds(self) -> tuple[np.ndarray, np.ndarray]:
        """(int64 ns since epoch of the instant, mask of non-NaT)."""
        values = self.series.dt.tz_convert("UTC") if self.aware else self.series
        values = values.dt.as_unit("ns")
        raw = values.to_numpy(dtype="datetime64[ns]") if not self.aware else (
            values.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
        )
        ok = ~np.isnat(raw)
        return raw.view(np.int64), ok


def _key_codes(entity_df: pd.DataFrame, source: pd.DataFrame, keys: list[str]):
    """One int64 code per row for the tuple of join keys, shared by entity and source rows."""
    n_e = len(entity_df)
    code = np.zeros(n_e + len(source), dtype=np.int64)
    for k in keys:
        both = np.concatenate([entity_df[k].to_numpy(), source[k].to_numpy()])
        part, uniques = pd.factorize(both, use_na_sentinel=False)
        code = code * max(len(uniques), 1) + part
        code, _ = pd.factorize(code)  # keep the codes dense (no overflow with many keys)
        code = code.astype(np.int64)
    return code[:n_e], code[n_e:]


def get_historical_features(
    entity_df: pd.DataFrame, feature_views: Sequence[FeatureView]
) -> pd.DataFrame:
    """Point-in-time join of every feature view onto the entity rows (Feast semantics)."""
    if ENTITY_TIMESTAMP not in entity_df.columns:
        raise KeyError(ENTITY_TIMESTAMP)
    for view in feature_views:
        for key in view.join_keys:
            if key not in entity_df.columns:
                raise KeyError(f"entity_df has no join key {key!r} of view {view.name!r}")
        needed = [*view.join_keys, view.timestamp_field, view.created_timestamp_column,
                  *view.features]
        for col in needed:
            if col not in view.source.columns:
                raise KeyError(f"source of view {view.name!r} has no column {col!r}")

    entity_time = _TimeColumn(f"entity_df[{ENTITY_TIMESTAMP!r}]", entity_df[ENTITY_TIMESTAMP])
    columns = [entity_time]
    per_view = []
    for view in feature_views:
        ft = _TimeColumn(f"{view.name}[{view.timestamp_field!r}]", view.source[view.timestamp_field])
        ct = _TimeColumn(
            f"{view.name}[{view.created_timestamp_column!r}]",
            view.source[view.created_timestamp_column],
        )
        columns += [ft, ct]
        per_view.append((view, ft, ct))
    kinds = {c.aware for c in columns}
    if len(kinds) > 1:
        aware = ", ".join(c.label for c in columns if c.aware)
        naive = ", ".join(c.label for c in columns if not c.aware)
        raise TypeError(f"cannot mix tz-aware ({aware}) and tz-naive ({naive}) timestamps")
    for view in feature_views:
        if view.ttl is not None and pd.Timedelta(view.ttl) < pd.Timedelta(0):
            raise ValueError(f"view {view.name!r} has a negative ttl")

    n = len(entity_df)
    e_ns, e_ok = entity_time.nanoseconds()
    blocks = {}
    for view, ft, ct in per_view:
        feats = list(view.features)
        out = np.full((len(feats), n), np.nan)
        src = view.source
        if n and len(src):
            e_code, s_code = _key_codes(entity_df, src, list(view.join_keys))
            f_ns, f_ok = ft.nanoseconds()
            c_ns, _ = ct.nanoseconds()  # NaT created = int64 min = the oldest write
            rows = np.flatnonzero(f_ok)
            if len(rows):
                order = rows[np.lexsort((c_ns[rows], f_ns[rows], s_code[rows]))]
                s_code_sorted = s_code[order]
                f_sorted = f_ns[order]
                # dense joint rank of the times so that (code, rank) packs into one int64
                times, inverse = np.unique(np.concatenate([f_sorted, e_ns]), return_inverse=True)
                inverse = inverse.reshape(-1)
                span = np.int64(len(times))
                s_packed = s_code_sorted * span + inverse[: len(order)]
                e_packed = e_code * span + inverse[len(order):]
                # last source row with (code, time) <= (entity code, entity time); among equal
                # (code, feature ts) the sort put the largest created ts last
                pos = np.searchsorted(s_packed, e_packed, side="right") - 1
                safe = np.maximum(pos, 0)
                hit = e_ok & (pos >= 0) & (s_code_sorted[safe] == e_code)
                if view.ttl is not None:
                    ttl_ns = pd.Timedelta(view.ttl).as_unit("ns").value
                    hit &= (e_ns - f_sorted[safe]) <= ttl_ns
                take = order[safe[hit]]
                for i, f in enumerate(feats):
                    out[i, hit] = src[f].to_numpy(dtype=np.float64)[take]
        for i, f in enumerate(feats):
            blocks[f"{view.name}__{f}"] = out[i]

    extra = pd.DataFrame(blocks, index=entity_df.index, columns=list(blocks), dtype=np.float64)
    # same index object on both sides: concat lines the rows up as they are (even if not unique)
    return pd.concat([entity_df.copy(), extra], axis=1)
