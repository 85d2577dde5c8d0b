"""Hidden correctness tests of fraud_velocity, on the kata_redis client (fakeredis, or a real
server with --redis-url).

The feature oracle is a brute-force scan of every transaction recorded so far
(conftest.oracle); distances come from the chord between unit vectors, not the haversine
formula; the decision oracle is written here from the statement's rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUTURE_HINT = (
    "R8: windows are in event time around the transaction's own timestamp, [t - W, t]: a "
    "transaction that happened later but was recorded earlier is not counted."
)
EDGE_HINT = "R3: window edges are inclusive: [t - W, t]."
PREVIOUS_HINT = (
    "R6: the previous transaction is the latest one in event time strictly before t (within "
    "24 h), not the last one received."
)
MEMBER_HINT = (
    "R1: one member per transaction: two transactions of the same amount both count, while a "
    "redelivered transaction counts once."
)
TRIM_HINT = (
    "R2: after recording a transaction at t, members scored strictly below t - 25 h (24 h "
    "window + 1 h lateness) are removed, and nothing newer."
)


def record_all(sol, inside, kr, events, prefix=None) -> list:
    """Record ``events`` in order with the candidate (in the sandbox, one call); the features
    of each (tuples, or an error)."""
    prefix = kr.prefix if prefix is None else prefix
    return inside(sol).record_stream(kr.client, prefix, [e.row() for e in events])


def check_stream(sol, inside, fv, kr, events, what, hint=""):
    """Record ``events`` in the given (arrival) order and compare every result with the
    oracle over what was recorded so far."""
    got = record_all(sol, inside, kr, events)
    recorded = []
    for i, e in enumerate(events):
        recorded.append(e)
        fv.check_features(got[i] if i < len(got) else None, fv.oracle(recorded, e), e, what,
                          hint)  # fmt: skip


# -- features ----------------------------------------------------------------------------------


@pytest.mark.rules("R3", "R4", "R5", "R6", "R7")
def test_features_in_event_order(sol, inside, fv, kata_redis, rng):
    """A stream of 8 users recorded in event-time order: every feature of every transaction
    equals the brute-force oracle."""
    events = fv.make_events(rng, users=8, per_user=40, span_s=30 * 3600.0)
    check_stream(sol, inside, fv, kata_redis, events, "in-order stream")


@pytest.mark.rules("R8")
def test_out_of_order_events(sol, inside, fv, kata_redis, rng):
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
    check_stream(sol, inside, fv, kata_redis, order + forced, "out-of-order stream", FUTURE_HINT)


@pytest.mark.rules("R3")
def test_window_edges_inclusive(sol, inside, fv, kata_redis, rng):
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
        got = record_all(sol, inside, kr, events)
        fv.check_features(got[-1] if len(got) == len(events) else None,
                          fv.oracle(events, events[-1]), events[-1], f"history at t-{keep} s",
                          EDGE_HINT)  # fmt: skip


@pytest.mark.rules("R6")
def test_previous_transaction_in_event_time(sol, inside, fv, kata_redis, rng):
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
        got = record_all(sol, inside, kr, [first, later, late])
        fv.check_features(got[-1] if len(got) == 3 else None,
                          fv.oracle([first, later, late], late), late,
                          f"{names[a]} at t, {names[c]} at t+1.5 h, {names[a]} at t+50 min "
                          f"received last", PREVIOUS_HINT)  # fmt: skip


@pytest.mark.rules("R1")
def test_equal_amounts_and_redelivery(sol, inside, fv, kata_redis, rng):
    """Two transactions with the same amount and merchant both count; a redelivered
    transaction counts once."""
    kr = kata_redis
    for u in range(4):
        user = f"dup{u}_{int(rng.integers(10**6))}"
        t = fv.quarter(fv.T0 + float(rng.uniform(0, 10**6)))
        amount = [9.99, 20.0, 49.5][u % 3]
        x = fv.Txn(f"d{u}_1", user, "m1", amount, t, *fv.CITIES["PAR"])
        y = fv.Txn(f"d{u}_2", user, "m1", amount, t + 60.0, *fv.CITIES["PAR"])
        got = record_all(sol, inside, kr, [x, y, y]) + [None, None]
        fv.check_features(got[1], fv.oracle([x, y], y), y, "two transactions of the same amount",
                          MEMBER_HINT)  # fmt: skip
        fv.check_features(got[2], fv.oracle([x, y, y], y), y,
                          "the same transaction redelivered", MEMBER_HINT)  # fmt: skip
        members = kr.client.zrange(f"{kr.prefix}txn:{user}", 0, -1, withscores=True)
        assert sorted(members) == sorted([(x.member(), x.timestamp), (y.member(), y.timestamp)]), (
            f"after recording two transactions (one twice), the user's sorted set holds "
            f"{len(members)} members, not the two of the stated layout (R1)"
        )


@pytest.mark.rules("R2")
def test_old_members_trimmed(sol, inside, fv, kata_redis, rng):
    """After a 3-day stream (arriving up to 1 h late), each user's sorted set holds exactly the
    members scored at or after (latest timestamp recorded) - 25 h, in the stated format."""
    kr = kata_redis
    events = fv.make_events(rng, users=5, per_user=200, span_s=3 * 86400.0)
    order = fv.arrival_order(rng, events)
    got = record_all(sol, inside, kr, order)
    if len(got) < len(order) or got[-1][0] == "error":
        raise AssertionError(f"recording a 3-day stream stopped at call {len(got)}: {got[-1]}")
    for user in sorted({e.user_id for e in events}):
        mine = [e for e in events if e.user_id == user]
        cutoff = max(e.timestamp for e in mine) - 90_000.0
        want = sorted((e.member(), e.timestamp) for e in mine if e.timestamp >= cutoff)
        got = sorted(kr.client.zrange(f"{kr.prefix}txn:{user}", 0, -1, withscores=True))
        if got != want:
            got_set, want_set = set(got), set(want)
            raise AssertionError(
                f"sorted set {kr.prefix}txn:{user} after the stream: {len(got)} members, "
                f"expected {len(want)} (scores >= {cutoff!r}); {len(got_set - want_set)} extra "
                f"(first: {sorted(got_set - want_set)[:1]}), {len(want_set - got_set)} "
                f"missing. {TRIM_HINT}"
            )
    if kr.service.owned():  # a server this run started and emptied
        stray = [k for k in kr.client.keys("*") if not k.startswith(kr.prefix)]
        assert not stray, f"{len(stray)} key(s) written outside the prefix (R1)"


@pytest.mark.rules("R7")
def test_impossible_travel_rule(sol, inside, fv, kata_redis, rng):
    """More than 1000 km in less than 2 h is impossible; exactly 2 h, or under 1000 km, is not."""
    kr = kata_redis
    cases = [("NYC", "LA", 7200.0), ("NYC", "LA", 7199.75), ("NYC", "BOS", 600.0),
             ("LON", "PAR", 1800.0), ("NYC", "LON", 3600.0), ("SYD", "TYO", 7200.25)]  # fmt: skip
    for i, (a, b, dt) in enumerate(cases):
        user = f"it{i}_{int(rng.integers(10**6))}"
        t = fv.quarter(fv.T0 + float(rng.uniform(0, 10**6)))
        x = fv.Txn(f"i{i}_1", user, "m1", 10.0, t, *fv.CITIES[a])
        y = fv.Txn(f"i{i}_2", user, "m2", 10.0, t + dt, *fv.CITIES[b])
        got = record_all(sol, inside, kr, [x, y]) + [None]
        fv.check_features(got[1], fv.oracle([x, y], y), y, f"{a} then {b} {dt / 3600:.4f} h later",
                          "R7: impossible_travel is distance > 1000 km and hours < 2 (both "
                          "strict)")  # fmt: skip


@pytest.mark.rules("R10")
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
            f"haversine_km{p} returned {got!r}, expected {want:.9f} km (R10)"
        )


@pytest.mark.rules("R9")
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
            pytest.fail(f"record_transaction({b}) returned instead of raising ValueError (R9)")
    left = kr.client.zcard(f"{kr.prefix}txn:user_ok")
    assert left == 0, f"invalid transactions left {left} members in the user's set (R9)"


# -- decision ----------------------------------------------------------------------------------

SEV = {"APPROVE": 0, "REVIEW": 1, "CHALLENGE": 2, "BLOCK": 3}


def decision_oracle(txn, count_5m, impossible, ml, dl, rules):
    """The statement's decision, written independently."""
    score = 0.6 * ml + 0.4 * dl if (dl is not None and 0.4 < ml < 0.8) else ml
    by_score = ("BLOCK" if score > rules.block else "CHALLENGE" if score > rules.challenge
                else "REVIEW" if score > rules.review else "APPROVE")  # fmt: skip
    rule = None
    if txn.user_id in rules.blocked_users or txn.merchant_id in rules.blocked_merchants:
        rule = ("BLOCK", "blocklist")
    elif txn.amount > rules.max_amount:
        rule = ("BLOCK", "amount")
    elif count_5m > rules.max_txn_5m:
        rule = ("BLOCK", "velocity")
    elif impossible:
        rule = ("CHALLENGE", "impossible_travel")
    if rule and SEV[rule[0]] >= SEV[by_score]:
        return rule[0], rule[1], score
    return by_score, "score", score


