"""Hidden correctness tests of online_feature_store, on the kata_redis client (fakeredis, or a
real server with --redis-url).

The oracle is a brute-force scan of the source (conftest.pit_rows); hashes are read back with
the test's own commands. Times are explicit ``now`` arguments, never a clock.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pandas as pd
import pytest

FEATURES = ("spend_1h", "txn_count_1d", "avg_amount_7d")
MISSING_HINT = (
    "R9: an entity with nothing in the online store comes back as NOT_FOUND with NaN: a "
    "default such as 0 is a real-looking value the model cannot tell from data."
)
TTL_HINT = (
    "R5: a hash expires when its value stops being valid, to the millisecond: without a TTL "
    "stale values live forever; a TTL counted from the write serves an old row too long."
)
OVERWRITE_HINT = (
    "R4: materialisation jobs overlap and re-run (backfills, retries): a stored row with a "
    "later (_ts, _created) is never replaced by an older one."
)
STALE_HINT = (
    "R9: Redis evicts expired keys lazily and on its own clock: a hash can still be there "
    "after its value went stale."
)
EDGE_HINT = "R9: now - _ts == ttl_s is still valid: the TTL bound is inclusive."
FUTURE_HINT = "R2: only rows with event_timestamp <= now exist yet."
TIE_HINT = (
    "R2: rows with the same event_timestamp are corrections: the larger created_timestamp wins, "
    "wherever it sits in the source."
)
EXPIRED_HINT = "R3: the entity's latest row at now is already older than ttl_s."
SKEW_HINT = (
    "R11: skew compares the served value with the point-in-time value at now from the offline "
    "source."
)


def view(sol, name="user_stats", entity_key="user_id", features=FEATURES, ttl=6 * 3600.0):
    """A FeatureView of the candidate's class."""
    return sol.FeatureView(name, entity_key, tuple(features), float(ttl))


def now_for(ofs, rng) -> float:
    """A random 'now' on the 0.25 s grid."""
    return float(ofs.quarter(ofs.BASE_NOW + rng.uniform(0, 10**7)))


def read_hashes(client, prefix, view_name, entities) -> dict:
    """entity -> stored hash (absent entities omitted), one pipeline."""
    pipe = client.pipeline(transaction=False)
    for e in entities:
        pipe.hgetall(f"{prefix}{view_name}:{e}")
    return {e: h for e, h in zip(entities, pipe.execute(), strict=True) if h}


def check_store(ofs, kr, source, entities, now, ttl, what, hint=""):
    """The hashes in Redis are exactly those of the point-in-time rows at ``now``."""
    rows = ofs.pit_rows(source, "user_id", now, ttl)
    stored = read_hashes(kr.client, kr.prefix, "user_stats", entities)
    for e in entities:
        want = ofs.expected_hash(source, rows[e], FEATURES) if e in rows else None
        got = stored.get(e)
        if got != want:
            mine = source[source["user_id"] == e].sort_values(
                ["event_timestamp", "created_timestamp"]
            )
            table = "\n".join(
                f"      event_timestamp={r.event_timestamp!r} (now{r.event_timestamp - now:+.2f} s) "
                f"created={r.created_timestamp!r} spend_1h={r.spend_1h!r}"
                for r in mine.itertuples()
            )
            if not hint and got and "_ts" in got and float(got["_ts"]) > now:
                hint = FUTURE_HINT
            elif not hint and got and want and got.get("_ts") == want["_ts"]:
                hint = TIE_HINT
            elif not hint and got and not want:
                hint = EXPIRED_HINT
            raise AssertionError(
                f"{what}: hash {kr.prefix}user_stats:{e} holds {got} (now={now!r}, "
                f"ttl_s={ttl}).\n    Source rows of this entity:\n{table}"
                + (f"\n    {hint}" if hint else "\n    R1-R4")
            )


# -- materialize -------------------------------------------------------------------------------


