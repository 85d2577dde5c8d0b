"""Hidden correctness tests of windowed_aggregation.

Oracles are independent of the reference: a brute-force replay of the statement's rules
(``Brute`` in conftest.py), a pandas batch group-by of the counted events, and hand-built
scenarios for every boundary. Streams are fed one event per call in one round trip
(``inside.run_each``), or in one call (``inside.run_whole``). Every trap is in the input: events
out of order across windows, events past the allowed lateness, sessions bridged by a late event.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EVENT_TIME = (
    "R2: an event belongs to the windows of its own event time, not to the window of the "
    "latest time seen when it arrives (that is processing-time windowing: every out-of-order "
    "event lands in the wrong window)"
)
SIDE_OUTPUT = (
    "R5: an event that arrives after every window it belongs to has been dropped (watermark "
    ">= end + allowed_lateness) must go to the late side output, not vanish: silently dropped "
    "late data is data loss nobody can see or replay"
)
BRIDGE = (
    "R6/R7: a late event whose session window touches two sessions of its key joins them into "
    "ONE session (merge with every touched session, also fired ones); the sessions emitted "
    "before are retracted"
)


def _make(sol, kind, params):
    return sol.WindowedAggregator(kind, **params)


def _kw(kind, rng):
    if kind == "tumbling":
        return {"size": int(rng.integers(15, 40))}
    if kind == "sliding":
        size = int(rng.integers(20, 45))
        return {"size": size, "slide": int(rng.integers(4, size // 2))}
    return {"gap": int(rng.integers(6, 16))}


@pytest.mark.rules("R1", "R2", "R3", "R4", "R5", "R10")
@pytest.mark.parametrize("kind", ["tumbling", "sliding"])
def test_fixed_windows_match_oracle(sol, drive, brute, check, stream, rng, kind):
    """Tumbling and sliding windows on an out-of-order stream with late events: every record
    and every late event, event by event, equal the brute-force oracle's."""
    params = _kw(kind, rng) | {"out_of_orderness": int(rng.integers(5, 20)),
                               "allowed_lateness": int(rng.integers(5, 30))}  # fmt: skip
    times, keys, values, ids = stream(rng, 1200, keys=5, jitter=25, very_late=0.05)
    per, closing = drive.run_each(_make(sol, kind, params), times, keys, values, ids)
    want_per, want_close = brute(kind, **params).run(times, keys, values, ids)
    check(per, closing, want_per, want_close, times, keys,
          hint=f"{kind} windows {params}; R1-R5, R10")  # fmt: skip


@pytest.mark.rules("R1")
def test_sliding_size_not_a_multiple_of_slide(sol, drive, brute, check, stream, rng):
    """Sliding windows whose size is not a multiple of the slide: every window
    [j*slide, j*slide + size) that contains the event, no more, no fewer."""
    slide = int(rng.integers(6, 12))
    params = {"size": 2 * slide + int(rng.integers(1, slide)), "slide": slide,
              "out_of_orderness": 10}  # fmt: skip
    times, keys, values, ids = stream(rng, 500, keys=3, jitter=8)
    per, closing = drive.run_each(_make(sol, "sliding", params), times, keys, values, ids)
    want_per, want_close = brute("sliding", **params).run(times, keys, values, ids)
    check(per, closing, want_per, want_close, times, keys,
          hint=f"sliding {params}: R1, windows [j*slide, j*slide + size) containing t")  # fmt: skip


@pytest.mark.rules("R1")
def test_event_on_a_window_edge(sol, rng):
    """An event at exactly a window's end belongs to the next window, not to that one
    ([start, end) is half-open)."""
    size = int(rng.integers(5, 50))
    j = int(rng.integers(1, 20))
    agg = sol.WindowedAggregator("sliding", size=2 * size, slide=size)
    fires = list(agg.process([j * size], [3], [1.0], [1])[0]) + list(agg.close()[0])
    got = sorted((int(f[2]), int(f[3])) for f in fires)
    want = [((j - 1) * size, (j + 1) * size), (j * size, (j + 2) * size)]
    assert got == want, (
        f"sliding(size={2 * size}, slide={size}): one event at t={j * size} fired windows "
        f"{got}; R1: windows are [start, end), an event at t = end is not in the window"
    )


