"""Fixtures of the point_in_time_join hidden suite: the modules, random feature-store worlds,
a brute-force oracle and a comparison that explains the first wrong row."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

T0 = pd.Timestamp("2024-03-09 00:00", tz="UTC")  # the span crosses New York's DST change
MINUTE = 60 * 10**9


# -- timestamps ----------------------------------------------------------------------------------


def stamps(minutes, tz: str | None = "UTC", unit: str = "ns") -> pd.Series:
    """A datetime64 column for offsets in minutes from T0 (an instant), shown in ``tz``
    (``None``: tz-naive UTC wall clock) at resolution ``unit``."""
    values = T0 + pd.to_timedelta(np.asarray(minutes, dtype=np.int64), unit="min")
    col = pd.Series(values).dt.as_unit(unit)
    return col.dt.tz_localize(None) if tz is None else col.dt.tz_convert(tz)


def instants_ns(col: pd.Series) -> list[int]:
    """Nanoseconds since the epoch of every value (the instant for aware values, the wall
    clock for naive ones), one Timestamp at a time: the oracle's own conversion."""
    return [pd.Timestamp(x).as_unit("ns").value for x in col]


# -- worlds --------------------------------------------------------------------------------------


@dataclass
class ViewSpec:
    """A view before it is built with the candidate's FeatureView class."""

    name: str
    join_keys: list[str]
    features: list[str]
    source: pd.DataFrame
    ttl: timedelta | None
    timestamp_field: str = "event_timestamp"
    created_timestamp_column: str = "created_timestamp"


@dataclass
class World:
    """An entity DataFrame and the specs of its views."""

    entity_df: pd.DataFrame
    views: list[ViewSpec] = field(default_factory=list)

    def specs(self) -> list[dict]:
        """The views as ``FeatureView`` keyword arguments (for the drivers and the baseline)."""
        return [
            {
                "name": v.name,
                "join_keys": list(v.join_keys),
                "features": list(v.features),
                "source": v.source,
                "ttl": v.ttl,
                "timestamp_field": v.timestamp_field,
                "created_timestamp_column": v.created_timestamp_column,
            }
            for v in self.views
        ]

    def build(self, module) -> list:
        """The views as instances of ``module.FeatureView``."""
        return [
            module.FeatureView(
                name=v.name,
                join_keys=list(v.join_keys),
                features=list(v.features),
                source=v.source,
                ttl=v.ttl,
                timestamp_field=v.timestamp_field,
                created_timestamp_column=v.created_timestamp_column,
            )
            for v in self.views
        ]


def source_frame(rng, keys: dict[str, np.ndarray], minutes, created_minutes, features, *,
                 tz="UTC", unit="ns", ts_name="event_timestamp", created_name="created_timestamp",
                 nan_rate=0.0) -> pd.DataFrame:  # fmt: skip
    """A source table: key columns (str for merchant_id), feature and created timestamps in
    ``tz`` at resolution ``unit``, random float64 features (a share ``nan_rate`` of them NaN)."""
    n = len(minutes)
    frame = pd.DataFrame({k: pd.Series(v) for k, v in keys.items()})
    if "merchant_id" in frame:
        frame["merchant_id"] = frame["merchant_id"].astype("str")
    frame[ts_name] = stamps(minutes, tz, unit)
    frame[created_name] = stamps(created_minutes, tz, unit)
    for name in features:
        values = np.round(rng.normal(10.0, 5.0, size=n), 6)
        if nan_rate:
            values[rng.random(n) < nan_rate] = np.nan
        frame[name] = values
    return frame


def merchant_names(ids) -> np.ndarray:
    """String merchant keys for integer ids."""
    return np.array([f"m{int(i):03d}" for i in ids], dtype=object)


def entity_frame(users, merchants, minutes, *, tz="America/New_York", unit="us", rng=None):
    """An entity DataFrame (user_id, merchant_id, event_timestamp, label) with a shuffled,
    non-default index when ``rng`` is given."""
    n = len(users)
    frame = pd.DataFrame(
        {
            "user_id": pd.Series(np.asarray(users, dtype=np.int64)),
            "merchant_id": pd.Series(merchant_names(merchants)).astype("str"),
            "event_timestamp": stamps(minutes, tz, unit),
            "label": pd.Series(np.arange(n, dtype=np.int64) % 2),
        }
    )
    if rng is not None:
        frame["label"] = rng.integers(0, 2, size=n).astype(np.int64)
        frame.index = pd.Index(rng.permutation(n) * 3 + 11)
    return frame


