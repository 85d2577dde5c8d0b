"""Hidden performance gates of fraud_velocity: Redis round trips per transaction (counted outside
the sandbox, between its client and Redis), and the time to record a stream against the suite's
plain solution (baseline.py) on the same Redis. Streams are recorded in the sandbox by
inside.py's driver, one call per stream or batch.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

N_TRIPS = 2_000  # transactions whose round trips are counted one by one
DAYS = 20  # of history per user before the timed stream
BATCH = 200  # transactions per timed call
SLOW_HINT = "R16: the time of a call must not grow with the user's older history"


def record_trips(record_property, worst: int, bound: int, what: str) -> None:
    """Store the worst count like a perf gate's ratio, so reports show it beside the bound."""
    record_property(
        "perf", {"ratio": float(worst), "bound": float(bound), "what": what, "rounds": 1,
                 "confirmed": True},
    )  # fmt: skip


@pytest.mark.perf
@pytest.mark.rules("R15")
def test_round_trips_per_transaction(sol, inside, fv, kata_redis, rng, record_property):
    """Recording 2,000 transactions (40 users, 5 days, arriving up to 1 h late) takes at most
    2 round trips each (3 for the first, which may load a script), and the features of every
    transaction equal the oracle's."""
    kr = kata_redis
    events = fv.make_events(rng, users=40, per_user=N_TRIPS // 40, span_s=5 * 86400.0)
    order = fv.arrival_order(rng, events)
    counts = []

    def mark(i):  # called by the sandbox's driver after each record_transaction
        counts.append(kr.trips.count)

    kr.trips.reset()
    got = inside(sol).record_stream(kr.client, kr.prefix, [e.row() for e in order], mark)
    per_call = [b - a for a, b in zip([0, *counts], counts, strict=False)]
    allowed = [3] + [2] * (len(per_call) - 1)
    over = [(i, n) for i, (n, cap) in enumerate(zip(per_call, allowed, strict=False)) if n > cap]
    worst = max(per_call[1:] or [0])
    record_trips(record_property, worst, 2, "worst round trips per transaction (R15)")
    recorded: dict = {}
    for i, e in enumerate(order):
        recorded.setdefault(e.user_id, []).append(e)
        if i % 10 == 0 or i >= len(got):
            fv.check_features(got[i] if i < len(got) else None,
                              fv.oracle(recorded[e.user_id], e), e, "a stream of 2,000")  # fmt: skip
    assert not over, (
        f"record_transaction #{over[0][0]} of a stream made {over[0][1]} round trips to Redis "
        f"({len(over)} calls over the budget); R15: at most 2 per transaction"
    )


def preload(client, key_prefixes: list[str], users: list[str], rng, fv, days: int,
            per_day: int, end: float) -> dict:  # fmt: skip
    """Write ``days`` of history for each user straight into the stated layout, under each of
    ``key_prefixes``; return the history per user (for the oracle)."""
    pipe = client.pipeline(transaction=False)
    history = {}
    for u, user in enumerate(users):
        n = days * per_day
        ts = end - np.sort(rng.choice(days * 86400 * 4, size=n, replace=False))[::-1] / 4.0
        history[user] = [fv.Txn(f"h{u}_{k}", user, f"m{k % 12}", 20.0, float(t), 40.0, -74.0)
                         for k, t in enumerate(ts)]  # fmt: skip
        members = {e.member(): e.timestamp for e in history[user]}
        for key_prefix in key_prefixes:
            pipe.zadd(f"{key_prefix}txn:{user}", members)
    pipe.execute()
    return history


@pytest.mark.perf
@pytest.mark.weight(2)
@pytest.mark.rules("R16")
def test_throughput_vs_plain_solution(sol, inside, baseline, fv, kata_redis, rng, perf):
    """Recording batches of 200 transactions (20 users with 20 days of history at 40 a day)
    takes at most 3x the time of a plain one-round-trip solution on the same Redis, with the
    same features."""
    kr = kata_redis
    users = [f"hv{u}_{int(rng.integers(10**6))}" for u in range(20)]
    start = fv.T0 + DAYS * 86400.0
    mine, theirs = kr.prefix + "c:", kr.prefix + "r:"
    seed = int(rng.integers(2**31))
    state = preload(
        kr.client,
        [mine, theirs],
        users,
        np.random.default_rng(seed),
        fv,
        days=DAYS,
        per_day=40,
        end=start,
    )  # the same history under both prefixes
    gap = 86400.0 / 40 / len(users)  # 40 transactions per user and day
    counter = itertools.count()

    def make_args():
        b = next(counter)
        rows = []
        for k in range(BATCH):
            i = b * BATCH + k
            t = fv.quarter(start + (i + 1) * gap)
            user = users[i % len(users)]
            rows.append(fv.Txn(f"s{i}", user, f"m{i % 12}", 20.0 + (i % 7), t, 40.0,
                               -74.0).row())  # fmt: skip
        return (rows,)

    driver = inside(sol)

    def candidate(rows):  # the candidate's own history grows with every batch it records
        for row in rows:
            state[row[1]].append(fv.Txn(*row))
        return driver.record_stream(kr.client, mine, rows)

    def check(got, want, args):  # against the oracle over what the candidate recorded
        for g, row in zip(got, args[0], strict=True):
            e = fv.Txn(*row)
            fv.check_features(g, fv.oracle(state[e.user_id], e), e, "a timed batch")

    perf.compare(
        candidate,
        lambda rows: baseline.record_stream(kr.client, theirs, rows),
        make_args, bound=3.0,
        what="record_transaction time / a plain solution's (batches of 200, 20 days of history; "
        "R16)",
        check=check, hint=SLOW_HINT,
    )  # fmt: skip