@pytest.mark.rules("R1", "R2", "R3", "R4")
def test_materialize_writes_latest_valid_row(sol, ofs, kata_redis, rng):
    """materialize stores, per entity, the latest row at or before now (ties: larger created)
    if it is still within the TTL, in the stated layout, and returns the count."""
    kr, ttl, now = kata_redis, 6 * 3600.0, now_for(ofs, rng)
    entities = ofs.int_ids(rng, 150)
    source = ofs.make_source(rng, entities, now, ttl, FEATURES, future=0.3)
    # an entity whose only row is in the future, one whose row expired, and one whose latest
    # timestamp holds two rows, the later correction first in the source
    e0, e1, e2 = entities[:3]
    extra = pd.DataFrame(
        {"user_id": [e0, e1, e2, e2],
         "event_timestamp": [now + 5.0, now - ttl - 0.25, now - 100.0, now - 100.0],
         "created_timestamp": [now + 5.0, now - ttl - 0.25, now - 80.0, now - 90.0],
         **{f: [1.0, 2.0, 3.0, 4.0] for f in FEATURES}}
    )  # fmt: skip
    source = pd.concat([source[~source["user_id"].isin(entities[:3])], extra], ignore_index=True)
    written = sol.materialize(kr.client, kr.prefix, view(sol, ttl=ttl), source, now)
    check_store(ofs, kr, source, entities, now, ttl, "after materialize")
    rows = ofs.pit_rows(source, "user_id", now, ttl)
    assert written == len(rows), (
        f"materialize returned {written}, it wrote {len(rows)} hashes (R4: the number written)"
    )


@pytest.mark.rules("R5")
def test_keys_expire_when_values_go_stale(sol, ofs, kata_redis, rng):
    """Every written hash has a Redis TTL of ceil((event_timestamp + ttl_s - now) * 1000) ms,
    to the millisecond (the PTTL read back lies between that less the time the judge saw pass
    and that; rows whose validity ends 0.75 s past a whole second are built in)."""
    kr, ttl = kata_redis, 4 * 3600.0
    for attempt in range(3):
        now = now_for(ofs, rng)
        entities = ofs.int_ids(rng, 80)
        source = ofs.make_source(rng, entities, now, ttl, FEATURES, expired=0.0, future=0.0)
        # every row's validity ends 0.75 s past a whole second (ts + ttl - now)
        age = now - source["event_timestamp"]
        source["event_timestamp"] = now - (np.floor(age) + 0.25)
        source["created_timestamp"] = source["event_timestamp"] + 1.0
        start = time.monotonic()
        sol.materialize(kr.client, kr.prefix, view(sol, ttl=ttl), source, now)
        rows = ofs.pit_rows(source, "user_id", now, ttl)
        pipe = kr.client.pipeline(transaction=False)
        for e in rows:
            pipe.pttl(f"{kr.prefix}user_stats:{e}")
        pttls = pipe.execute()
        seen_ms = (time.monotonic() - start) * 1000.0
        if seen_ms < 400 or attempt == 2:  # else the machine was too slow to judge: again
            break
        kr.client.delete(*[f"{kr.prefix}user_stats:{e}" for e in rows])
    for (e, i), pttl in zip(rows.items(), pttls, strict=True):
        ts = float(source["event_timestamp"].iloc[i])
        want = ofs.expected_pttl_ms(ts, ttl, now)
        if not (want - seen_ms - 1 <= pttl <= want):
            state = {-1: "no TTL at all", -2: "the key does not exist"}.get(pttl, f"{pttl} ms")
            raise AssertionError(
                f"after materialize at now={now!r}: {kr.prefix}user_stats:{e} (event_timestamp "
                f"{ts!r}, ttl_s={ttl:.0f}) has PTTL {state}, read {seen_ms:.0f} ms after the "
                f"call began; its value stays valid {want} ms from now. {TTL_HINT}"
            )