@pytest.mark.rules("R6", "R7", "R4", "R5", "R10")
def test_sessions_match_oracle(sol, drive, brute, check, stream, rng):
    """Session windows on an out-of-order stream whose late events grow, merge and bridge
    sessions: every record (retractions included) and late event equal the oracle's."""
    params = {"gap": int(rng.integers(5, 12)), "out_of_orderness": int(rng.integers(3, 12)),
              "allowed_lateness": int(rng.integers(10, 40))}  # fmt: skip
    times, keys, values, ids = stream(rng, 1200, keys=4, step=4, jitter=20, very_late=0.06,
                                      late_by=120)  # fmt: skip
    per, closing = drive.run_each(_make(sol, "session", params), times, keys, values, ids)
    want_per, want_close = brute("session", **params).run(times, keys, values, ids)
    check(per, closing, want_per, want_close, times, keys, hint=f"sessions {params}; R4-R7")


@pytest.mark.rules("R8", "R3")
@pytest.mark.parametrize("kind", ["tumbling", "session"])
def test_redeliveries_match_oracle(sol, drive, brute, check, stream, rng, kind):
    """A stream with redelivered events and a horizon shorter than some redelivery delays:
    duplicates dropped while remembered, counted again once forgotten, as the oracle says."""
    params = _kw(kind, rng) | {"out_of_orderness": 10, "allowed_lateness": 60,
                               "dedup_horizon": int(rng.integers(5, 25))}  # fmt: skip
    times, keys, values, ids = stream(rng, 800, keys=3, jitter=10, dups=0.15)
    per, closing = drive.run_each(_make(sol, kind, params), times, keys, values, ids)
    want_per, want_close = brute(kind, **params).run(times, keys, values, ids)
    check(per, closing, want_per, want_close, times, keys,
          hint=f"{kind} {params}; R8: an id is remembered until W >= t + dedup_horizon")  # fmt: skip


def _batch(kind, params, times, keys, values, ids) -> dict:
    """A pandas batch group-by of the de-duplicated events (every event counted)."""
    df = pd.DataFrame({"t": times, "k": keys, "v": values, "id": ids}).drop_duplicates("id")
    if kind == "session":
        df = df.sort_values(["k", "t"], kind="stable")
        new = (df["k"] != df["k"].shift()) | (df["t"] - df["t"].shift() > params["gap"])
        df["s"] = new.cumsum()
        g = df.groupby("s").agg(k=("k", "first"), lo=("t", "min"), hi=("t", "max"),
                                c=("v", "size"), tot=("v", "sum"), mx=("v", "max"))  # fmt: skip
        return {(int(r.k), int(r.lo), int(r.hi) + params["gap"]): (int(r.c), float(r.tot), float(r.mx))
                for r in g.itertuples()}  # fmt: skip
    size = params["size"]
    slide = params.get("slide", size)
    rows = []
    for r in df.itertuples():
        j = r.t // slide
        while j * slide > r.t - size:
            rows.append((r.k, j * slide, r.v))
            j -= 1
    w = pd.DataFrame(rows, columns=["k", "s", "v"]).groupby(["k", "s"])["v"]
    agg = pd.DataFrame({"c": w.size(), "tot": w.sum(), "mx": w.max()})
    return {(int(k), int(s), int(s) + size): (int(r.c), float(r.tot), float(r.mx))
            for (k, s), r in agg.iterrows()}  # fmt: skip