def check_decisions(sol, inside, cases, what, hint=""):
    """decide(...) equals the oracle's (action, reason, score) for every case ``(Txn, count_5m,
    impossible, ml, dl, rules kwargs, label)``, all made in the sandbox in one call."""
    sent = [(t.row(), (count, impossible), ml, dl, {k: sorted(v) if isinstance(v, frozenset)
             else v for k, v in rules.items()}) for t, count, impossible, ml, dl, rules, _ in cases]  # fmt: skip
    got = inside(sol).decide_cases(sent)
    for (t, count, impossible, ml, dl, rules, label), have in zip(cases, got, strict=True):
        want = decision_oracle(t, count, impossible, ml, dl, Rules(**rules))
        if have[0] == "error":
            raise AssertionError(f"decide({what}: {label}) raised {have[1]}: {have[2]}")
        if have[:2] != want[:2] or not (
            isinstance(have[2], float) and abs(have[2] - want[2]) <= 1e-12
        ):
            raise AssertionError(
                f"decide({what}: {label}) returned {have}, expected {want}"
                + (f". {hint}" if hint else "")
            )


@dataclass(frozen=True)
class Rules:
    """The statement's Rules defaults (the oracle's copy)."""

    blocked_users: frozenset = frozenset()
    blocked_merchants: frozenset = frozenset()
    max_amount: float = 10_000.0
    max_txn_5m: int = 10
    block: float = 0.9
    challenge: float = 0.7
    review: float = 0.5