@pytest.mark.rules("R4")
def test_older_rows_never_overwrite_newer(sol, ofs, kata_redis, rng):
    """A second materialisation with older rows leaves newer stored rows alone, applies
    corrections (same timestamp, larger created) and new entities, and counts only writes."""
    kr, ttl, now = kata_redis, 6 * 3600.0, now_for(ofs, rng)
    entities = ofs.int_ids(rng, 120)
    v = view(sol, ttl=ttl)
    newer = ofs.make_source(
        rng, entities[:80], now, ttl, FEATURES, expired=0.0, future=0.0, ties=0.0
    )
    sol.materialize(kr.client, kr.prefix, v, newer, now)
    stored = ofs.pit_rows(newer, "user_id", now, ttl)
    # the backfill: rows older than every stored row, corrections of some stored rows, and
    # entities seen for the first time
    first_ts = newer.groupby("user_id")["event_timestamp"].min()
    older = []
    for e in entities[:60]:
        older.append((e, float(ofs.quarter(first_ts[e] - rng.uniform(1, 600))), 0.0))
    for e in entities[60:80]:
        row = newer.iloc[stored[e]]
        older.append((e, float(row["event_timestamp"]), float(row["created_timestamp"]) + 0.25))
    for e in entities[80:]:
        older.append((e, float(ofs.quarter(now - rng.uniform(60, ttl / 2))), 0.0))
    backfill = pd.DataFrame(older, columns=["user_id", "event_timestamp", "created_timestamp"])
    backfill["created_timestamp"] = np.where(
        backfill["created_timestamp"] == 0.0, backfill["event_timestamp"] + 1.0,
        backfill["created_timestamp"],
    )  # fmt: skip
    for f in FEATURES:
        backfill[f] = np.round(rng.normal(500.0, 50.0, size=len(backfill)), 4)
    written = sol.materialize(kr.client, kr.prefix, v, backfill, now)
    both = pd.concat([newer, backfill], ignore_index=True)
    check_store(ofs, kr, both, entities, now, ttl, "after materialising an older backfill",
                OVERWRITE_HINT)  # fmt: skip
    assert written == 60, (
        f"the backfill replaced 20 corrected rows and added 40 entities, so materialize must "
        f"return 60; it returned {written}. {OVERWRITE_HINT}"
    )


@pytest.mark.rules("R7")
def test_materialize_errors(sol, ofs, kata_redis, rng):
    """ttl_s <= 0 raises ValueError; a source without a feature column raises KeyError."""
    kr, now = kata_redis, now_for(ofs, rng)
    source = ofs.make_source(rng, ofs.int_ids(rng, 5), now, 3600.0, FEATURES)
    for ttl in (0.0, -5.0, float("nan")):
        with pytest.raises(ValueError):
            sol.materialize(kr.client, kr.prefix, view(sol, ttl=ttl), source, now)
            pytest.fail(f"materialize with ttl_s={ttl} returned instead of raising ValueError (R7)")
    with pytest.raises(KeyError):
        sol.materialize(kr.client, kr.prefix, view(sol), source.drop(columns=FEATURES[1]), now)
        pytest.fail("materialize with a missing feature column returned instead of KeyError (R7)")


@pytest.mark.rules("R1")
def test_keys_stay_under_the_prefix(sol, ofs, kata_redis, rng):
    """Every key written by materialize starts with the given prefix."""
    kr, now = kata_redis, now_for(ofs, rng)
    entities = ofs.str_ids(rng, 30)
    source = ofs.make_source(rng, entities, now, 7200.0, FEATURES, entity_col="merchant_id")
    v = sol.FeatureView("merchant", "merchant_id", FEATURES, 7200.0)
    sol.materialize(kr.client, kr.prefix, v, source, now)
    if kr.real:  # other tests' keys may exist: look for this test's entities outside the prefix
        stray = [
            k
            for e in entities
            for k in kr.client.keys(f"*merchant:{e}")
            if not k.startswith(kr.prefix)
        ]
    else:  # a fresh server per test: every key must be ours
        stray = [k for k in kr.client.keys("*") if not k.startswith(kr.prefix)]
    assert not stray, f"materialize wrote {len(stray)} key(s) outside the prefix (R1)"
    rows = ofs.pit_rows(source, "merchant_id", now, 7200.0)
    stored = read_hashes(kr.client, kr.prefix, "merchant", entities)
    assert set(stored) == set(rows), (
        f"hashes {kr.prefix}merchant:<id> exist for {len(stored)} str entity ids, "
        f"{len(set(stored) & set(rows))} of them right (R1: the key layout)"
    )


# -- get_online_features ----------------------------------------------------------------------


def expected_response(ofs, sources, views_spec, entity_keys, refs, now, read_now):
    """values and statuses from the oracle: rows stored at ``now``, read at ``read_now``."""
    vals = np.full((len(entity_keys), len(refs)), np.nan)
    stats = np.full((len(entity_keys), len(refs)), "NOT_FOUND", dtype=object)
    for j, r in enumerate(refs):
        name, feature = r.split(":")
        src, col, ttl = sources[name], views_spec[name][0], views_spec[name][1]
        rows = ofs.pit_rows(src, col, now, ttl)
        for i, e in enumerate(entity_keys):
            if e not in rows:
                continue
            ts = float(src["event_timestamp"].iloc[rows[e]])
            if read_now - ts > ttl:
                stats[i, j] = "OUTSIDE_MAX_AGE"
            else:
                stats[i, j] = "PRESENT"
                vals[i, j] = float(src[feature].iloc[rows[e]])
    return vals, stats