@pytest.mark.rules("R9", "R7", "R8")
@pytest.mark.parametrize("kind", ["tumbling", "sliding", "session"])
def test_changelog_equals_batch_group_by(sol, drive, stream, replay, rng, kind):
    """With every event in time (a lateness longer than any delay) and every redelivery within
    the horizon, the changelog of all records after close() equals a batch group-by of the
    de-duplicated events."""
    params = _kw(kind, rng) | {"out_of_orderness": 5, "allowed_lateness": 10**6,
                               "dedup_horizon": 10**6}  # fmt: skip
    times, keys, values, ids = stream(rng, 1500, keys=6, jitter=40, very_late=0.05, dups=0.05)
    fires, late, closing = drive.run_whole(_make(sol, kind, params), times, keys, values, ids)
    got = replay(list(fires) + list(closing))
    want = _batch(kind, params, times, keys, values, ids)
    assert not late, f"{kind} {params}: {len(late)} late events with an unbounded lateness; R4"
    missing = sorted(set(want) - set(got))[:3]
    extra = sorted(set(got) - set(want))[:3]
    assert not missing and not extra, (
        f"{kind} {params}, 1500 events in one process() call: after close() the changelog "
        f"holds {len(got)} windows, the batch group-by {len(want)}; missing e.g. {missing}, "
        f"extra e.g. {extra}; R9 (and R7: a retracted window leaves the changelog)"
    )
    for w, (c, tot, mx) in want.items():
        gc, gt, gm = got[w]
        ok = gc == c and math.isclose(gt, tot, rel_tol=1e-9, abs_tol=1e-9 * c) and gm == mx
        assert ok, (
            f"{kind} {params}: window key={w[0]} [{w[1]}, {w[2]}) ends as count={gc}, "
            f"total={gt:.6g}, max={gm:.6g}; the batch group-by of the de-duplicated events "
            f"gives count={c}; R9, R10"
        )


@pytest.mark.rules("R2")
@pytest.mark.parametrize("kind", ["tumbling", "sliding"])
def test_out_of_order_events_count_in_their_own_window(sol, rng, kind):
    """Events that arrive after later events (by more than a window, within the
    out-of-orderness) count in the windows of their own time."""
    size = int(rng.integers(10, 30))
    params = {"size": size} | ({"slide": size} if kind == "sliding" else {})
    agg = sol.WindowedAggregator(kind, out_of_orderness=5 * size, **params)
    t0 = int(rng.integers(0, 20)) * size
    k = int(rng.integers(0, 100))
    a, b = float(rng.uniform(1, 9)), float(rng.uniform(1, 9))
    # the second event is 3 windows later; the third belongs to the first window
    times = [t0 + 1, t0 + 3 * size + 2, t0 + size - 1]
    out = agg.process(times, [k, k, k], [a, 10.0, b], [1, 2, 3])
    fires = list(out[0]) + list(agg.close()[0])
    first = [f for f in fires if int(f[2]) == t0]
    got = [(int(f[4]), round(float(f[5]), 9)) for f in first]
    assert got == [(2, round(a + b, 9))], (
        f"{kind}(size={size}, out_of_orderness={5 * size}): events at t={times} (arrival "
        f"order) gave the window [{t0}, {t0 + size}) the records (count, total) {got}, "
        f"expected one with the first and third events; {EVENT_TIME}"
    )


@pytest.mark.rules("R3")
def test_fires_when_watermark_reaches_end(sol, rng):
    """A window fires after the event that makes W == end, not before (W == end - 1), and the
    watermark property says W."""
    size, ooo = int(rng.integers(5, 30)), int(rng.integers(0, 15))
    k = int(rng.integers(0, 9))
    agg = sol.WindowedAggregator("tumbling", size=size, out_of_orderness=ooo)
    out = agg.process([0, size + ooo - 1], [k, k], [1.0, 2.0], [1, 2])
    w = agg.watermark
    assert w == size - 1, f"tumbling(size={size}, ooo={ooo}): watermark {w} after events at 0 and {size + ooo - 1}; R3: W = max time - out_of_orderness"  # fmt: skip
    assert not list(out[0]), (
        f"tumbling(size={size}, out_of_orderness={ooo}): the window [0, {size}) fired at "
        f"W = {size - 1}; R3: it fires when W >= end"
    )
    out = agg.process([size + ooo], [k], [3.0], [3])
    got = [(f[0], int(f[2]), int(f[3])) for f in out[0]]
    assert got == [("on_time", 0, size)], (
        f"tumbling(size={size}, out_of_orderness={ooo}): at W = {size} (= end) the event "
        f"emitted {got}; R3: the window [0, {size}) fires once W >= end"
    )