@pytest.mark.rules("R12")
def test_decision_thresholds(sol, inside, fv):
    """Scores exactly at 0.9, 0.7 and 0.5 fall to the lower action (strictly greater), just
    above them to the higher one."""
    t = fv.Txn("d1", "u", "m", 10.0, fv.T0, 0.0, 0.0)
    cases = [(t, 1, False, score, None, {}, f"ml_score={score!r}")
             for s in (0.9, 0.7, 0.5)
             for score in (s, math.nextafter(s, 1.0), math.nextafter(s, 0.0))]  # fmt: skip
    check_decisions(sol, inside, cases, "thresholds",
                    "R12: the thresholds are strict: score > 0.9 blocks, 0.9 itself challenges")  # fmt: skip


@pytest.mark.rules("R11")
def test_decision_blend_band(sol, inside, fv):
    """The sequence model is blended in only for 0.4 < ml_score < 0.8 (strict)."""
    t = fv.Txn("d2", "u", "m", 10.0, fv.T0, 0.0, 0.0)
    cases = [(t, 1, False, ml, dl, {}, f"ml={ml}, dl={dl}")
             for ml, dl in ((0.4, 1.0), (0.8, 0.0), (0.41, 1.0), (0.79, 0.0), (0.6, 0.95),
                            (0.3, 1.0), (0.6, None))]  # fmt: skip
    check_decisions(sol, inside, cases, "blend band",
                    "R11: final = 0.6 * ml + 0.4 * dl only when 0.4 < ml < 0.8")  # fmt: skip


@pytest.mark.rules("R13", "R14")
def test_decision_layers(sol, inside, fv):
    """Rules and scores combine by severity: a rule below the score's action loses, a tie keeps
    the rule's reason, rule limits are strict."""
    rules = {"blocked_users": frozenset({"bad_user"}), "blocked_merchants": frozenset({"bad_m"}),
             "max_amount": 5000.0, "max_txn_5m": 4}  # fmt: skip
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
        ("u", "m", 9000.0, 9, False, 0.1, "amount and txn_count_5m both over their limits"),
    ]
    check_decisions(
        sol, inside,
        [(fv.Txn("d3", u, m, a, fv.T0, 0.0, 0.0), c, i, ml, None, rules, label)
         for u, m, a, c, i, ml, label in cases],
        "layers",
        "R13, R14: the first matching rule (limits strict: amount > max_amount, count > "
        "max_txn_5m) against the score's action: the more severe wins, a tie is the rule's",
    )  # fmt: skip


@pytest.mark.rules("R11", "R12", "R13", "R14")
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cases=st.lists(
        st.tuples(
            st.one_of(st.sampled_from([0.4, 0.5, 0.7, 0.8, 0.9]), st.floats(0, 1)),
            st.one_of(st.none(), st.floats(0, 1)),
            st.sampled_from([0.0, 99.5, 10_000.0, 10_000.5]),
            st.integers(0, 15),
            st.booleans(),
            st.booleans(),
        ),
        min_size=1, max_size=20,
    )
)  # fmt: skip
def test_decision_property(sol, inside, fv, cases):
    """Property: for any scores, amount, velocity and travel flag, decide equals the oracle."""
    rules = {"blocked_merchants": frozenset({"bad_m"})}
    check_decisions(
        sol, inside,
        [(fv.Txn("d4", "u", "bad_m" if blocked else "m", amount, fv.T0, 0.0, 0.0), count,
          impossible, ml, dl, rules,
          f"ml={ml!r}, dl={dl!r}, amount={amount}, count_5m={count}, impossible={impossible}, "
          f"blocked={blocked}")
         for ml, dl, amount, count, impossible, blocked in cases],
        "property",
    )  # fmt: skip


@pytest.mark.rules("R3")
def test_velocity_on_a_dense_burst(sol, inside, fv, kata_redis, rng):
    """A card-testing burst (many small transactions within minutes) gives the counts the
    velocity rule reads."""
    kr = kata_redis
    user = f"burst_{int(rng.integers(10**6))}"
    t = fv.quarter(fv.T0 + float(rng.uniform(0, 10**6)))
    gaps = np.sort(rng.choice(1200, size=15, replace=False)).astype(float)
    events = [fv.Txn(f"b{i}", user, f"m{i % 4}", 1.0, t + g, *fv.CITIES["SAO"])
              for i, g in enumerate(gaps)]  # fmt: skip
    check_stream(sol, inside, fv, kr, events, "a 15-transaction burst")