def check_response(resp, entity_keys, refs, vals, stats, what, hint=""):
    """resp is an OnlineResponse with exactly these values (float64, NaN places) and statuses."""
    suffix = f" {hint}" if hint else ""
    for name in ("values", "statuses"):
        frame = getattr(resp, name, None)
        if type(frame) is not pd.DataFrame:
            raise AssertionError(
                f"{what}: response.{name} is {type(frame).__name__}, expected a DataFrame (R8)"
            )
        if list(frame.index) != list(entity_keys) or list(frame.columns) != list(refs):
            raise AssertionError(
                f"{what}: response.{name} has index {list(frame.index)[:5]}... and columns "
                f"{list(frame.columns)}; R8: the entity keys in request order and the "
                f"references as requested"
            )
    if not all(dt == np.float64 for dt in resp.values.dtypes):
        raise AssertionError(
            f"{what}: values dtypes {set(map(str, resp.values.dtypes))}, expected float64 (R8)"
        )
    got_s = resp.statuses.to_numpy(dtype=object)
    got_v = resp.values.to_numpy(dtype=np.float64)
    bad = (got_s != stats) | ~((np.isnan(got_v) & np.isnan(vals)) | (got_v == vals))
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} wrong entries; first: entity {entity_keys[i]!r}, "
            f"{refs[j]!r}: got {got_v[i, j]!r} ({got_s[i, j]}), expected status "
            f"{stats[i, j]}.{suffix or ' R9'}"
        )


PROFILE = ("age_days", "country_risk")


def three_views(sol, ofs, kr, rng, now, *, n_users=120, n_merchants=40):
    """Two views of users (int ids: user_stats, 3 features, ttl 6 h; user_profile, 2 features,
    ttl 1 day) and one of merchants (str ids, ttl 1 day), populated by the test at ``now``."""
    users, merchants = ofs.int_ids(rng, n_users), ofs.str_ids(rng, n_merchants)
    spec = {
        "user_stats": ("user_id", 6 * 3600.0, FEATURES),
        "user_profile": ("user_id", 86_400.0, PROFILE),
        "merchant": ("merchant_id", 86_400.0, ("risk", "cb_rate")),
    }
    sources = {}
    for name, (col, ttl, feats) in spec.items():
        ids = merchants if col == "merchant_id" else users
        src = ofs.make_source(rng, ids, now, ttl, feats, entity_col=col)
        ofs.populate(kr.client, kr.prefix, name, src, col, feats, ofs.pit_rows(src, col, now, ttl),
                     now, ttl)  # fmt: skip
        sources[name] = src
    views = [
        sol.FeatureView(name, col, tuple(feats), ttl) for name, (col, ttl, feats) in spec.items()
    ]
    return views, spec, sources, users, merchants


@pytest.mark.rules("R8", "R9")
def test_get_online_features_values_and_statuses(sol, ofs, kata_redis, rng):
    """Values and statuses for requested users (repeats, unknown ids, expired rows) and
    features in any order equal the oracle's."""
    kr, now = kata_redis, now_for(ofs, rng)
    views, spec, sources, users, _ = three_views(sol, ofs, kr, rng, now)
    keys = list(rng.choice(users, size=150)) + ofs.int_ids(rng, 5)
    keys = [int(k) for k in rng.permutation(np.array(keys, dtype=np.int64))]
    refs = ["user_stats:avg_amount_7d", "user_stats:spend_1h", "user_stats:txn_count_1d"]
    read_now = now + 30.0
    resp = sol.get_online_features(kr.client, kr.prefix, views, keys, refs, read_now)
    vals, stats = expected_response(ofs, sources, spec, keys, refs, now, read_now)
    check_response(resp, keys, refs, vals, stats, "get_online_features(150 users, 3 features)")


