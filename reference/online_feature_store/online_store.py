"""The online half of a feature store on Redis (reference solution).

Layout, as in Feast's Redis online store (feast.infra.online_stores.redis): one hash per
(feature view, entity) under ``f"{prefix}{view.name}:{entity}"`` holding one field per feature
(``repr(float)``), ``_ts`` (the row's event timestamp) and ``_created`` (its created
timestamp), in seconds since the epoch.

- ``materialize`` writes, per entity, the latest source row at or before ``now`` (ties broken
  by the larger created timestamp) that is still within the view's TTL. Like Feast it never
  replaces a stored row with an older one: the stored ``(_ts, _created)`` are read for every
  entity in one pipelined round trip, then every newer row is written in a second one, each
  hash with ``PEXPIRE`` set to the time its value has left to live (``_ts + ttl - now``), so
  Redis evicts values when they go stale rather than ``ttl`` after they were written.
- ``get_online_features`` reads every (view, entity) hash with one ``HMGET`` each, all in a
  single pipeline (one round trip for any number of entities and features), and reports each
  value's status as Feast does: ``PRESENT``, ``NOT_FOUND``, or ``OUTSIDE_MAX_AGE`` when the
  stored row is older than the TTL at ``now`` (Redis evicts lazily and on its own clock, so the
  reader checks the age itself).
- ``skew_report`` compares online values with the point-in-time value at ``now`` computed from
  the offline source: the train/serve skew check.
"""

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


def _redis_key(prefix: str, view: FeatureView, entity: Any) -> str:
    """The hash holding ``entity``'s row of ``view``."""
    return f"{prefix}{view.name}:{entity}"


def _latest_rows(view: FeatureView, source: pd.DataFrame, now: float) -> pd.DataFrame:
    """Per entity, the latest row with event timestamp <= now (ties: larger created) that is
    still within the TTL at ``now``."""
    cols = [view.entity_key, view.timestamp_field, view.created_timestamp_column, *view.features]
    missing = [c for c in cols if c not in source.columns]
    if missing:
        raise KeyError(f"the source of view {view.name!r} lacks {missing}")
    ts = source[view.timestamp_field].to_numpy(dtype=np.float64)
    rows = source.loc[ts <= now, cols]
    rows = rows.sort_values([view.timestamp_field, view.created_timestamp_column], kind="stable")
    latest = rows.drop_duplicates(view.entity_key, keep="last")
    age = now - latest[view.timestamp_field].to_numpy(dtype=np.float64)
    return latest[age <= view.ttl_s]


def materialize(
    client: Any, prefix: str, view: FeatureView, source: pd.DataFrame, now: float
) -> int:
    """Write the latest valid row of every entity of ``source`` into Redis (see the module
    docstring); return the number of hashes written."""
    if not view.ttl_s > 0:  # NaN too
        raise ValueError(f"view {view.name!r}: ttl_s must be positive, got {view.ttl_s}")
    latest = _latest_rows(view, source, now)
    if latest.empty:
        return 0
    entities = latest[view.entity_key].tolist()
    keys = [_redis_key(prefix, view, e) for e in entities]
    ts = latest[view.timestamp_field].to_numpy(dtype=np.float64)
    created = latest[view.created_timestamp_column].to_numpy(dtype=np.float64)
    values = latest[list(view.features)].to_numpy(dtype=np.float64)

    read = client.pipeline(transaction=False)
    for key in keys:
        read.hmget(key, [TS_FIELD, CREATED_FIELD])
    stored = read.execute()

    write = client.pipeline(transaction=True)  # MULTI/EXEC: each hash and its expiry at once
    written = 0
    for i, key in enumerate(keys):
        old_ts, old_created = stored[i]
        if old_ts is not None and (float(old_ts), float(old_created)) >= (ts[i], created[i]):
            continue  # never replace a row with an older one
        mapping = {f: repr(float(v)) for f, v in zip(view.features, values[i], strict=True)}
        mapping[TS_FIELD] = repr(float(ts[i]))
        mapping[CREATED_FIELD] = repr(float(created[i]))
        write.hset(key, mapping=mapping)
        write.pexpire(key, max(1, math.ceil((ts[i] + view.ttl_s - now) * 1000.0)))
        written += 1
    if written:
        write.execute()
    return written


