"""Hidden correctness tests of fraud_velocity, on the kata_redis client (fakeredis, or a real
server with --redis-url).

The feature oracle is a brute-force scan of every transaction recorded so far
(conftest.oracle); distances come from the chord between unit vectors, not the haversine
formula; the decision oracle is written here from the statement's rules.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUTURE_HINT = (
    "Windows are in event time around the transaction's own timestamp, [t - W, t]: a "
    "transaction that happened later but was recorded earlier (out-of-order delivery) must not "
    "be counted. Bound the range at t (ZCOUNT key t-W t), not at +inf or at the latest score."
)
EDGE_HINT = (
    "Window edges are inclusive: a transaction exactly W seconds before t is inside [t - W, t] "
    "(ZRANGEBYSCORE's default bounds; '(' makes them exclusive)."
)
PREVIOUS_HINT = (
    "The previous transaction is the latest one in event time strictly before t (within 24 h), "
    "not the last one received: after out-of-order delivery the last one received may have "
    "happened after this one."
)
MEMBER_HINT = (
    "One member per transaction, keyed by its txn_id: a sorted set keeps one copy of each "
    "member, so members made of the amount (or merchant, or timestamp) alone collapse two "
    "transactions of the same amount into one, while a redelivered transaction must not count "
    "twice."
)
TRIM_HINT = (
    "After recording a transaction at t, members scored below t - 25 h (24 h window + 1 h "
    "lateness) are removed, and nothing newer: trimming less leaks memory forever, trimming at "
    "24 h loses members that a late transaction's 24 h window still needs."
)


def record_all(sol, kr, events, prefix=None):
    """Record ``events`` in order with the candidate; return the features of each."""
    prefix = kr.prefix if prefix is None else prefix
    return [sol.record_transaction(kr.client, prefix, e.build(sol)) for e in events]


def check_stream(sol, fv, kr, events, what, hint=""):
    """Record ``events`` in the given (arrival) order and compare every result with the
    oracle over what was recorded so far."""
    recorded = []
    for e in events:
        got = sol.record_transaction(kr.client, kr.prefix, e.build(sol))
        recorded.append(e)
        fv.check_features(got, fv.oracle(recorded, e), e, what, hint)


# -- features ----------------------------------------------------------------------------------


def test_features_in_event_order(sol, fv, kata_redis, rng):
    """A stream of 8 users recorded in event-time order: every feature of every transaction
    equals the brute-force oracle."""
    events = fv.make_events(rng, users=8, per_user=40, span_s=30 * 3600.0)
    check_stream(sol, fv, kata_redis, events, "in-order stream")


def test_out_of_order_events(sol, fv, kata_redis, rng):
    """Transactions arriving up to 1 h late: windows only count what happened at or before
    each transaction's own timestamp."""
    events = fv.make_events(rng, users=6, per_user=50, span_s=8 * 3600.0)
    order = fv.arrival_order(rng, events)
    # per user, one transaction that happened 100 s after another but arrives first
    forced = []
    for u in sorted({e.user_id for e in events}):
        late, early = (
            fv.Txn(f"x{u}_{int(d)}", u, "m9", 77.0, fv.quarter(fv.T0 + 9 * 3600.0 + d),
                   *fv.CITIES["NYC"])
            for d in (0.0, 100.0)
        )  # fmt: skip
        forced += [early, late]
    check_stream(sol, fv, kata_redis, order + forced, "out-of-order stream", FUTURE_HINT)


