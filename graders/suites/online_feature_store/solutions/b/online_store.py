"""Style B: plain-Python row selection (a dict of the best row per entity) and Lua scripts:
materialize is ONE atomic compare-and-set script over all keys, serving is ONE EVAL that
HMGETs every key and returns a flat array; skew compares per cell in Python."""

from __future__ import annotations

import math
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



# KEYS: the hashes. ARGV[1] = number of features F, ARGV[2..F+1] = feature names, then per
# key: ts, created, pexpire ms, F values (all strings). A stored row wins when its
# (_ts, _created) >= the new one. Returns the number of hashes written.
_MATERIALIZE_LUA = """
local unpack = unpack or table.unpack
local nf = tonumber(ARGV[1])
local per = 3 + nf
local written = 0
for i = 1, #KEYS do
  local o = 1 + nf + (i - 1) * per
  local ts = tonumber(ARGV[o + 1])
  local created = tonumber(ARGV[o + 2])
  local cur = redis.call('HMGET', KEYS[i], '_ts', '_created')
  local keep = false
  local sts = cur[1] and tonumber(cur[1])
  if sts then
    local scr = cur[2] and tonumber(cur[2])
    if sts > ts or (sts == ts and scr and scr >= created) then
      keep = true
    end
  end
  if not keep then
    local args = {'_ts', ARGV[o + 1], '_created', ARGV[o + 2]}
    for j = 1, nf do
      args[#args + 1] = ARGV[1 + j]
      args[#args + 1] = ARGV[o + 3 + j]
    end
    redis.call('DEL', KEYS[i])
    redis.call('HSET', KEYS[i], unpack(args))
    redis.call('PEXPIRE', KEYS[i], ARGV[o + 3])
    written = written + 1
  end
end
return written
"""

# ARGV: groups of [n_fields, field..., n_keys]; KEYS: the keys of every group in order.
# Returns every HMGET reply flattened (missing -> nil).
_READ_LUA = """
local unpack = unpack or table.unpack
local out = {}
local a = 1
local k = 1
while a <= #ARGV do
  local nf = tonumber(ARGV[a])
  local fields = {}
  for j = 1, nf do fields[j] = ARGV[a + j] end
  local nk = tonumber(ARGV[a + nf + 1])
  a = a + nf + 2
  for i = 1, nk do
    local reply = redis.call('HMGET', KEYS[k], unpack(fields))
    k = k + 1
    for j = 1, nf do
      local v = reply[j]
      if v == nil then v = false end
      out[#out + 1] = v
    end
  end
end
return out
"""


def _best_rows(
    view: FeatureView, source: pd.DataFrame, now: float
) -> dict[Any, tuple[float, float, list[float]]]:
    """entity -> (ts, created, values) of its latest row with ts <= now, if valid at now."""
    names = [view.entity_key, view.timestamp_field, view.created_timestamp_column]
    for name in (*names, *view.features):
        if name not in source.columns:
            raise KeyError(name)
    ids = source[view.entity_key].tolist()
    tss = source[view.timestamp_field].astype("float64").tolist()
    crs = source[view.created_timestamp_column].astype("float64").tolist()
    feats = [source[f].astype("float64").tolist() for f in view.features]
    best: dict[Any, tuple[float, float, int]] = {}
    for i, (entity, ts, cr) in enumerate(zip(ids, tss, crs)):
        if not ts <= now:
            continue
        held = best.get(entity)
        if held is None or ts > held[0] or (ts == held[0] and cr > held[1]):
            best[entity] = (ts, cr, i)
    ttl = view.ttl_s
    return {
        entity: (ts, cr, [col[i] for col in feats])
        for entity, (ts, cr, i) in best.items()
        if now - ts <= ttl
    }


def materialize(
    client: Any, prefix: str, view: FeatureView, source: pd.DataFrame, now: float
) -> int:
    """Write the latest valid row of every entity of ``source`` into Redis: one atomic
    compare-and-set Lua script for all entities (one round trip)."""
    if not (view.ttl_s > 0):
        raise ValueError("ttl_s must be > 0")
    rows = _best_rows(view, source, now)
    if not rows:
        return 0
    keys: list[str] = []
    args: list[Any] = [len(view.features), *view.features]
    for entity, (ts, cr, vals) in rows.items():
        keys.append(f"{prefix}{view.name}:{entity}")
        ms = math.ceil((ts + view.ttl_s - now) * 1000)
        args.append(repr(ts))
        args.append(repr(cr))
        args.append(str(ms if ms >= 1 else 1))
        args.extend(repr(float(v)) for v in vals)
    return int(client.eval(_MATERIALIZE_LUA, len(keys), *keys, *args))