def random_world(rng, *, n_entities=300, entity_tz="America/New_York", entity_unit="us",
                 tzs=("UTC", "Asia/Kolkata", "UTC"), units=("ns", "ms", "s"),
                 naive=False, exact_share=0.25) -> World:  # fmt: skip
    """Three views (int key, str key, composite key) with different TTLs (one unlimited),
    same-timestamp corrections, NaN values, users without features, and entity rows placed
    exactly on feature timestamps, in random order with a shuffled index."""
    span = 3 * 24 * 60  # minutes
    users = rng.choice(10**6, size=30, replace=False).astype(np.int64)
    merchants = np.arange(8)

    def rows(keys):
        minutes = rng.integers(0, span, size=len(keys))
        created = minutes + rng.integers(0, 30, size=len(keys))
        # same-timestamp corrections: a second row at the same feature ts, created later
        dup = rng.random(len(keys)) < 0.15
        keys = np.concatenate([keys, keys[dup]])
        minutes = np.concatenate([minutes, minutes[dup]])
        created = np.concatenate([created, created[dup] + 1 + rng.integers(0, 60, dup.sum())])
        # no two rows with the same keys, feature ts and created ts (the statement's premise)
        _, first = np.unique(np.stack([keys, minutes, created]), axis=1, return_index=True)
        keep = np.sort(first)
        keys, minutes, created = keys[keep], minutes[keep], created[keep]
        perm = rng.permutation(len(keys))
        return keys[perm], minutes[perm], created[perm]

    u_keys, u_min, u_cr = rows(rng.choice(users[:25], size=400))
    m_keys, m_min, m_cr = rows(rng.choice(merchants, size=120))
    pairs = rng.integers(0, 25 * 8, size=300)
    p_keys, p_min, p_cr = rows(pairs)
    z = [None if naive else tz for tz in tzs]
    views = [
        ViewSpec("user", ["user_id"], ["spend_1h", "txn_count_1d"],
                 source_frame(rng, {"user_id": u_keys}, u_min, u_cr,
                              ["spend_1h", "txn_count_1d"], tz=z[0], unit=units[0],
                              nan_rate=0.05),
                 timedelta(hours=6)),
        ViewSpec("merchant", ["merchant_id"], ["risk"],
                 source_frame(rng, {"merchant_id": merchant_names(m_keys)}, m_min, m_cr,
                              ["risk"], tz=z[1], unit=units[1], ts_name="ts",
                              created_name="written_at"),
                 timedelta(days=1), "ts", "written_at"),
        ViewSpec("user_merchant", ["user_id", "merchant_id"], ["affinity"],
                 source_frame(rng, {"user_id": users[p_keys // 8],
                                    "merchant_id": merchant_names(p_keys % 8)},
                              p_min, p_cr, ["affinity"], tz=z[2], unit=units[2]),
                 None),
    ]  # fmt: skip
    e_users = rng.choice(users, size=n_entities)  # users[25:] have no feature rows
    e_merch = rng.choice(merchants, size=n_entities)
    e_min = rng.integers(0, span + 360, size=n_entities)
    # entity rows exactly on a feature timestamp of their user
    for i in np.flatnonzero(rng.random(n_entities) < exact_share):
        pick = rng.integers(0, len(u_keys))
        e_users[i], e_min[i] = u_keys[pick], u_min[pick]
    entity_df = entity_frame(
        e_users, e_merch, e_min, tz=None if naive else entity_tz, unit=entity_unit, rng=rng
    )
    return World(entity_df, views)


# -- oracle ------------------------------------------------------------------------------------


def oracle(world: World) -> pd.DataFrame:
    """The expected result, by a brute-force scan of every source row for every entity row."""
    entity_df = world.entity_df
    expected = entity_df.copy()
    ets = instants_ns(entity_df["event_timestamp"])
    for v in world.views:
        src = v.source
        fts = instants_ns(src[v.timestamp_field])
        created = instants_ns(src[v.created_timestamp_column])
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i, key in enumerate(zip(*(src[k].tolist() for k in v.join_keys), strict=True)):
            groups[key].append(i)
        ttl = None if v.ttl is None else pd.Timedelta(v.ttl).value
        entity_keys = list(zip(*(entity_df[k].tolist() for k in v.join_keys), strict=True))
        chosen = []
        for key, e in zip(entity_keys, ets, strict=True):
            best = -1
            for i in groups.get(key, []):
                if fts[i] <= e and (ttl is None or e - fts[i] <= ttl):
                    if best < 0 or (fts[i], created[i]) > (fts[best], created[best]):
                        best = i
            chosen.append(best)
        chosen_arr = np.array(chosen, dtype=np.int64)
        for f in v.features:
            values = src[f].to_numpy(dtype=np.float64)
            col = np.full(len(entity_df), np.nan)
            hit = chosen_arr >= 0
            col[hit] = values[chosen_arr[hit]]
            expected[f"{v.name}__{f}"] = col
    return expected


def run(module, world: World) -> pd.DataFrame:
    """Call the module's get_historical_features on the world."""
    return module.get_historical_features(world.entity_df, world.build(module))


# -- comparison ----------------------------------------------------------------------------------


def _plain(value):
    """A numpy scalar as the Python value (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def compare(out, world: World, expected: pd.DataFrame, *, what: str, hint: str = "") -> None:
    """``out`` equals ``expected`` exactly: a DataFrame with the same columns in order, the same
    index, entity columns unchanged, float64 features with NaN in the same places. On a wrong
    value the message names the first wrong entity row and what came back, followed by
    ``hint`` (the rule it breaks); never the expected values or the feature rows."""
    suffix = f" {hint}" if hint else ""
    if type(out) is not pd.DataFrame:
        raise AssertionError(
            f"{what}: returned {type(out).__name__}, expected a pandas.DataFrame; R6"
        )
    if list(out.columns) != list(expected.columns):
        raise AssertionError(
            f"{what}: columns {list(out.columns)}; R6: entity_df's columns, then one per view "
            f"and feature in the order given, named view__feature"
        )
    if len(out) != len(expected):
        raise AssertionError(
            f"{what}: {len(out)} rows for {len(expected)} entity rows; R7: one per entity row"
        )
    if not out.index.equals(expected.index):
        first = next(
            (i for i, (a, b) in enumerate(zip(out.index, expected.index, strict=True)) if a != b),
            None,
        )
        raise AssertionError(
            f"{what}: the index differs from entity_df's"
            + (f" (first at position {first}: {out.index[first]!r}, entity_df has "
               f"{expected.index[first]!r})" if first is not None else "")
            + "; R7: entity_df's rows in entity_df's order, with its index." + suffix
        )  # fmt: skip
    entity_cols = list(world.entity_df.columns)
    for col in entity_cols:
        if out[col].dtype != expected[col].dtype or not out[col].equals(expected[col]):
            raise AssertionError(
                f"{what}: entity column {col!r} changed (dtype {out[col].dtype}, entity_df has "
                f"{expected[col].dtype}); R6, R7: entity_df's columns come back unchanged, in "
                f"entity_df's row order." + suffix
            )
    views = {f"{v.name}__{f}": v for v in world.views for f in v.features}
    for col in expected.columns[len(entity_cols) :]:
        if out[col].dtype != np.float64:
            raise AssertionError(f"{what}: column {col!r} has dtype {out[col].dtype}; R6: float64")
        got, exp = out[col].to_numpy(), expected[col].to_numpy()
        bad = ~((np.isnan(got) & np.isnan(exp)) | (got == exp))
        if not bad.any():
            continue
        pos = int(np.argmax(bad))
        view = views[col]
        key = {k: _plain(world.entity_df[k].iloc[pos]) for k in view.join_keys}
        ts = world.entity_df["event_timestamp"].iloc[pos]
        nan_wrong = int((bad & np.isnan(got)).sum())
        raise AssertionError(
            f"{what}: {int(bad.sum())} wrong values in column {col!r} ({nan_wrong} of them NaN "
            f"where a value qualifies, {int((bad & np.isnan(exp)).sum())} a value where none "
            f"qualifies); first at row {pos} (index {_plain(out.index[pos])!r}): {key}, "
            f"event_timestamp={ts}, ttl={view.ttl}: got {got[pos]!r}." + suffix
        )


@pytest.fixture(scope="session")
def pit():
    """The suite's helpers (test files cannot import conftest under --import-mode=importlib):
    world builders, the brute-force oracle, the explaining comparison."""
    return SimpleNamespace(
        ViewSpec=ViewSpec,
        World=World,
        stamps=stamps,
        source_frame=source_frame,
        merchant_names=merchant_names,
        entity_frame=entity_frame,
        random_world=random_world,
        oracle=oracle,
        run=run,
        compare=compare,
    )


@pytest.fixture(scope="module")
def drive(inside, sol):
    """The suite's drivers (inside.py) in the candidate's sandbox."""
    return inside(sol)