@pytest.mark.rules("R3")
def test_watermark_before_and_after(sol):
    """watermark is -inf before any event and the largest time minus out_of_orderness after,
    also when the latest event is older."""
    agg = sol.WindowedAggregator("tumbling", size=10, out_of_orderness=7)
    assert agg.watermark == -math.inf, f"watermark before any event: {agg.watermark}; R3"
    agg.process([30, 12], [1, 1], [1.0, 1.0], [1, 2])
    assert agg.watermark == 23, f"watermark after events at 30, 12 (ooo 7): {agg.watermark}; R3"


@pytest.mark.rules("R5")
@pytest.mark.parametrize("kind", ["tumbling", "session"])
def test_late_events_go_to_side_output(sol, drive, brute, compare, stream, rng, kind):
    """Events later than the allowed lateness all come back in the late side output, in
    arrival order, and change no result."""
    params = _kw(kind, rng) | {"out_of_orderness": 5, "allowed_lateness": 5}
    times, keys, values, ids = stream(rng, 600, keys=3, jitter=5, very_late=0.1, late_by=200)
    per, closing = drive.run_each(_make(sol, kind, params), times, keys, values, ids)
    want_per, _ = brute(kind, **params).run(times, keys, values, ids)
    got = [x for _, late in per for x in late]
    want = [x for _, late in want_per for x in late]
    assert want, "the stream holds late events"
    compare(got, want, what=f"{kind} {params}: the late side output of 600 events",
            hint=SIDE_OUTPUT, late=True)  # fmt: skip


@pytest.mark.rules("R4")
def test_allowed_lateness_boundary(sol, rng):
    """An event arriving at W = end + lateness - 1 is counted and re-fires the window (late,
    full aggregates); at W = end + lateness it goes to the side output."""
    size = int(rng.integers(5, 20))
    lateness = int(rng.integers(1, size))  # no other window fires in the scenario
    k = int(rng.integers(0, 9))
    agg = sol.WindowedAggregator("tumbling", size=size, allowed_lateness=lateness)
    out = agg.process([1, size + lateness - 1], [k, k], [2.0, 1.0], [1, 2])
    on_time = [(f[0], int(f[2]), int(f[4])) for f in out[0]]
    assert on_time == [("on_time", 0, 1)], f"tumbling(size={size}): W = {size + lateness - 1} emitted {on_time}; R3"  # fmt: skip
    out = agg.process([2], [k], [5.0], [3])
    got = [(f[0], int(f[2]), int(f[3]), int(f[4]), float(f[5])) for f in out[0]]
    assert got == [("late", 0, size, 2, 7.0)] and not list(out[1]), (
        f"tumbling(size={size}, allowed_lateness={lateness}): an event at t=2 arriving at "
        f"W = end + lateness - 1 emitted {got} and late {list(out[1])}; R4: it is counted and "
        f"the window fires again at once, kind 'late', with its full aggregates"
    )
    agg.process([size + lateness], [k], [1.0], [4])  # W = end + lateness
    out = agg.process([3], [k], [9.0], [5])
    late = [tuple(x) for x in out[1]]
    assert not list(out[0]) and [(int(a), int(b), float(c), int(d)) for a, b, c, d in late] == [
        (3, k, 9.0, 5)
    ], (  # fmt: skip
        f"tumbling(size={size}, allowed_lateness={lateness}): an event at t=3 arriving at "
        f"W = end + lateness emitted {[tuple(f) for f in out[0]]}, late {late}; R4: the "
        f"window was dropped, the event goes to the side output"
    )