@pytest.mark.rules("R8", "R9")
def test_features_from_several_views(sol, ofs, kata_redis, rng):
    """References from two user views in one call, interleaved and one repeated, and from a
    merchant view with str ids: each column is read from its own view's hash."""
    kr, now = kata_redis, now_for(ofs, rng)
    views, spec, sources, users, merchants = three_views(sol, ofs, kr, rng, now)
    keys = [int(k) for k in rng.choice(users, size=80)]
    refs = ["user_profile:country_risk", "user_stats:spend_1h", "user_profile:age_days",
            "user_stats:txn_count_1d", "user_profile:country_risk"]  # fmt: skip
    resp = sol.get_online_features(kr.client, kr.prefix, views, keys, refs, now + 10.0)
    vals, stats = expected_response(ofs, sources, spec, keys, refs, now, now + 10.0)
    check_response(resp, keys, refs, vals, stats, "get_online_features(2 user views, 5 refs)")
    keys = [str(k) for k in rng.choice(merchants, size=40)]
    refs = ["merchant:cb_rate", "merchant:risk"]
    resp = sol.get_online_features(kr.client, kr.prefix, views, keys, refs, now)
    vals, stats = expected_response(ofs, sources, spec, keys, refs, now, now)
    check_response(resp, keys, refs, vals, stats, "get_online_features(merchant view, str ids)")


@pytest.mark.rules("R9")
def test_missing_entities_are_reported(sol, ofs, kata_redis, rng):
    """Entities with no hash come back NOT_FOUND with NaN values, beside present ones."""
    kr, now = kata_redis, now_for(ofs, rng)
    views, spec, sources, users, _ = three_views(sol, ofs, kr, rng, now)
    present = ofs.pit_rows(sources["user_stats"], "user_id", now, spec["user_stats"][1])
    known = [u for u in users if u in present][:20]
    unknown = [u + 10**7 for u in users[:20]]
    keys = [int(k) for k in rng.permutation(np.array(known + unknown, dtype=np.int64))]
    refs = ["user_stats:spend_1h", "user_stats:txn_count_1d"]
    resp = sol.get_online_features(kr.client, kr.prefix, views, keys, refs, now)
    vals, stats = expected_response(ofs, sources, spec, keys, refs, now, now)
    check_response(resp, keys, refs, vals, stats, "get_online_features(20 known, 20 unknown users)",
                   MISSING_HINT)  # fmt: skip


@pytest.mark.rules("R9")
def test_stored_nan_is_present(sol, ofs, kata_redis, rng):
    """A stored NaN value is PRESENT with value NaN (a real null, not a missing entity)."""
    kr, now = kata_redis, now_for(ofs, rng)
    users = ofs.int_ids(rng, 10)
    src = ofs.make_source(rng, users, now, 3600.0, FEATURES, expired=0, future=0, nan_rate=0.5)
    rows = ofs.pit_rows(src, "user_id", now, 3600.0)
    ofs.populate(kr.client, kr.prefix, "user_stats", src, "user_id", FEATURES, rows, now, 3600.0)
    refs = [f"user_stats:{f}" for f in FEATURES]
    resp = sol.get_online_features(kr.client, kr.prefix, [view(sol, ttl=3600.0)], users, refs, now)
    vals, stats = expected_response(ofs, {"user_stats": src}, {"user_stats": ("user_id", 3600.0)},
                                    users, refs, now, now)  # fmt: skip
    check_response(resp, users, refs, vals, stats, "get_online_features(stored NaN values)")


def _aging_world(sol, ofs, kr, rng, ttl):
    """Users whose rows were written at ``now``; returns (views, spec, sources, users, now)."""
    now = now_for(ofs, rng)
    users = ofs.int_ids(rng, 60)
    src = ofs.make_source(rng, users, now, ttl, FEATURES, expired=0.0, future=0.0, nan_rate=0.0)
    rows = ofs.pit_rows(src, "user_id", now, ttl)
    ofs.populate(kr.client, kr.prefix, "user_stats", src, "user_id", FEATURES, rows, now, ttl)
    ts = src["event_timestamp"].to_numpy()
    return (
        [view(sol, ttl=ttl)],
        {"user_stats": ("user_id", ttl)},
        {"user_stats": src},
        users,
        now,
        rows,
        ts,
    )