def test_window_edges_inclusive(sol, fv, kata_redis, rng):
    """Transactions exactly 300, 1800, 3600 and 86400 s before t are inside their windows;
    0.25 s earlier they are not."""
    kr = kata_redis
    for u in range(4):
        user = f"edge{u}_{int(rng.integers(10**6))}"
        t = fv.quarter(fv.T0 + float(rng.uniform(0, 10**6)))
        offsets = [86400.25, 86400.0, 3600.25, 3600.0, 1800.25, 1800.0, 300.25, 300.0]
        keep = [o for o in offsets if rng.random() < 0.7]
        if not any(o in (86400.0, 3600.0, 1800.0, 300.0) for o in keep):
            keep.append(float(rng.choice([86400.0, 3600.0, 1800.0, 300.0])))  # an exact edge
        events = [
            fv.Txn(f"e{u}_{i}", user, f"m{i}", float(10 * (i + 1)), t - off, *fv.CITIES["CHI"])
            for i, off in enumerate(keep)
        ]
        events.append(fv.Txn(f"e{u}_now", user, "m_now", 5.0, t, *fv.CITIES["CHI"]))
        recorded = []
        for e in events:
            got = sol.record_transaction(kr.client, kr.prefix, e.build(sol))
            recorded.append(e)
        fv.check_features(got, fv.oracle(recorded, e), e,
                          f"history at t-{keep} s", EDGE_HINT)  # fmt: skip


def test_previous_transaction_in_event_time(sol, fv, kata_redis, rng):
    """After out-of-order delivery, distance and hours are measured from the previous
    transaction in event time, not the last one received."""
    kr = kata_redis
    names = list(fv.CITIES)
    for u in range(6):
        user = f"trav{u}_{int(rng.integers(10**6))}"
        a, c = rng.choice(len(names), size=2, replace=False)
        home, away = fv.CITIES[names[a]], fv.CITIES[names[c]]
        t = fv.quarter(fv.T0 + float(rng.uniform(0, 10**6)))
        first = fv.Txn(f"p{u}_a", user, "m1", 10.0, t, *home)
        later = fv.Txn(f"p{u}_c", user, "m2", 20.0, t + 5400.0, *away)
        late = fv.Txn(f"p{u}_b", user, "m3", 30.0, t + 3000.0, *home)  # arrives after `later`
        recorded = []
        for e in (first, later, late):
            got = sol.record_transaction(kr.client, kr.prefix, e.build(sol))
            recorded.append(e)
        fv.check_features(got, fv.oracle(recorded, late), late,
                          f"{names[a]} at t, {names[c]} at t+1.5 h, {names[a]} at t+50 min "
                          f"received last", PREVIOUS_HINT)  # fmt: skip


def test_equal_amounts_and_redelivery(sol, fv, kata_redis, rng):
    """Two transactions with the same amount and merchant both count; a redelivered
    transaction counts once."""
    kr = kata_redis
    for u in range(4):
        user = f"dup{u}_{int(rng.integers(10**6))}"
        t = fv.quarter(fv.T0 + float(rng.uniform(0, 10**6)))
        amount = [9.99, 20.0, 49.5][u % 3]
        x = fv.Txn(f"d{u}_1", user, "m1", amount, t, *fv.CITIES["PAR"])
        y = fv.Txn(f"d{u}_2", user, "m1", amount, t + 60.0, *fv.CITIES["PAR"])
        sol.record_transaction(kr.client, kr.prefix, x.build(sol))
        got = sol.record_transaction(kr.client, kr.prefix, y.build(sol))
        fv.check_features(got, fv.oracle([x, y], y), y, "two transactions of the same amount",
                          MEMBER_HINT)  # fmt: skip
        again = sol.record_transaction(kr.client, kr.prefix, y.build(sol))
        fv.check_features(again, fv.oracle([x, y, y], y), y, "the same transaction redelivered",
                          MEMBER_HINT)  # fmt: skip


