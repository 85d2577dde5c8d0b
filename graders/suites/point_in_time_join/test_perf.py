"""Hidden performance gates of point_in_time_join (R13): time against the plain merge_asof join
of the suite's baseline.py, and peak memory against the size of the inputs.

Sizes are scaled down from the catalog's 10^6 entity rows x 5*10^6 feature rows (a call takes
seconds there) to 5*10^4 x 2.5*10^5, which keeps one call near 0.1-0.5 s on the grading machine.
The timed inputs always hold every trap of the statement (same-timestamp corrections in either
source order, entity rows exactly on a feature timestamp, exactly ttl after one and just past
it), so a wrong join fails the timed input's check whatever the seed.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

N_ENTITIES = 50_000
SPAN_S = 30 * 86_400
SLOW_HINT = (
    "R13: the join must be O((n + m) log(n + m)); joining every entity row to every feature row "
    "of its key and then filtering builds a table as large as rows x history"
)
EDGE_USERS = 400


def big_world(pit, rng, n: int = N_ENTITIES):
    """Two views (user: 4n rows over n/25 users, ttl 2 days; merchant: n rows over n/100 str
    merchants, ttl 7 days) over 30 days, entity rows in New York (us) against sources in UTC
    (ns) and Kolkata (ms), built vectorised, with every trap built in (see the module
    docstring): a third of the entity rows exactly on a feature timestamp of their user, and
    EDGE_USERS users with a same-timestamp correction and entity rows at, exactly ttl after,
    just past ttl after and just before it."""
    t0 = pd.Timestamp("2024-01-01", tz="UTC")

    def ts(seconds, tz, unit):
        return pd.Series(t0 + pd.to_timedelta(seconds, unit="s")).dt.tz_convert(tz).dt.as_unit(unit)

    users = np.arange(n // 25, dtype=np.int64) * 7 + 3
    names = np.array([f"m{i:05d}" for i in range(n // 100)], dtype=object)
    mu = 4 * n
    u_ids = rng.choice(users, size=mu)
    u_sec = rng.integers(0, SPAN_S, size=mu)
    u_created = u_sec + rng.integers(0, 600, size=mu)
    # the edge users: one feature row at t and its correction (same t, written later; the
    # correction first in the source for half of them)
    edge = (len(users) + np.arange(EDGE_USERS, dtype=np.int64)) * 7 + 3
    t = rng.integers(86_400, SPAN_S - 3 * 86_400, size=EDGE_USERS)
    created = t + rng.integers(0, 300, size=EDGE_USERS)
    later = created + 1 + rng.integers(0, 300, size=EDGE_USERS)
    first = rng.random(EDGE_USERS) < 0.5
    ids = np.r_[u_ids, edge, edge]
    sec = np.r_[u_sec, t, t]
    cre = np.r_[u_created, np.where(first, later, created), np.where(first, created, later)]
    m = len(ids)
    perm = rng.permutation(m)
    user_src = pd.DataFrame(
        {
            "user_id": ids[perm],
            "event_timestamp": ts(sec[perm], "UTC", "ns"),
            "created_timestamp": ts(cre[perm], "UTC", "ns"),
            "spend_1h": rng.normal(50, 20, size=m),
            "txn_count_1d": rng.integers(0, 30, size=m).astype(np.float64),
            "avg_amount_7d": rng.normal(40, 10, size=m),
        }
    )
    m_sec = rng.integers(0, SPAN_S, size=n)
    merchant_src = pd.DataFrame(
        {
            "merchant_id": pd.Series(rng.choice(names, size=n)).astype("str"),
            "ts": ts(m_sec, "Asia/Kolkata", "ms"),
            "written_at": ts(m_sec + rng.integers(0, 600, size=n), "Asia/Kolkata", "ms"),
            "risk": rng.random(n),
            "chargeback_rate": rng.random(n) * 0.1,
        }
    )
    n_plain = n - 4 * EDGE_USERS
    e_users = rng.choice(users, size=n_plain)
    e_sec = rng.integers(0, SPAN_S, size=n_plain)
    on = rng.choice(n_plain, size=n_plain // 3, replace=False)  # exactly on a feature ts
    pick = rng.integers(0, mu, size=len(on))
    e_users[on], e_sec[on] = u_ids[pick], u_sec[pick]
    user_ttl = 2 * 86_400
    e_users = np.r_[e_users, np.repeat(edge, 4)]
    e_sec = np.r_[e_sec, (t[:, None] + np.array([0, user_ttl, user_ttl + 1, -1])).ravel()]
    order = rng.permutation(n)
    entity_df = pd.DataFrame(
        {
            "user_id": e_users[order],
            "merchant_id": pd.Series(rng.choice(names, size=n)).astype("str"),
            "event_timestamp": ts(e_sec[order], "America/New_York", "us"),
            "label": rng.integers(0, 2, size=n),
        }
    )
    views = [
        pit.ViewSpec("user", ["user_id"], ["spend_1h", "txn_count_1d", "avg_amount_7d"],
                     user_src, timedelta(seconds=user_ttl)),
        pit.ViewSpec("merchant", ["merchant_id"], ["risk", "chargeback_rate"], merchant_src,
                     timedelta(days=7), "ts", "written_at"),
    ]  # fmt: skip
    return pit.World(entity_df, views)


def shifted(pit, world, seconds: int):
    """The same world with every timestamp moved by ``seconds`` (fresh frames, same answer
    structure): new inputs for each timed call, cheap to make."""
    delta = pd.Timedelta(seconds=seconds)
    entity_df = world.entity_df.assign(event_timestamp=world.entity_df["event_timestamp"] + delta)
    views = []
    for v in world.views:
        src = v.source.assign(
            **{
                v.timestamp_field: v.source[v.timestamp_field] + delta,
                v.created_timestamp_column: v.source[v.created_timestamp_column] + delta,
            }
        )
        views.append(pit.ViewSpec(v.name, v.join_keys, v.features, src, v.ttl,
                                  v.timestamp_field, v.created_timestamp_column))  # fmt: skip
    return pit.World(entity_df, views)


@pytest.mark.perf
@pytest.mark.weight(2)
@pytest.mark.rules("R13")
def test_within_2x_of_merge_asof_baseline(pit, sol, baseline, perf, rng):
    """5*10^4 entity rows x 2.5*10^5 feature rows in two views: at most 2x the time of a plain
    merge_asof-based join timed in the same run, with the same answer."""
    base = big_world(pit, rng)

    def make_args():
        world = shifted(pit, base, int(rng.integers(-86_400, 86_400)))
        return world.entity_df, world

    def check(out, expected, args):
        pit.compare(out, args[1], expected,
                    what="get_historical_features on a timed input (5e4 x 2.5e5 rows, 2 views)",
                    hint="R1-R5, R10: the value of the latest qualifying row of the same keys")  # fmt: skip

    perf.compare(
        lambda entity_df, world: sol.get_historical_features(entity_df, world.build(sol)),
        lambda entity_df, world: baseline.join(entity_df, world.specs()),
        make_args,
        bound=2.0,
        what="get_historical_features time / a plain merge_asof join's (5e4 x 2.5e5 rows; R13)",
        check=check,
        hint=SLOW_HINT,
    )


@pytest.mark.perf
@pytest.mark.rules("R13")
def test_peak_memory_under_4x_inputs(pit, drive, baseline, rng, record_property):
    """Peak memory traced during one call (tracemalloc, in the sandbox: Python objects and
    numpy/pandas buffers) stays under 4x the inputs' size, on 5*10^4 x 2.5*10^5 rows."""
    base = big_world(pit, rng)
    warm, world = shifted(pit, base, 17), shifted(pit, base, 3_600)
    report = drive.peak_memory(warm.entity_df, warm.specs(), world.entity_df, world.specs())
    pit.compare(
        report["result"], world, baseline.join(world.entity_df, world.specs()),
        what="get_historical_features on the memory input (5e4 x 2.5e5 rows, 2 views)",
        hint="R1-R5, R10: the value of the latest qualifying row of the same keys",
    )  # fmt: skip
    peak, size = report["peak"], report["size"]
    ratio = peak / size
    record_property(
        "perf",
        {"ratio": round(ratio, 4), "bound": 4.0, "rounds": 1, "confirmed": True,
         "what": "peak traced memory of the call / size of its inputs (R13)"},
    )  # fmt: skip
    assert ratio < 4.0, (
        f"get_historical_features on 5e4 entity rows x 2.5e5 feature rows ({size / 1e6:.1f} MB "
        f"of inputs) peaked at {peak / 1e6:.1f} MB of traced allocations, {ratio:.1f}x the "
        f"inputs; the bound is 4x. {SLOW_HINT}"
    )
