"""Style A: pandas/numpy vectorised row selection, a read pipeline then a MULTI/EXEC write
pipeline for materialize (2 round trips), one HMGET pipeline for serving, numpy for skew."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
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



def _columns(view: FeatureView) -> list[str]:
    return [
        view.entity_key,
        view.timestamp_field,
        view.created_timestamp_column,
        *view.features,
    ]


def _latest_valid(view: FeatureView, source: pd.DataFrame, now: float) -> pd.DataFrame:
    """Per entity, the latest row with event_timestamp <= now (ties: larger created
    timestamp), kept only if it is valid at ``now``. Columns as ``_columns(view)``."""
    cols = _columns(view)
    missing = [c for c in dict.fromkeys(cols) if c not in source.columns]
    if missing:
        raise KeyError(missing[0])
    frame = source.loc[:, list(dict.fromkeys(cols))]
    ts = frame[view.timestamp_field].to_numpy(dtype=np.float64)
    frame = frame[ts <= now]
    frame = frame.sort_values(
        [view.timestamp_field, view.created_timestamp_column], kind="mergesort"
    )
    frame = frame.drop_duplicates(subset=[view.entity_key], keep="last")
    ts = frame[view.timestamp_field].to_numpy(dtype=np.float64)
    return frame[(now - ts) <= view.ttl_s]


def _key(prefix: str, view_name: str, entity: Any) -> str:
    return f"{prefix}{view_name}:{entity}"


def materialize(
    client: Any, prefix: str, view: FeatureView, source: pd.DataFrame, now: float
) -> int:
    """Write the latest valid row of every entity of ``source`` into Redis (2 round trips:
    one pipeline reading the stored (_ts, _created), one MULTI/EXEC writing the winners)."""
    if not view.ttl_s > 0:
        raise ValueError(f"view {view.name!r}: ttl_s must be > 0, got {view.ttl_s!r}")
    rows = _latest_valid(view, source, now)
    if rows.empty:
        return 0
    entities = rows[view.entity_key].tolist()
    ts = rows[view.timestamp_field].to_numpy(dtype=np.float64).tolist()
    created = rows[view.created_timestamp_column].to_numpy(dtype=np.float64).tolist()
    values = [rows[f].to_numpy(dtype=np.float64).tolist() for f in view.features]
    keys = [_key(prefix, view.name, e) for e in entities]

    reader = client.pipeline(transaction=False)
    for key in keys:
        reader.hmget(key, TS_FIELD, CREATED_FIELD)
    stored = reader.execute()

    writer = client.pipeline(transaction=True)
    written = 0
    ttl = view.ttl_s
    for i, key in enumerate(keys):
        old_ts, old_created = stored[i]
        if old_ts is not None:
            old = (float(old_ts), float(old_created) if old_created is not None else -math.inf)
            if old >= (ts[i], created[i]):
                continue  # the stored row is at least as recent
        mapping = {f: repr(float(values[j][i])) for j, f in enumerate(view.features)}
        mapping[TS_FIELD] = repr(ts[i])
        mapping[CREATED_FIELD] = repr(created[i])
        writer.delete(key)
        writer.hset(key, mapping=mapping)
        writer.pexpire(key, max(1, math.ceil((ts[i] + ttl - now) * 1000)))
        written += 1
    if written:
        writer.execute()
    return written


def _resolve(views: Sequence[FeatureView], ref: str) -> tuple[FeatureView, str]:
    """The (view, feature) a ``"view_name:feature"`` reference names, else KeyError."""
    by_name = {v.name: v for v in views}
    if isinstance(ref, str):
        at = ref.find(":")
        while at != -1:
            view = by_name.get(ref[:at])
            if view is not None and ref[at + 1 :] in view.features:
                return view, ref[at + 1 :]
            at = ref.find(":", at + 1)
    raise KeyError(ref)


def get_online_features(
    client: Any,
    prefix: str,
    views: Sequence[FeatureView],
    entity_keys: Sequence[Any],
    feature_refs: Sequence[str],
    now: float,
) -> OnlineResponse:
    """Feature values of many entities in one pipelined round trip, with a status per value."""
    entity_keys = list(entity_keys)
    feature_refs = list(feature_refs)
    resolved = [_resolve(views, ref) for ref in feature_refs]

    # the distinct (view, features) to read and the columns each one fills
    plan: dict[str, tuple[FeatureView, list[str], list[tuple[int, int]]]] = {}
    for col, (view, feature) in enumerate(resolved):
        entry = plan.setdefault(view.name, (view, [], []))
        if feature not in entry[1]:
            entry[1].append(feature)
        entry[2].append((col, entry[1].index(feature)))

    distinct = list(dict.fromkeys(str(e) for e in entity_keys))
    row_of = {e: i for i, e in enumerate(distinct)}
    n_rows, n_cols = len(distinct), len(feature_refs)
    values = np.full((n_rows, n_cols), np.nan, dtype=np.float64)
    statuses = np.full((n_rows, n_cols), NOT_FOUND, dtype=object)

    if n_rows and n_cols:
        pipe = client.pipeline(transaction=False)
        for view, features, _ in plan.values():
            for entity in distinct:
                pipe.hmget(_key(prefix, view.name, entity), TS_FIELD, *features)
        replies = pipe.execute()
        at = 0
        for view, features, columns in plan.values():
            ttl = view.ttl_s
            for r in range(n_rows):
                reply = replies[at]
                at += 1
                ts = reply[0]
                stale = ts is not None and now - float(ts) > ttl
                for col, k in columns:
                    raw = reply[k + 1]
                    if raw is None:
                        continue  # NOT_FOUND, NaN
                    if stale:
                        statuses[r, col] = OUTSIDE_MAX_AGE
                    else:
                        statuses[r, col] = PRESENT
                        values[r, col] = float(raw)

    take = [row_of[str(e)] for e in entity_keys]
    index = pd.Index(entity_keys)
    return OnlineResponse(
        values=pd.DataFrame(values[take], index=index, columns=feature_refs, dtype=np.float64),
        statuses=pd.DataFrame(statuses[take], index=index, columns=feature_refs, dtype=object),
    )


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
    """Train/serve skew: online values that disagree with the point-in-time value at ``now``."""
    entity_keys = list(entity_keys)
    feature_refs = list(feature_refs)
    online = get_online_features(client, prefix, views, entity_keys, feature_refs, now)
    on = online.values.to_numpy(dtype=np.float64)

    off = np.full(on.shape, np.nan, dtype=np.float64)
    resolved = [_resolve(views, ref) for ref in feature_refs]
    tables: dict[str, pd.DataFrame] = {}
    wanted = pd.Index([str(e) for e in entity_keys])
    for col, (view, feature) in enumerate(resolved):
        if view.name not in tables:
            rows = _latest_valid(view, sources[view.name], now)
            table = rows.set_index(rows[view.entity_key].map(str))
            tables[view.name] = table.reindex(wanted)
        off[:, col] = tables[view.name][feature].to_numpy(dtype=np.float64)

    with np.errstate(invalid="ignore"):
        agree = (np.isnan(on) & np.isnan(off)) | (np.abs(on - off) <= rtol * np.abs(off))
    rows_idx, cols_idx = np.nonzero(~agree)  # row-major: entity order, then reference order
    ids = [entity_keys[i] for i in rows_idx]
    return pd.DataFrame(
        {
            "entity_key": pd.Series(ids, dtype=None if ids else object),
            "feature_ref": pd.Series([feature_refs[j] for j in cols_idx], dtype=object),
            "online": pd.Series(on[rows_idx, cols_idx], dtype=np.float64),
            "offline": pd.Series(off[rows_idx, cols_idx], dtype=np.float64),
        },
        columns=["entity_key", "feature_ref", "online", "offline"],
    )