def test_old_members_trimmed(sol, fv, kata_redis, rng):
    """After a 3-day stream (arriving up to 1 h late), each user's sorted set holds exactly the
    members scored at or after (latest timestamp recorded) - 25 h, in the stated format."""
    kr = kata_redis
    events = fv.make_events(rng, users=5, per_user=200, span_s=3 * 86400.0)
    order = fv.arrival_order(rng, events)
    record_all(sol, kr, order)
    for user in sorted({e.user_id for e in events}):
        mine = [e for e in events if e.user_id == user]
        cutoff = max(e.timestamp for e in mine) - 90_000.0
        want = sorted((e.member(), e.timestamp) for e in mine if e.timestamp >= cutoff)
        got = sorted(kr.client.zrange(f"{kr.prefix}txn:{user}", 0, -1, withscores=True))
        if got != want:
            got_set, want_set = set(got), set(want)
            raise AssertionError(
                f"sorted set {kr.prefix}txn:{user} after the stream: {len(got)} members, "
                f"expected {len(want)} (scores >= {cutoff!r}); extra (first 3): "
                f"{sorted(got_set - want_set)[:3]}; missing (first 3): "
                f"{sorted(want_set - got_set)[:3]}. {TRIM_HINT}"
            )
    if not kr.real:
        stray = [k for k in kr.client.keys("*") if not k.startswith(kr.prefix)]
        assert not stray, f"keys outside the prefix {kr.prefix!r}: {stray[:5]}"


def test_impossible_travel_rule(sol, fv, kata_redis, rng):
    """More than 1000 km in less than 2 h is impossible; exactly 2 h, or under 1000 km, is not."""
    kr = kata_redis
    cases = [("NYC", "LA", 7200.0), ("NYC", "LA", 7199.75), ("NYC", "BOS", 600.0),
             ("LON", "PAR", 1800.0), ("NYC", "LON", 3600.0), ("SYD", "TYO", 7200.25)]  # fmt: skip
    for i, (a, b, dt) in enumerate(cases):
        user = f"it{i}_{int(rng.integers(10**6))}"
        t = fv.quarter(fv.T0 + float(rng.uniform(0, 10**6)))
        x = fv.Txn(f"i{i}_1", user, "m1", 10.0, t, *fv.CITIES[a])
        y = fv.Txn(f"i{i}_2", user, "m2", 10.0, t + dt, *fv.CITIES[b])
        sol.record_transaction(kr.client, kr.prefix, x.build(sol))
        got = sol.record_transaction(kr.client, kr.prefix, y.build(sol))
        fv.check_features(got, fv.oracle([x, y], y), y, f"{a} then {b} {dt / 3600:.4f} h later",
                          "impossible_travel is distance > 1000 km and hours < 2 (both strict)")  # fmt: skip


def test_haversine_matches_chord_distance(sol, fv, rng):
    """haversine_km equals the great-circle distance (R = 6371 km) for random pairs, across
    the dateline, at the poles and for antipodes."""
    pairs = [(0.0, 179.9, 0.0, -179.9), (90.0, 0.0, -90.0, 0.0), (10.0, 20.0, -10.0, -160.0),
             (51.5, -0.12, 51.5, -0.12)]  # fmt: skip
    for _ in range(200):
        pairs.append((float(rng.uniform(-90, 90)), float(rng.uniform(-180, 180)),
                      float(rng.uniform(-90, 90)), float(rng.uniform(-180, 180))))  # fmt: skip
    for p in pairs:
        got = sol.haversine_km(*p)
        want = fv.chord_km(*p)
        assert isinstance(got, float) and abs(got - want) <= 1e-6 * max(1.0, want), (
            f"haversine_km{p} returned {got!r}, expected {want:.9f} km (R = 6371.0 km, "
            f"degrees converted to radians)"
        )