@pytest.mark.rules("R6", "R7")
def test_late_event_bridges_two_sessions(sol, rng):
    """Two fired sessions of a key and a late event (within the lateness) between them: both
    are retracted and ONE merged session fires late with every event."""
    gap = int(rng.integers(5, 20))
    k = int(rng.integers(0, 50))
    t0 = int(rng.integers(0, 1000))
    a1, a2, b1 = (float(x) for x in rng.uniform(1, 9, 3))
    # sessions [t0, t0 + gap) and [t0 + gap + 2, t0 + 2*gap + 2); the late event at
    # t0 + gap - 1 overlaps both
    b = t0 + gap + 2
    agg = sol.WindowedAggregator("session", gap=gap, allowed_lateness=10 * gap)
    out = agg.process([t0, b, t0 + 5 * gap], [k, k, k], [a1, b1, 1.0], [1, 2, 3])
    fired = sorted((int(f[2]), int(f[3])) for f in out[0] if f[0] == "on_time")
    assert fired == [(t0, t0 + gap), (b, b + gap)], f"sessions(gap={gap}): fired {fired}; R6"
    out = agg.process([t0 + gap - 1], [k], [a2], [4])
    got = [(f[0], int(f[2]), int(f[3]), int(f[4])) for f in out[0]]
    want = [("retract", t0, t0 + gap, 1), ("retract", b, b + gap, 1), ("late", t0, b + gap, 3)]
    assert got == want, (
        f"sessions(gap={gap}, allowed_lateness={10 * gap}): sessions [{t0}, {t0 + gap}) and "
        f"[{b}, {b + gap}) have fired; a late event at t={t0 + gap - 1} emitted "
        f"(kind, start, end, count) {got}; {BRIDGE}"
    )
    total = float(out[0][-1][5])
    assert math.isclose(total, a1 + a2 + b1, rel_tol=1e-12), f"merged session total {total}; R10"


@pytest.mark.rules("R6")
def test_session_gap_boundary(sol, rng):
    """Events exactly `gap` apart are one session; `gap + 1` apart, two."""
    gap = int(rng.integers(2, 100))
    t0 = int(rng.integers(0, 10**6))
    for d, want in ((gap, [(t0, t0 + 2 * gap)]), (gap + 1, [(t0, t0 + gap), (t0 + gap + 1, t0 + 2 * gap + 1)])):  # fmt: skip
        agg = sol.WindowedAggregator("session", gap=gap)
        fires = list(agg.process([t0, t0 + d], [1, 1], [1.0, 1.0], [1, 2])[0])
        fires += list(agg.close()[0])
        got = [(int(f[2]), int(f[3])) for f in fires if f[0] != "retract"]
        assert got == want, (
            f"sessions(gap={gap}): events at {t0} and {t0 + d} gave the sessions {got}; R6: "
            f"events at most gap apart are one session, [first, last + gap)"
        )


@pytest.mark.rules("R6")
def test_session_grows_backwards(sol, rng):
    """An out-of-order event before a session's start (within gap) extends it backwards; one
    that touches no session of its key starts its own."""
    gap = int(rng.integers(5, 20))
    agg = sol.WindowedAggregator("session", gap=gap, out_of_orderness=10 * gap)
    agg.process(
        [100, 100 - gap, 100 + 3 * gap, 100 - 3 * gap], [1, 1, 1, 1], [1.0] * 4, [1, 2, 3, 4]
    )
    got = sorted((int(f[2]), int(f[3]), int(f[4])) for f in agg.close()[0])
    want = [(100 - 3 * gap, 100 - 2 * gap, 1), (100 - gap, 100 + gap, 2), (100 + 3 * gap, 100 + 4 * gap, 1)]  # fmt: skip
    assert got == want, f"sessions(gap={gap}) of events at 100, {100 - gap}, {100 + 3 * gap}, {100 - 3 * gap}: {got}; R6"  # fmt: skip


