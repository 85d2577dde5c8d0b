"""Hidden performance gates of online_feature_store: round trips to Redis, counted exactly by
the judge's tunnel that the sandbox's client writes through (one write-then-read is one round
trip, whatever the request's size), and the time of a 10^4 x 10 request against the suite's
plain solution (baseline.py) on the same Redis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

FEATURES = tuple(f"f{i:02d}" for i in range(10))
TTL = 86_400.0
N_TIMED = 2_000  # entities of the timed request


def big_source(ofs, rng, now, n) -> pd.DataFrame:
    """One fresh row per entity (int ids), 10 float64 features."""
    users = ofs.int_ids(rng, n)
    ts = ofs.quarter(now - rng.uniform(60.0, 3600.0, size=n))
    frame = pd.DataFrame({"user_id": pd.Series(users, dtype=np.int64), "event_timestamp": ts,
                          "created_timestamp": ts + 1.0})  # fmt: skip
    for f in FEATURES:
        frame[f] = np.round(rng.normal(0.0, 1.0, size=n), 6)
    return frame


def record_trips(record_property, trips: int, bound: int, what: str) -> None:
    """Store the count like a perf gate's ratio, so reports show it beside the bound."""
    record_property(
        "perf", {"ratio": float(trips), "bound": float(bound), "what": what, "rounds": 1,
                 "confirmed": True},
    )  # fmt: skip


@pytest.mark.perf
@pytest.mark.rules("R14")
def test_materialize_round_trips(sol, ofs, kata_redis, rng, record_property):
    """materialize makes at most 3 round trips (counted on 8 entities x 10 features, a request
    sent in one write each way), and stores every row."""
    kr = kata_redis
    now = float(ofs.quarter(ofs.BASE_NOW + rng.uniform(0, 10**6)))
    source = big_source(ofs, rng, now, 8)
    view = sol.FeatureView("user_stats", "user_id", FEATURES, TTL)
    kr.trips.reset()
    written = sol.materialize(kr.client, kr.prefix, view, source, now)
    trips = kr.trips.count
    record_trips(record_property, trips, 3, "round trips of materialize (R14)")
    assert trips <= 3, (
        f"materialize of {len(source)} entities made {trips} round trips to Redis; R14: at most "
        f"3, whatever the number of entities"
    )
    assert written == len(source), f"materialize wrote {written} hashes, expected {len(source)}"


@pytest.mark.perf
@pytest.mark.rules("R12")
def test_get_online_features_one_round_trip(sol, ofs, kata_redis, rng, record_property):
    """get_online_features makes exactly one round trip for entities x features of two views
    (30 x 4), and none when there is nothing to read (no entities, or no references)."""
    kr = kata_redis
    now = float(ofs.quarter(ofs.BASE_NOW + rng.uniform(0, 10**6)))
    source = big_source(ofs, rng, now, 30)
    rows = {int(e): i for i, e in enumerate(source["user_id"])}
    ofs.populate(kr.client, kr.prefix, "user_stats", source, "user_id", FEATURES, rows, now, TTL)
    ofs.populate(kr.client, kr.prefix, "user_more", source, "user_id", FEATURES, rows, now, TTL)
    views = [sol.FeatureView("user_stats", "user_id", FEATURES, TTL),
             sol.FeatureView("user_more", "user_id", FEATURES, TTL)]  # fmt: skip
    keys = [int(k) for k in rng.permutation(source["user_id"].to_numpy())]
    refs = ["user_stats:f03", "user_more:f07", "user_stats:f00", "user_more:f01"]
    sol.get_online_features(kr.client, kr.prefix, views, keys[:2], refs[:1], now)  # connect
    counts = {}
    for label, ks, rs in (("30 entities x 4 features", keys, refs), ("no entities", [], refs),
                          ("no feature references", keys, [])):  # fmt: skip
        kr.trips.reset()
        sol.get_online_features(kr.client, kr.prefix, views, ks, rs, now + 1.0)
        counts[label] = kr.trips.count
    want = {"30 entities x 4 features": 1, "no entities": 0, "no feature references": 0}
    record_trips(record_property, counts["30 entities x 4 features"], 1,
                 "round trips of get_online_features (R12)")  # fmt: skip
    wrong = {k: v for k, v in counts.items() if v != want[k]}
    assert not wrong, (
        f"get_online_features made {wrong} round trips to Redis; R12: exactly one for any number "
        f"of entities and features, none when there is nothing to read"
    )