def test_invalid_transactions_raise(sol, fv, kata_redis):
    """Bad ids, amounts, timestamps or positions raise ValueError and record nothing."""
    kr = kata_redis
    bad = [
        fv.Txn("a|b", "user_ok", "m1", 10.0, fv.T0, 10.0, 20.0),
        fv.Txn("ok2", "", "m1", 10.0, fv.T0, 10.0, 20.0),
        fv.Txn("ok3", "user_ok", "m|1", 10.0, fv.T0, 10.0, 20.0),
        fv.Txn("ok4", "user_ok", "m1", -1.0, fv.T0, 10.0, 20.0),
        fv.Txn("ok5", "user_ok", "m1", math.nan, fv.T0, 10.0, 20.0),
        fv.Txn("ok6", "user_ok", "m1", 10.0, math.inf, 10.0, 20.0),
        fv.Txn("ok7", "user_ok", "m1", 10.0, fv.T0, 91.0, 20.0),
        fv.Txn("ok8", "user_ok", "m1", 10.0, fv.T0, 10.0, -180.5),
    ]
    for b in bad:
        with pytest.raises(ValueError):
            sol.record_transaction(kr.client, kr.prefix, b.build(sol))
            pytest.fail(f"record_transaction({b}) returned instead of raising ValueError")
    left = kr.client.zcard(f"{kr.prefix}txn:user_ok")
    assert left == 0, f"invalid transactions left {left} members in {kr.prefix}txn:user_ok"


# -- decision ----------------------------------------------------------------------------------

SEV = {"APPROVE": 0, "REVIEW": 1, "CHALLENGE": 2, "BLOCK": 3}


def decision_oracle(txn, feats, ml, dl, rules):
    """The statement's decision, written independently."""
    score = 0.6 * ml + 0.4 * dl if (dl is not None and 0.4 < ml < 0.8) else ml
    by_score = ("BLOCK" if score > rules.block else "CHALLENGE" if score > rules.challenge
                else "REVIEW" if score > rules.review else "APPROVE")  # fmt: skip
    rule = None
    if txn.user_id in rules.blocked_users or txn.merchant_id in rules.blocked_merchants:
        rule = ("BLOCK", "blocklist")
    elif txn.amount > rules.max_amount:
        rule = ("BLOCK", "amount")
    elif feats.txn_count_5m > rules.max_txn_5m:
        rule = ("BLOCK", "velocity")
    elif feats.impossible_travel:
        rule = ("CHALLENGE", "impossible_travel")
    if rule and SEV[rule[0]] >= SEV[by_score]:
        return rule[0], rule[1], score
    return by_score, "score", score


def features(sol, count_5m=1, impossible=False):
    """A VelocityFeatures of the candidate's class with the fields decide reads."""
    return sol.VelocityFeatures(count_5m, count_5m, count_5m, 10.0, 10.0, 1, 5.0, 1.0, impossible)


def check_decision(sol, txn, feats, ml, dl, rules, what, hint=""):
    """decide(...) equals the oracle's (action, reason, score)."""
    got = sol.decide(txn, feats, ml, dl, rules)
    want = decision_oracle(txn, feats, ml, dl, rules)
    have = (getattr(got, "action", None), getattr(got, "reason", None), getattr(got, "score", None))
    if have[:2] != want[:2] or not (isinstance(have[2], float) and abs(have[2] - want[2]) <= 1e-12):
        raise AssertionError(
            f"decide({what}) returned {have}, expected {want}" + (f". {hint}" if hint else "")
        )


def test_decision_thresholds(sol, fv):
    """Scores exactly at 0.9, 0.7 and 0.5 fall to the lower action (strictly greater), just
    above them to the higher one."""
    t = fv.Txn("d1", "u", "m", 10.0, fv.T0, 0.0, 0.0).build(sol)
    for s in (0.9, 0.7, 0.5):
        for score in (s, math.nextafter(s, 1.0), math.nextafter(s, 0.0)):
            check_decision(sol, t, features(sol), score, None, sol.Rules(), f"ml_score={score!r}",
                           "the seed's thresholds are strict: score > 0.9 blocks, 0.9 itself "
                           "challenges")  # fmt: skip


def test_decision_blend_band(sol, fv):
    """The sequence model is blended in only for 0.4 < ml_score < 0.8 (strict)."""
    t = fv.Txn("d2", "u", "m", 10.0, fv.T0, 0.0, 0.0).build(sol)
    for ml, dl in ((0.4, 1.0), (0.8, 0.0), (0.41, 1.0), (0.79, 0.0), (0.6, 0.95), (0.3, 1.0),
                   (0.6, None)):  # fmt: skip
        check_decision(sol, t, features(sol), ml, dl, sol.Rules(), f"ml={ml}, dl={dl}",
                       "final = 0.6 * ml + 0.4 * dl only when 0.4 < ml < 0.8")  # fmt: skip


