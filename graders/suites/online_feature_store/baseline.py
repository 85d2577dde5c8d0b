"""The bar of online_feature_store's timing gate (baseline sandbox only): a plain, well-written
``get_online_features``. One pipeline of one HMGET per (entity, view) holding that view's
requested features and ``_ts``, executed once; statuses and values filled from the replies in
plain Python loops into numpy arrays, then wrapped in DataFrames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class FeatureView:
    name: str
    entity_key: str
    features: tuple
    ttl_s: float


@dataclass(frozen=True)
class OnlineResponse:
    values: pd.DataFrame
    statuses: pd.DataFrame


def get_online_features(client, prefix, views, entity_keys, feature_refs, now):
    by_name = {v.name: v for v in views}
    refs = []
    for ref in feature_refs:
        name, _, feature = ref.partition(":")
        if name not in by_name or feature not in by_name[name].features:
            raise KeyError(ref)
        refs.append((name, feature))
    wanted: dict[str, list[str]] = {}
    for name, feature in refs:
        if feature not in wanted.setdefault(name, []):
            wanted[name].append(feature)
    n, m = len(entity_keys), len(refs)
    values = np.full((n, m), np.nan)
    statuses = np.full((n, m), "NOT_FOUND", dtype=object)
    if n and m:
        pipe = client.pipeline(transaction=False)
        for entity in entity_keys:
            for name, fields in wanted.items():
                pipe.hmget(f"{prefix}{name}:{entity}", [*fields, "_ts"])
        replies = pipe.execute()
        k = 0
        for i in range(n):
            got = {}
            for name, fields in wanted.items():
                reply = replies[k]
                k += 1
                if reply[-1] is None:
                    continue
                fresh = now - float(reply[-1]) <= by_name[name].ttl_s
                for field, raw in zip(fields, reply, strict=False):
                    if raw is not None:
                        got[(name, field)] = (fresh, raw)
            for j, key in enumerate(refs):
                if key in got:
                    fresh, raw = got[key]
                    if fresh:
                        statuses[i, j] = "PRESENT"
                        values[i, j] = float(raw)
                    else:
                        statuses[i, j] = "OUTSIDE_MAX_AGE"
    index = pd.Index(list(entity_keys))
    return OnlineResponse(
        pd.DataFrame(values, index=index, columns=list(feature_refs)),
        pd.DataFrame(statuses, index=index, columns=list(feature_refs)),
    )