def _parse_refs(views: Sequence[FeatureView], feature_refs: Sequence[str]):
    by_name = {v.name: v for v in views}
    parsed = []
    for ref in feature_refs:
        name, sep, feature = ref.partition(":")
        if not sep or name not in by_name or feature not in by_name[name].features:
            raise KeyError(f"unknown feature reference {ref!r}")
        parsed.append((by_name[name], feature))
    return parsed


def get_online_features(
    client: Any,
    prefix: str,
    views: Sequence[FeatureView],
    entity_keys: Sequence[Any],
    feature_refs: Sequence[str],
    now: float,
) -> OnlineResponse:
    """Feature values of ``entity_keys`` in one pipelined round trip (see the module
    docstring)."""
    parsed = _parse_refs(views, feature_refs)
    needed: dict[str, list[str]] = {}
    view_of: dict[str, FeatureView] = {}
    for view, feature in parsed:
        needed.setdefault(view.name, [])
        view_of[view.name] = view
        if feature not in needed[view.name]:
            needed[view.name].append(feature)
    n, m = len(entity_keys), len(parsed)
    values = np.full((n, m), np.nan)
    statuses = np.full((n, m), NOT_FOUND, dtype=object)
    if n and m:
        pipe = client.pipeline(transaction=False)
        order = list(needed)
        for entity in entity_keys:
            for name in order:
                pipe.hmget(_redis_key(prefix, view_of[name], entity), [*needed[name], TS_FIELD])
        replies = iter(pipe.execute())
        column = {(v.name, f): j for j, (v, f) in enumerate(parsed)}  # one column per ref
        for i in range(n):
            for name in order:
                reply = next(replies)
                stored_ts = reply[-1]
                if stored_ts is None:
                    continue
                fresh = now - float(stored_ts) <= view_of[name].ttl_s
                for feature, raw in zip(needed[name], reply[:-1], strict=True):
                    j = column[(name, feature)]
                    if raw is None:
                        continue  # a field that is not there is NOT_FOUND, however old
                    if not fresh:
                        statuses[i, j] = OUTSIDE_MAX_AGE
                    else:
                        statuses[i, j] = PRESENT
                        values[i, j] = float(raw)
        # a reference repeated in feature_refs gets the same value in every copy
        for j, (view, feature) in enumerate(parsed):
            filled = column[(view.name, feature)]
            if filled != j:
                values[:, j], statuses[:, j] = values[:, filled], statuses[:, filled]
    index = pd.Index(list(entity_keys))
    return OnlineResponse(
        pd.DataFrame(values, index=index, columns=list(feature_refs)),
        pd.DataFrame(statuses, index=index, columns=list(feature_refs)),
    )


SKEW_COLUMNS = ["entity_key", "feature_ref", "online", "offline"]


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
    """Every (entity, feature) whose online value disagrees with the point-in-time value at
    ``now`` from the offline source (see the statement for the agreement rule)."""
    online = get_online_features(client, prefix, views, entity_keys, feature_refs, now).values
    parsed = _parse_refs(views, feature_refs)
    offline = np.full(online.shape, np.nan)
    for view in {v.name: v for v, _ in parsed}.values():
        latest = _latest_rows(view, sources[view.name], now).set_index(view.entity_key)
        rows = latest.reindex(pd.Index(list(entity_keys)))
        for j, (v, feature) in enumerate(parsed):
            if v.name == view.name:
                offline[:, j] = rows[feature].to_numpy(dtype=np.float64)
    got = online.to_numpy(dtype=np.float64)
    both_nan = np.isnan(got) & np.isnan(offline)
    with np.errstate(invalid="ignore"):
        close = np.abs(got - offline) <= rtol * np.abs(offline)
    bad = ~(both_nan | close)
    rows_i, cols_j = np.nonzero(bad)  # row-major: entity order, then feature order
    return pd.DataFrame(
        {
            "entity_key": pd.Series([entity_keys[i] for i in rows_i], dtype=object),
            "feature_ref": pd.Series([feature_refs[j] for j in cols_j], dtype=object),
            "online": got[rows_i, cols_j],
            "offline": offline[rows_i, cols_j],
        },
        columns=SKEW_COLUMNS,
    )