def test_decision_layers(sol, fv):
    """Rules and scores combine by severity: a rule below the score's action loses, a tie keeps
    the rule's reason, rule limits are strict."""
    rules = sol.Rules(blocked_users=frozenset({"bad_user"}),
                      blocked_merchants=frozenset({"bad_m"}), max_amount=5000.0, max_txn_5m=4)  # fmt: skip
    cases = [
        ("u", "m", 10.0, 1, True, 0.95, "impossible travel vs a blocking score"),
        ("u", "m", 10.0, 1, True, 0.6, "impossible travel vs a review score"),
        ("u", "m", 10.0, 1, True, 0.75, "impossible travel vs a challenging score"),
        ("bad_user", "m", 9000.0, 9, True, 0.1, "blocklisted user with a big amount"),
        ("u", "bad_m", 10.0, 1, False, 0.1, "blocklisted merchant"),
        ("u", "m", 5000.0, 1, False, 0.1, "amount exactly at the limit"),
        ("u", "m", 5000.01, 1, False, 0.1, "amount over the limit"),
        ("u", "m", 10.0, 4, False, 0.1, "txn_count_5m at the limit"),
        ("u", "m", 10.0, 5, True, 0.1, "txn_count_5m over the limit and impossible travel"),
    ]
    for user, merchant, amount, count, impossible, ml, label in cases:
        t = fv.Txn("d3", user, merchant, amount, fv.T0, 0.0, 0.0).build(sol)
        check_decision(sol, t, features(sol, count, impossible), ml, None, rules, label,
                       "the decision is the more severe of the rule's and the score's actions; "
                       "limits are strict (amount > max_amount, count > max_txn_5m)")  # fmt: skip


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ml=st.one_of(st.sampled_from([0.4, 0.5, 0.7, 0.8, 0.9]), st.floats(0, 1)),
    dl=st.one_of(st.none(), st.floats(0, 1)),
    amount=st.sampled_from([0.0, 99.5, 10_000.0, 10_000.5]),
    count=st.integers(0, 15),
    impossible=st.booleans(),
    blocked=st.booleans(),
)
def test_decision_property(sol, fv, ml, dl, amount, count, impossible, blocked):
    """Property: for any scores, amount, velocity and travel flag, decide equals the oracle."""
    rules = sol.Rules(blocked_merchants=frozenset({"bad_m"}))
    t = fv.Txn("d4", "u", "bad_m" if blocked else "m", amount, fv.T0, 0.0, 0.0).build(sol)
    check_decision(sol, t, features(sol, count, impossible), ml, dl, rules,
                   f"ml={ml!r}, dl={dl!r}, amount={amount}, count_5m={count}, "
                   f"impossible={impossible}, blocked={blocked}")  # fmt: skip


def test_velocity_on_a_dense_burst(sol, fv, kata_redis, rng):
    """A card-testing burst (many small transactions within minutes) gives the counts the
    velocity rule reads."""
    kr = kata_redis
    user = f"burst_{int(rng.integers(10**6))}"
    t = fv.quarter(fv.T0 + float(rng.uniform(0, 10**6)))
    gaps = np.sort(rng.choice(1200, size=15, replace=False)).astype(float)
    events = [fv.Txn(f"b{i}", user, f"m{i % 4}", 1.0, t + g, *fv.CITIES["SAO"])
              for i, g in enumerate(gaps)]  # fmt: skip
    recorded = []
    for e in events:
        got = sol.record_transaction(kr.client, kr.prefix, e.build(sol))
        recorded.append(e)
        fv.check_features(got, fv.oracle(recorded, e), e, "a 15-transaction burst")