@pytest.mark.rules("R8")
def test_dedup_horizon_boundary(sol, rng):
    """A redelivery while W < t + horizon is dropped; at W = t + horizon the id is forgotten
    and the event counts again."""
    h = int(rng.integers(3, 30))
    size = 1000
    k = int(rng.integers(0, 9))
    for w_at, counted in ((h - 1, 1), (h, 2)):
        agg = sol.WindowedAggregator("tumbling", size=size, dedup_horizon=h)
        out = agg.process([0, w_at, 0], [k, k, k], [1.0, 5.0, 1.0], [7, 8, 7])
        assert not list(out[1]), f"dedup: late events {list(out[1])}; R8"
        got = [int(f[4]) for f in agg.close()[0]]
        assert got == [counted + 1], (
            f"tumbling(size={size}, dedup_horizon={h}): an event (id 7, t=0) redelivered at "
            f"W = {w_at} gave the window count {got}, expected {counted + 1}; R8: an id is "
            f"remembered while W < t + dedup_horizon, and forgotten after"
        )


@pytest.mark.rules("R8")
def test_no_dedup_without_horizon(sol):
    """dedup_horizon=None: every event counts, repeated ids too."""
    agg = sol.WindowedAggregator("tumbling", size=100)
    agg.process([1, 2, 3], [1, 1, 1], [1.0, 1.0, 1.0], [5, 5, 5])
    got = [int(f[4]) for f in agg.close()[0]]
    assert got == [3], f"three events with one id and no horizon: count {got}; R8"


@pytest.mark.rules("R9")
def test_close_fires_the_rest_in_order_and_ends(sol, rng):
    """close() fires every window not fired yet, in order of (end, start, key), and after it
    process and close raise RuntimeError."""
    size = int(rng.integers(5, 15))
    agg = sol.WindowedAggregator("sliding", size=2 * size, slide=size, out_of_orderness=10**6)
    # key i's event is the (5 - i)-th in time: key order is not time order; arrival shuffled
    order = [int(x) for x in rng.permutation(6)]
    ks = order
    times = [(5 - i) * size + int(rng.integers(0, size)) for i in order]
    out = agg.process(times, ks, [1.0] * 6, list(range(6)))
    assert not list(out[0])
    fires = list(agg.close()[0])
    got = [(int(f[3]), int(f[2]), int(f[1])) for f in fires]
    assert got == sorted(got) and len(got) == 12 and all(f[0] == "on_time" for f in fires), (
        f"close() after 6 events (6 keys) emitted (end, start, key) {got}; R9: every window "
        f"not fired yet, kind on_time, in order of (end, start, key)"
    )
    assert agg.watermark == math.inf, f"watermark after close(): {agg.watermark}; R9"
    for call, args in (("process", ([1], [1], [1.0], [99])), ("close", ())):
        try:
            getattr(agg, call)(*args)
        except RuntimeError:
            continue
        raise AssertionError(f"{call}() after close() did not raise RuntimeError; R9")