@pytest.mark.rules("R9")
def test_stale_values_are_outside_max_age(sol, ofs, kata_redis, rng):
    """Read after some values' TTL has passed (their hashes still in Redis), those values are
    OUTSIDE_MAX_AGE with NaN; the others are PRESENT."""
    kr, ttl = kata_redis, 2 * 3600.0
    views, spec, sources, users, now, rows, ts = _aging_world(sol, ofs, kr, rng, ttl)
    ages = sorted(now - ts[i] for i in rows.values())
    read_now = now + (ttl - ages[len(ages) // 2]) + 0.5  # half the rows have gone stale
    refs = ["user_stats:spend_1h", "user_stats:avg_amount_7d"]
    resp = sol.get_online_features(kr.client, kr.prefix, views, users, refs, read_now)
    vals, stats = expected_response(ofs, sources, spec, users, refs, now, read_now)
    check_response(resp, users, refs, vals, stats,
                   f"get_online_features({read_now - now:.0f} s after materialisation)", STALE_HINT)  # fmt: skip


@pytest.mark.rules("R9")
def test_age_boundary_is_inclusive(sol, ofs, kata_redis, rng):
    """Read exactly ttl_s after a row's event_timestamp the value is PRESENT; 0.25 s later it
    is OUTSIDE_MAX_AGE."""
    kr, ttl = kata_redis, 2 * 3600.0
    views, spec, sources, users, now, rows, ts = _aging_world(sol, ofs, kr, rng, ttl)
    e = users[int(rng.integers(0, len(users)))]
    edge = float(ts[rows[e]]) + ttl  # exact on the 0.25 s grid
    refs = ["user_stats:spend_1h"]
    for read_now, label in ((edge, "exactly ttl_s after"), (edge + 0.25, "0.25 s past ttl_s")):
        resp = sol.get_online_features(kr.client, kr.prefix, views, users, refs, read_now)
        vals, stats = expected_response(ofs, sources, spec, users, refs, now, read_now)
        check_response(resp, users, refs, vals, stats,
                       f"get_online_features({label} user {e}'s event_timestamp)", EDGE_HINT)  # fmt: skip


@pytest.mark.rules("R8", "R10")
def test_get_errors_and_empty_requests(sol, ofs, kata_redis, rng):
    """Unknown views or features raise KeyError; no entities gives empty frames."""
    kr, now = kata_redis, now_for(ofs, rng)
    v = view(sol)
    for bad in (["user_stats:nope"], ["nope:spend_1h"], ["spend_1h"]):
        with pytest.raises(KeyError):
            sol.get_online_features(kr.client, kr.prefix, [v], [1, 2], bad, now)
            pytest.fail(
                f"get_online_features(feature_refs={bad}) returned instead of KeyError (R10)"
            )
    resp = sol.get_online_features(kr.client, kr.prefix, [v], [], ["user_stats:spend_1h"], now)
    check_response(resp, [], ["user_stats:spend_1h"], np.full((0, 1), np.nan),
                   np.full((0, 1), "NOT_FOUND", dtype=object), "get_online_features(no entities)")  # fmt: skip


# -- skew ----------------------------------------------------------------------------------------


@pytest.mark.rules("R11")
def test_skew_report(sol, ofs, kata_redis, rng):
    """skew_report lists exactly the (entity, feature) pairs whose served value differs from
    the offline point-in-time value at now, in request order, with both values."""
    kr, ttl, now = kata_redis, 6 * 3600.0, now_for(ofs, rng)
    users = ofs.int_ids(rng, 100)
    served = ofs.make_source(rng, users, now, ttl, FEATURES)
    ofs.populate(kr.client, kr.prefix, "user_stats", served, "user_id", FEATURES,
                 ofs.pit_rows(served, "user_id", now, ttl), now, ttl)  # fmt: skip
    offline = served.copy()
    n = len(offline)
    # recomputed values (skew), values equal within rtol (no skew)
    changed = rng.random(n) < 0.1
    offline.loc[changed, "spend_1h"] = offline.loc[changed, "spend_1h"] * 2 + 1
    tiny = rng.random(n) < 0.2
    offline.loc[tiny, "txn_count_1d"] = offline.loc[tiny, "txn_count_1d"] * (1 + 1e-12)
    # rows that landed offline after materialisation, and rows from the future
    late = pd.DataFrame({"user_id": users[:10], "event_timestamp": now - 1.0,
                         "created_timestamp": now - 0.5})  # fmt: skip
    future = pd.DataFrame({"user_id": users[10:40], "event_timestamp": now + 60.0,
                           "created_timestamp": now + 61.0})  # fmt: skip
    for f in FEATURES:
        late[f] = np.round(rng.normal(900.0, 10.0, size=10), 4)
        future[f] = np.round(rng.normal(900.0, 10.0, size=30), 4)
    offline = pd.concat([offline, late, future], ignore_index=True)
    keys = [int(k) for k in rng.permutation(np.array(users + ofs.int_ids(rng, 10), dtype=np.int64))]
    refs = ["user_stats:txn_count_1d", "user_stats:spend_1h", "user_stats:avg_amount_7d"]
    v = view(sol, ttl=ttl)
    got = sol.skew_report(kr.client, kr.prefix, [v], {"user_stats": offline}, keys, refs, now)
    on_rows = ofs.pit_rows(served, "user_id", now, ttl)
    off_rows = ofs.pit_rows(offline, "user_id", now, ttl)
    expected = []
    for e in keys:
        for r in refs:
            f = r.split(":")[1]
            a = float(served[f].iloc[on_rows[e]]) if e in on_rows else math.nan
            b = float(offline[f].iloc[off_rows[e]]) if e in off_rows else math.nan
            agree = (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * abs(b)
            if not agree:
                expected.append((e, r, a, b))
    if type(got) is not pd.DataFrame or list(got.columns) != [
        "entity_key",
        "feature_ref",
        "online",
        "offline",
    ]:
        raise AssertionError(
            f"skew_report returned {type(got).__name__} with columns "
            f"{list(getattr(got, 'columns', []))}; R11: a DataFrame with columns "
            f"['entity_key', 'feature_ref', 'online', 'offline']"
        )
    for col in ("online", "offline"):
        assert got[col].dtype == np.float64, (
            f"skew_report column {col!r} is {got[col].dtype}, expected float64 (R11)"
        )
    rows = [(int(e), str(r), float(a), float(b)) for e, r, a, b in got.itertuples(index=False)]

    def same(x, y):
        return x[:2] == y[:2] and all(
            (math.isnan(p) and math.isnan(q)) or p == q for p, q in zip(x[2:], y[2:], strict=True)
        )

    if len(rows) != len(expected) or not all(
        same(x, y) for x, y in zip(rows, expected, strict=True)
    ):
        extra = [x for x in rows if not any(same(x, y) for y in expected)]
        lost = [y for y in expected if not any(same(x, y) for x in rows)]
        raise AssertionError(
            f"skew_report returned {len(rows)} rows, expected {len(expected)}; "
            f"{len(extra)} reported but not skew (first: {extra[:1]}); {len(lost)} skew not "
            f"reported (first: {[x[:2] for x in lost[:1]]})"
            + ("; same rows, wrong order" if not extra and not lost else "")
            + f". {SKEW_HINT}"
        )


@pytest.mark.rules("R9")
def test_status_of_absent_fields_and_future_rows(sol, ofs, kata_redis, rng):
    """A field absent from a hash is NOT_FOUND even when the hash is too old; a stored row
    whose _ts is later than now is PRESENT."""
    kr, ttl = kata_redis, 3600.0
    now = now_for(ofs, rng)
    users = ofs.int_ids(rng, 3)
    old, future, fine = users
    for e, ts in ((old, now - ttl - 60.0), (future, now + 120.0), (fine, now - 60.0)):
        fields = {f: repr(float(rng.normal())) for f in FEATURES}
        fields["_ts"], fields["_created"] = repr(ts), repr(ts + 1.0)
        if e == old:
            del fields["spend_1h"]
        kr.client.hset(f"{kr.prefix}user_stats:{e}", mapping=fields)
    refs = ["user_stats:spend_1h", "user_stats:txn_count_1d"]
    resp = sol.get_online_features(kr.client, kr.prefix, [view(sol, ttl=ttl)], users, refs, now)
    got = resp.statuses.to_numpy(dtype=object).tolist()
    want = [["NOT_FOUND", "OUTSIDE_MAX_AGE"], ["PRESENT", "PRESENT"], ["PRESENT", "PRESENT"]]
    if got != want:
        raise AssertionError(
            f"statuses of (a too old hash lacking spend_1h, a hash whose _ts is 120 s after "
            f"now, a fresh hash) x (spend_1h, txn_count_1d): {got}. R9: a field that is not "
            f"there is NOT_FOUND whatever the hash's age; OUTSIDE_MAX_AGE only when now - _ts "
            f"> ttl_s"
        )


_WRITES = frozenset({"HSET", "HMSET", "HSETNX", "HDEL", "HINCRBY", "HINCRBYFLOAT", "DEL",
                     "UNLINK", "PEXPIRE", "EXPIRE", "PEXPIREAT", "EXPIREAT", "PERSIST", "SET",
                     "RENAME", "RENAMENX", "RESTORE", "COPY", "GETDEL"})  # fmt: skip
_EXPIRES = frozenset({"PEXPIRE", "EXPIRE", "PEXPIREAT", "EXPIREAT"})


def _monitor(client, stop_word: str, out: list, ready: threading.Event) -> None:
    """MONITOR the server: every command (client type and words) until ``ECHO stop_word``."""
    import shlex

    with client.monitor() as mon:
        ready.set()
        for event in mon.listen():
            command = event.get("command", "")
            if command == f"ECHO {stop_word}":
                return
            try:
                words = shlex.split(command)
            except ValueError:
                words = command.split()
            out.append((event.get("client_type", ""), words))


@pytest.mark.real_redis
@pytest.mark.rules("R6")
def test_each_hash_is_written_atomically(sol, ofs, kata_redis, rng):
    """Watching the server (MONITOR) while materialize replaces stored rows: every hash's
    fields and expiry are written inside one MULTI/EXEC transaction or one script call, never
    as commands another client could run between."""
    kr, ttl, now = kata_redis, 6 * 3600.0, now_for(ofs, rng)
    entities = ofs.int_ids(rng, 30)
    v = view(sol, ttl=ttl)
    first = ofs.make_source(rng, entities, now - 600.0, ttl, FEATURES, expired=0.0, future=0.0)
    sol.materialize(kr.client, kr.prefix, v, first, now - 600.0)
    newer = ofs.make_source(rng, entities, now, ttl, FEATURES, expired=0.0, future=0.0)
    newer["event_timestamp"] = now - 1.0  # newer than every stored row: all replaced
    newer["created_timestamp"] = now
    events: list = []
    ready = threading.Event()
    stop = f"kata-monitor-{int(rng.integers(10**9))}"
    watcher = threading.Thread(target=_monitor, args=(kr.new_client(), stop, events, ready),
                               daemon=True)  # fmt: skip
    watcher.start()
    assert ready.wait(10), "could not start MONITOR on the Redis server"
    time.sleep(0.05)
    sol.materialize(kr.client, kr.prefix, v, newer, now)
    kr.client.echo(stop)
    watcher.join(10)
    unit, units, in_multi = 0, {}, False  # key -> {unit: set of commands}
    for kind, words in events:
        name = words[0].upper() if words else ""
        if kind == "lua":
            pass  # a command run by the script of the current unit
        elif name == "MULTI":
            unit, in_multi = unit + 1, True
        elif name in ("EXEC", "DISCARD"):
            in_multi = False
        elif not in_multi:
            unit += 1  # a command on its own (or a script call, whose commands follow)
        if name in _WRITES and len(words) > 1 and words[1].startswith(kr.prefix):
            units.setdefault(words[1], {}).setdefault(unit, set()).add(name)
    problems = []
    for key, by_unit in units.items():
        if len(by_unit) > 1:
            steps = " then ".join("+".join(sorted(c)) for _, c in sorted(by_unit.items()))
            problems.append(f"{key} written in {len(by_unit)} separate steps ({steps})")
        elif not (next(iter(by_unit.values())) & _EXPIRES):
            problems.append(f"{key} written without its expiry")
    missing = [e for e in entities if f"{kr.prefix}user_stats:{e}" not in units]
    assert not missing, (
        f"materialize of rows newer than every stored one did not write {len(missing)} of "
        f"{len(entities)} hashes (R4), or wrote them in a way MONITOR does not show"
    )
    assert not problems, (
        f"materialize replaced {len(units)} stored rows; {len(problems)} not in one atomic "
        f"step, e.g. {problems[0]}. R6: each hash's fields and expiry are written in one "
        f"MULTI/EXEC transaction or one script, so a concurrent reader never sees it missing, "
        f"half-written or without its expiry"
    )
