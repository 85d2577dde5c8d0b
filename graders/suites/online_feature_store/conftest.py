"""Fixtures of the online_feature_store hidden suite: the modules, random sources, and a
brute-force oracle of the point-in-time row at ``now``."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

BASE_NOW = 1_750_000_000.0


def quarter(x) -> np.ndarray:
    """Round to multiples of 0.25 s: exact in float64, so boundary sums are exact."""
    return np.round(np.asarray(x, dtype=np.float64) * 4.0) / 4.0


def make_source(rng, entities, now, ttl, features, *, rows=(1, 6), expired=0.2, future=0.15,
                ties=0.15, nan_rate=0.05, entity_col="user_id") -> pd.DataFrame:  # fmt: skip
    """A random source: per entity 1-5 rows at least 10 s old, a share of them older than the
    TTL, some rows in the future (event_timestamp > now), same-timestamp corrections with a
    larger created timestamp, NaN feature values."""
    keys, ts, created = [], [], []
    for e in entities:
        k = int(rng.integers(*rows))
        for _ in range(k):
            r = rng.random()
            if r < expired:
                t = now - ttl - rng.uniform(1.0, ttl)
            elif r < expired + future:
                t = now + rng.uniform(1.0, 3600.0)
            else:
                t = now - rng.uniform(10.0, ttl - 120.0)
            keys.append(e)
            ts.append(t)
            created.append(t + rng.uniform(0.0, 30.0))
    ts_a, created_a = quarter(ts), quarter(created)
    dup = rng.random(len(keys)) < ties
    keys = keys + [k for k, d in zip(keys, dup, strict=True) if d]
    ts_a = np.concatenate([ts_a, ts_a[dup]])
    created_a = np.concatenate([created_a, created_a[dup] + quarter(rng.uniform(1, 60, dup.sum()))])
    n = len(keys)
    frame = pd.DataFrame({entity_col: pd.Series(keys)})
    frame["event_timestamp"] = ts_a
    frame["created_timestamp"] = created_a
    for f in features:
        values = np.round(rng.normal(50.0, 20.0, size=n), 4)
        values[rng.random(n) < nan_rate] = np.nan
        frame[f] = values
    return frame.iloc[rng.permutation(n)].reset_index(drop=True)


def pit_rows(source: pd.DataFrame, entity_col: str, now: float, ttl: float) -> dict:
    """Brute force: entity -> index of its point-in-time row at ``now`` (the latest row with
    event_timestamp <= now, ties by larger created), only when that row is valid at now."""
    best: dict = {}
    ts = source["event_timestamp"].tolist()
    created = source["created_timestamp"].tolist()
    for i, e in enumerate(source[entity_col].tolist()):
        if ts[i] > now:
            continue
        j = best.get(e)
        if j is None or (ts[i], created[i]) > (ts[j], created[j]):
            best[e] = i
    return {e: i for e, i in best.items() if now - ts[i] <= ttl}


def expected_hash(source: pd.DataFrame, i: int, features) -> dict:
    """The fields the statement's layout gives the hash of row ``i``."""
    row = source.iloc[i]
    fields = {f: repr(float(row[f])) for f in features}
    fields["_ts"] = repr(float(row["event_timestamp"]))
    fields["_created"] = repr(float(row["created_timestamp"]))
    return fields


def expected_pttl_ms(ts: float, ttl: float, now: float) -> int:
    """The statement's expiry: ceil((event_timestamp + ttl_s - now) * 1000), at least 1."""
    return max(1, math.ceil((ts + ttl - now) * 1000.0))


def populate(client, prefix: str, view_name: str, source: pd.DataFrame, entity_col, features,
             rows: dict, now: float, ttl: float) -> None:  # fmt: skip
    """Write the hashes of ``rows`` in the statement's layout with the test's own client (so
    read tests do not depend on the candidate's materialize)."""
    pipe = client.pipeline(transaction=False)
    for e, i in rows.items():
        key = f"{prefix}{view_name}:{e}"
        pipe.hset(key, mapping=expected_hash(source, i, features))
        ts = float(source["event_timestamp"].iloc[i])
        pipe.pexpire(key, expected_pttl_ms(ts, ttl, now))
    pipe.execute()


def str_ids(rng, n: int) -> list[str]:
    """Distinct string entity ids."""
    return [f"m_{i:05d}" for i in rng.choice(10**5, size=n, replace=False)]


def int_ids(rng, n: int) -> list[int]:
    """Distinct int entity ids."""
    return [int(i) for i in rng.choice(10**6, size=n, replace=False)]


@pytest.fixture(scope="session")
def ofs():
    """The suite's helpers (test files cannot import conftest under --import-mode=importlib)."""
    return SimpleNamespace(
        BASE_NOW=BASE_NOW,
        quarter=quarter,
        make_source=make_source,
        pit_rows=pit_rows,
        expected_hash=expected_hash,
        expected_pttl_ms=expected_pttl_ms,
        populate=populate,
        str_ids=str_ids,
        int_ids=int_ids,
    )