@pytest.mark.perf
@pytest.mark.rules("R13")
def test_skew_report_one_round_trip(sol, ofs, kata_redis, rng, record_property):
    """skew_report over features of two views reads Redis in exactly one round trip."""
    kr = kata_redis
    now = float(ofs.quarter(ofs.BASE_NOW + rng.uniform(0, 10**6)))
    source = big_source(ofs, rng, now, 20)
    rows = {int(e): i for i, e in enumerate(source["user_id"])}
    for name in ("user_stats", "user_more"):
        ofs.populate(kr.client, kr.prefix, name, source, "user_id", FEATURES, rows, now, TTL)
    views = [sol.FeatureView("user_stats", "user_id", FEATURES, TTL),
             sol.FeatureView("user_more", "user_id", FEATURES, TTL)]  # fmt: skip
    keys = [int(k) for k in source["user_id"]]
    refs = ["user_more:f02", "user_stats:f05", "user_more:f09"]
    sources = {"user_stats": source, "user_more": source}
    sol.get_online_features(kr.client, kr.prefix, views, keys[:1], refs[:1], now)  # connect
    kr.trips.reset()
    report = sol.skew_report(kr.client, kr.prefix, views, sources, keys, refs, now)
    trips = kr.trips.count
    record_trips(record_property, trips, 1, "round trips of skew_report (R13)")
    assert trips == 1, (
        f"skew_report for {len(keys)} entities x {len(refs)} features of two views made {trips} "
        f"round trips to Redis; R13: it reads Redis in one round trip"
    )
    assert len(report) == 0, f"skew_report found {len(report)} disagreements where none exist"


@pytest.mark.perf
@pytest.mark.rules("R15")
def test_get_online_features_time_vs_plain_solution(sol, baseline, ofs, kata_redis, rng, perf):
    """get_online_features for 2,000 entities x 10 features takes at most 3x the time of a
    plain pipelined solution on the same Redis (fresh request orders each call)."""
    kr = kata_redis
    now = float(ofs.quarter(ofs.BASE_NOW + rng.uniform(0, 10**6)))
    source = big_source(ofs, rng, now, N_TIMED)
    rows = {int(e): i for i, e in enumerate(source["user_id"])}
    ofs.populate(kr.client, kr.prefix, "user_stats", source, "user_id", FEATURES, rows, now, TTL)
    refs = [f"user_stats:{f}" for f in FEATURES]
    ids = source["user_id"].to_numpy()
    mine = [sol.FeatureView("user_stats", "user_id", FEATURES, TTL)]
    bar = [baseline.FeatureView("user_stats", "user_id", FEATURES, TTL)]

    def make():
        return ([int(k) for k in rng.permutation(ids)], now + float(rng.uniform(0, 60)))

    def check(got, want, args):
        got_v = got.values.to_numpy(dtype=np.float64)
        want_v = want.values.to_numpy(dtype=np.float64)
        assert got_v.shape == want_v.shape and np.array_equal(got_v, want_v), (
            f"get_online_features returned wrong values for the {N_TIMED} x 10 request (R8, R9)"
        )

    perf.compare(
        lambda keys, t: sol.get_online_features(kr.client, kr.prefix, mine, keys, refs, t),
        lambda keys, t: baseline.get_online_features(kr.client, kr.prefix, bar, keys, refs, t),
        make,
        bound=3.0,
        what="time of get_online_features (2,000 x 10) / a plain pipelined solution's (R15)",
        check=check,
        hint="a request of thousands of entities must not cost a round trip (or a Python loop of "
        "commands) per entity",
    )