@pytest.mark.rules("R10")
def test_negative_values_and_accumulating_records(sol, rng):
    """maximum of all-negative values is negative; a late record carries the window's full
    aggregates, not the change."""
    vals = [float(-x) for x in rng.uniform(1, 100, 4)]
    agg = sol.WindowedAggregator("tumbling", size=10, allowed_lateness=100)
    out = agg.process([1, 2, 12], [4, 4, 4], vals[:3], [1, 2, 3])
    rec = [(int(f[4]), float(f[5]), float(f[6])) for f in out[0]]
    want = (2, vals[0] + vals[1], max(vals[:2]))
    assert (
        len(rec) == 1
        and rec[0][0] == 2
        and math.isclose(rec[0][1], want[1])
        and rec[0][2] == want[2]
    ), (  # fmt: skip
        f"values {vals[:2]} in [0, 10): (count, total, maximum) {rec}; R10"
    )
    out = agg.process([3], [4], [vals[3]], [4])
    rec = [(int(f[4]), float(f[5]), float(f[6])) for f in out[0]]
    want = (3, vals[0] + vals[1] + vals[3], max(vals[0], vals[1], vals[3]))
    ok = len(rec) == 1 and rec[0][0] == 3 and math.isclose(rec[0][1], want[1]) and rec[0][2] == want[2]  # fmt: skip
    assert ok, f"a late event {vals[3]} re-fired (count, total, maximum) {rec}; R10: accumulating"


BAD = [
    ("hopping", {"size": 10}),
    ("tumbling", {}),
    ("tumbling", {"size": 0}),
    ("tumbling", {"size": -5}),
    ("tumbling", {"size": 10.0}),
    ("tumbling", {"size": True}),
    ("tumbling", {"size": 10, "gap": 5}),
    ("tumbling", {"size": 10, "slide": 5}),
    ("sliding", {"size": 10}),
    ("sliding", {"size": 10, "slide": 20}),
    ("sliding", {"size": 10, "slide": 0}),
    ("session", {}),
    ("session", {"gap": 0}),
    ("session", {"gap": 10, "size": 10}),
    ("tumbling", {"size": 10, "out_of_orderness": -1}),
    ("tumbling", {"size": 10, "allowed_lateness": -1}),
    ("tumbling", {"size": 10, "dedup_horizon": -1}),
    ("session", {"gap": 5, "allowed_lateness": 1.5}),
]


@pytest.mark.rules("R11")
@pytest.mark.parametrize(("kind", "params"), BAD, ids=[f"{k}-{p}" for k, p in BAD])
def test_bad_parameters_raise(sol, kind, params):
    """Inconsistent or invalid parameters raise ValueError."""
    try:
        sol.WindowedAggregator(kind, **params)
    except ValueError:
        return
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"WindowedAggregator({kind!r}, **{params}) raised {type(exc).__name__}, not ValueError; R11") from None  # fmt: skip
    raise AssertionError(f"WindowedAggregator({kind!r}, **{params}) did not raise; R11")


@pytest.mark.rules("R11")
def test_mismatched_lengths_raise(sol):
    """process with sequences of different lengths raises ValueError."""
    agg = sol.WindowedAggregator("session", gap=5)
    with pytest.raises(ValueError):
        agg.process([1, 2, 3], [1, 1, 1], [1.0, 2.0], [1, 2, 3])


@st.composite
def _session_streams(draw):
    n = draw(st.integers(1, 14))
    times = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    keys = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    gap = draw(st.integers(1, 12))
    ooo = draw(st.integers(0, 10))
    lateness = draw(st.integers(0, 15))
    return times, keys, gap, ooo, lateness


@pytest.mark.rules("R6", "R7", "R4")
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(case=_session_streams())
def test_small_session_streams_property(sol, drive, brute, check, case):
    """Small adversarial session streams (any order, ties, touching windows): records and late
    events equal the oracle's."""
    times, keys, gap, ooo, lateness = case
    values = [float(i + 1) for i in range(len(times))]
    ids = list(range(len(times)))
    params = {"gap": gap, "out_of_orderness": ooo, "allowed_lateness": lateness}
    per, closing = drive.run_each(sol.WindowedAggregator("session", **params), times, keys, values, ids)  # fmt: skip
    want_per, want_close = brute("session", **params).run(times, keys, values, ids)
    check(per, closing, want_per, want_close, np.array(times), np.array(keys),
          hint=f"sessions {params}, events (t, key) {list(zip(times, keys, strict=True))}; R4, R6, R7")  # fmt: skip