def _split_ref(by_name: Mapping[str, FeatureView], ref: Any) -> tuple[FeatureView, str]:
    if isinstance(ref, str):
        # try every ':' from the right: feature names rarely hold ':', view names might
        cut = ref.rfind(":")
        while cut > 0:
            view = by_name.get(ref[:cut])
            feature = ref[cut + 1 :]
            if view is not None and feature in view.features:
                return view, feature
            cut = ref.rfind(":", 0, cut)
    raise KeyError(f"unknown feature reference {ref!r}")


def get_online_features(
    client: Any,
    prefix: str,
    views: Sequence[FeatureView],
    entity_keys: Sequence[Any],
    feature_refs: Sequence[str],
    now: float,
) -> OnlineResponse:
    """Feature values of many entities in ONE EVAL, with a status per value."""
    by_name = {view.name: view for view in views}
    refs = list(feature_refs)
    wanted = [_split_ref(by_name, ref) for ref in refs]
    ents = list(entity_keys)
    labels = [str(e) for e in ents]
    unique = list(dict.fromkeys(labels))

    groups: dict[str, list[str]] = {}
    for view, feature in wanted:
        fields = groups.setdefault(view.name, ["_ts"])
        if feature not in fields:
            fields.append(feature)

    cells: dict[tuple[str, str], dict[str, tuple[str, float]]] = {}
    if unique and refs:
        keys: list[str] = []
        args: list[Any] = []
        for name, fields in groups.items():
            args.append(len(fields))
            args.extend(fields)
            args.append(len(unique))
            keys.extend(f"{prefix}{name}:{label}" for label in unique)
        flat = client.eval(_READ_LUA, len(keys), *keys, *args)
        pos = 0
        for name, fields in groups.items():
            ttl = by_name[name].ttl_s
            width = len(fields)
            for label in unique:
                reply = flat[pos : pos + width]
                pos += width
                ts = reply[0]
                old = ts is not None and now - float(ts) > ttl
                got: dict[str, tuple[str, float]] = {}
                for field, raw in zip(fields[1:], reply[1:]):
                    if raw is None:
                        got[field] = (NOT_FOUND, math.nan)
                    elif old:
                        got[field] = (OUTSIDE_MAX_AGE, math.nan)
                    else:
                        got[field] = (PRESENT, float(raw))
                cells[(name, label)] = got

    missing = (NOT_FOUND, math.nan)
    value_rows = []
    status_rows = []
    for label in labels:
        vrow = []
        srow = []
        for view, feature in wanted:
            status, value = cells.get((view.name, label), {}).get(feature, missing)
            vrow.append(value)
            srow.append(status)
        value_rows.append(vrow)
        status_rows.append(srow)
    index = pd.Index(ents)
    values = pd.DataFrame(value_rows, index=index, columns=refs, dtype="float64")
    statuses = pd.DataFrame(status_rows, index=index, columns=refs, dtype=object)
    if not ents:
        values = pd.DataFrame(index=index, columns=refs, dtype="float64")
        statuses = pd.DataFrame(index=index, columns=refs, dtype=object)
    return OnlineResponse(values, statuses)


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
    ents = list(entity_keys)
    refs = list(feature_refs)
    served = get_online_features(client, prefix, views, ents, refs, now).values
    by_name = {view.name: view for view in views}
    offline_rows: dict[str, dict[str, tuple[float, float, list[float]]]] = {}
    records = []
    for i, entity in enumerate(ents):
        label = str(entity)
        for j, ref in enumerate(refs):
            view, feature = _split_ref(by_name, ref)
            if view.name not in offline_rows:
                offline_rows[view.name] = {
                    str(k): v for k, v in _best_rows(view, sources[view.name], now).items()
                }
            row = offline_rows[view.name].get(label)
            offline = row[2][view.features.index(feature)] if row is not None else math.nan
            online = float(served.iat[i, j])
            if math.isnan(online) and math.isnan(offline):
                continue
            if abs(online - offline) <= rtol * abs(offline):  # False whenever a NaN is involved
                continue
            records.append((entity, ref, online, offline))
    report = pd.DataFrame(records, columns=["entity_key", "feature_ref", "online", "offline"])
    return report.astype({"online": "float64", "offline": "float64"})
