"""Hidden correctness tests of sliding_window_features.

Oracles are independent of the reference: pandas' time-based ``rolling`` with
``closed="right"`` (the window ``(t - window, t]``), a brute-force float64 recomputation over the
kept history, and hand-built edges. Event logs sit on a coarse time grid, so events exactly one
window apart and equal times are in every log. Online replays run in one round trip
(``inside.updates``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SKEW = (
    "R7: the backfill (training features) must equal online serving bit for bit; a batch "
    "path with its own window convention (an SQL 'RANGE ... PRECEDING' frame includes the "
    "event exactly one window old) or its own arithmetic is training/serving skew: the model "
    "is trained on features it is never served"
)
EDGE = "R1: the window is (t - window, t]: an event exactly `window` old has left it"


def _online(drive, f, order, e, t, v) -> tuple:
    """Feed the rows to ``update`` in the order of R6; the results as four columns in input
    row order."""
    idx = order(t)
    rows = drive.updates(f, e[idx], t[idx], v[idx])
    n = len(rows)
    count = np.empty(n, dtype=np.int64)
    total, mean, maximum = np.empty(n), np.empty(n), np.empty(n)
    for j, i in enumerate(idx):
        c, s, m, x = rows[j]
        count[i], total[i], mean[i], maximum[i] = c, s, m, x
    return count, total, mean, maximum


@pytest.mark.rules("R1", "R2", "R3")
def test_online_updates_match_pandas_rolling(sol, drive, oracle, compare, order, log, rng):
    """update's results, event by event, equal pandas rolling over (t - window, t] (edges and
    ties in the log)."""
    window = 10 * int(rng.integers(5, 40))
    e, t, v = log(rng, 2000, entities=6)
    got = _online(drive, sol.SlidingWindowFeatures(window), order, e, t, v)
    compare(got, oracle(e, t, v, window), e, t, v, window,
            what=f"update() over 2000 events (window={window})", hint=f"{EDGE}; R2, R3")  # fmt: skip


@pytest.mark.rules("R6", "R1", "R2")
def test_backfill_matches_pandas_rolling(sol, oracle, compare, log, rng):
    """backfill of a log in random row order equals pandas rolling, row for row in input
    order."""
    window = 10 * int(rng.integers(5, 40))
    e, t, v = log(rng, 2500, entities=8)
    got = sol.SlidingWindowFeatures(window).backfill(e, t, v)
    compare(got, oracle(e, t, v, window), e, t, v, window,
            what=f"backfill(2500 rows in random order, window={window})",
            hint="R6: time order, ties in input order, answers in input row order; R1, R2")  # fmt: skip


@pytest.mark.rules("R7")
def test_backfill_equals_online_bit_for_bit(sol, drive, order, log, rng):
    """The backfill of a log equals, bit for bit, the features update returns for the same
    events fed one by one."""
    window = 10 * int(rng.integers(5, 40))
    e, t, v = log(rng, 3000, entities=5, ties=0.1)
    cols = sol.SlidingWindowFeatures(window).backfill(e, t, v)
    online = _online(drive, sol.SlidingWindowFeatures(window), order, e, t, v)
    for name, a, b in zip(("count", "sum", "mean", "max"), tuple(cols)[:4], online, strict=True):
        a = np.asarray(a)
        same = (a == b) | (np.isnan(a.astype(float)) & np.isnan(b.astype(float)))
        if a.shape != b.shape or not same.all():
            i = int(np.flatnonzero(~same)[0]) if a.shape == b.shape else 0
            raise AssertionError(
                f"backfill(3000 rows, window={window}) and update() over the same events differ "
                f"in {name} at {int((~same).sum()) if a.shape == b.shape else 'every'} rows; "
                f"first: row {i} (entity {int(e[i])}, t={int(t[i])}) backfill {a[i]!r}, online "
                f"{b[i]!r}. {SKEW}"
            )


@pytest.mark.rules("R1")
def test_window_edge_is_exclusive(sol, rng):
    """An event exactly `window` old has left the window; one a millisecond younger has not."""
    window = int(rng.integers(2, 10_000))
    t0 = int(rng.integers(0, 10**9))
    a, b = float(rng.uniform(50, 100)), float(rng.uniform(1, 10))
    f = sol.SlidingWindowFeatures(window)
    f.update(1, t0, a)
    inside = tuple(f.query(1, t0 + window - 1))
    got = tuple(f.update(1, t0 + window, b))
    assert inside[0] == 1 and got[0] == 1 and got[3] == b, (
        f"window={window}: an event at t={t0}, then query(t={t0 + window - 1}) -> count "
        f"{inside[0]}, update(t={t0 + window}) -> (count, max) ({got[0]}, {got[3]}); {EDGE}"
    )


@pytest.mark.rules("R3")
def test_equal_times_all_count(sol, rng):
    """Several events at the same time: each update counts every earlier one at that time."""
    window = int(rng.integers(5, 100))
    f = sol.SlidingWindowFeatures(window)
    vals = [float(x) for x in rng.normal(0, 5, 5)]
    t = int(rng.integers(100, 10**6))
    got = [int(tuple(f.update(3, t, x))[0]) for x in vals]
    assert got == [1, 2, 3, 4, 5], f"5 updates at t={t}: counts {got}; R3: ties are in the window"


@pytest.mark.rules("R4", "R2")
def test_query_adds_nothing_and_empty_features(sol, rng):
    """query adds no event (the same answer twice), an unknown entity is empty, and a window
    emptied by time has sum exactly 0.0 (no rounding residue) with NaN mean and max."""
    f = sol.SlidingWindowFeatures(100)
    for t, x in ((1000, 0.1), (1001, 0.7)):
        f.update(5, t, x)
    q1, q2 = tuple(f.query(5, 1050)), tuple(f.query(5, 1050))
    assert q1[0] == 2 and q2[0] == 2, f"query(5, 1050) twice after two events: counts {q1[0]}, {q2[0]}; R4"  # fmt: skip
    unknown = tuple(f.query(int(rng.integers(10, 99)), 1050))
    assert (
        unknown[0] == 0 and unknown[1] == 0.0 and math.isnan(unknown[2]) and math.isnan(unknown[3])
    ), (  # fmt: skip
        f"query of an entity with no events: {unknown}; R4: (0, 0.0, nan, nan)"
    )
    f.update(5, 1100, 0.3)  # the event at 1000 leaves; a running sum keeps 0.7 + 0.3 + residue
    gone = tuple(f.query(5, 1300))
    assert gone[0] == 0 and gone[1] == 0.0 and math.isnan(gone[2]) and math.isnan(gone[3]), (
        f"values 0.1, 0.7, 0.3 at 1000, 1001, 1100, window 100: query(t=1300) returned {gone}; "
        f"R2: an empty window has sum exactly 0.0 (not a rounding residue), mean and max NaN"
    )


@pytest.mark.rules("R5")
def test_time_going_back_raises_and_changes_nothing(sol, rng):
    """update, query or backfill before the entity's latest time (from any of them) raises
    ValueError and leaves the state as it was; other entities are unaffected."""
    window = int(rng.integers(50, 500))
    f = sol.SlidingWindowFeatures(window)
    f.update(1, 1000, 2.0)
    f.query(1, 1040)  # the latest time of entity 1 is now 1040
    before = tuple(f.query(1, 1040))
    refused = (
        ("update", (1, 1020, 7.0)),
        ("query", (1, 1039)),
        ("backfill", ([2, 1], [5000, 1030], [1.0, 1.0])),
    )
    for call, args in refused:
        try:
            getattr(f, call)(*args)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{call}{args} after query(1, 1040) did not raise; R5: time never goes back")  # fmt: skip
        after = tuple(f.query(1, 1040))
        assert after == before, f"a refused {call}{args} changed entity 1: {before} -> {after}; R5"
    assert tuple(f.query(2, 5000))[0] == 0, "a refused backfill left an event of entity 2; R5"
    f.update(3, 5, 1.0)  # another entity, an earlier time: fine


@pytest.mark.rules("R6")
def test_backfill_then_online_continues(sol, drive, order, log, rng):
    """backfill of the first half of a log, then update with the second half, gives exactly
    what update over the whole log gives."""
    window = 10 * int(rng.integers(5, 40))
    e, t, v = log(rng, 1600, entities=4, ties=0.0)
    idx = order(t)
    e, t, v = e[idx], t[idx], v[idx]
    cut = 800
    while cut < len(t) and t[cut] == t[cut - 1]:
        cut += 1  # no tie across the cut
    f = sol.SlidingWindowFeatures(window)
    f.backfill(e[:cut], t[:cut], v[:cut])
    tail = drive.updates(f, e[cut:], t[cut:], v[cut:])
    whole = drive.updates(sol.SlidingWindowFeatures(window), e, t, v)[cut:]
    bad = [j for j, (a, b) in enumerate(zip(tail, whole, strict=True)) if a[:2] != b[:2] or a[3] != b[3]]  # fmt: skip
    assert not bad, (
        f"backfill of {cut} events then update of the next {len(tail)}: {len(bad)} results "
        f"differ from updates over the whole log, first at event {cut + bad[0]}: "
        f"{tail[bad[0]]} vs {whole[bad[0]]}; R6: after backfill the instance serves online "
        f"from the state the backfill left"
    )


@pytest.mark.rules("R6")
def test_backfill_ties_in_input_order(sol, rng):
    """Rows with equal times are processed in input order: with many ties, each row counts
    exactly the earlier rows (in input order) at its time."""
    n = 400
    t = np.repeat(np.arange(0, n // 40) * 1000, 40)[rng.permutation(n)].astype(np.int64)
    e = np.zeros(n, dtype=np.int64)
    v = rng.normal(0, 1, n)
    cols = tuple(sol.SlidingWindowFeatures(500).backfill(e, t, v))
    count = np.asarray(cols[0])
    want = np.array([int((t[:i] == t[i]).sum()) + 1 for i in range(n)])
    bad = np.flatnonzero(count != want)
    assert not len(bad), (
        f"backfill of {n} rows, 40 per time: row {int(bad[0])} has count {count[bad[0]]}, "
        f"expected {want[bad[0]]} (its rank among the rows at its time in input order); R6: "
        f"equal times are processed in input order (a stable sort)"
    )


@pytest.mark.rules("R2")
def test_negative_values_and_max_after_eviction(sol, drive, brute, rng):
    """All-negative values, and a maximum that leaves the window: max is the largest value
    still in the window, exactly."""
    window = 50
    f = sol.SlidingWindowFeatures(window)
    times = np.arange(0, 600, 7, dtype=np.int64)
    vals = -np.abs(rng.normal(0, 100, times.size))
    vals[5] = -0.5  # a big maximum that leaves after 50 ms
    got = drive.updates(f, np.full(times.size, 9), times, vals)
    hist = list(zip(times.tolist(), vals.tolist(), strict=True))
    for j, (c, s, _m, x) in enumerate(got):
        want = brute(hist[: j + 1], int(times[j]), window)
        assert c == want[0] and x == want[3] and abs(s - want[1]) <= 1e-9 * 100 * (c + 1), (
            f"update #{j} (t={int(times[j])}) of negative values: (count, sum, max) = "
            f"({c}, {s:.6g}, {x:.6g}), expected count {want[0]}; R2"
        )


@pytest.mark.rules("R2")
def test_long_history_sum_stays_accurate(sol, drive, rng):
    """After 20000 updates of one entity (values of mixed magnitude), sum and mean are still
    within R2's tolerance of an exact recomputation."""
    n, window = 20_000, 1000
    times = np.cumsum(rng.integers(0, 20, n)).astype(np.int64)
    vals = rng.normal(0, 1, n) * 10.0 ** rng.integers(-3, 4, n)
    got = drive.updates(sol.SlidingWindowFeatures(window), np.zeros(n, dtype=np.int64), times, vals)  # fmt: skip
    last = got[-1]
    keep = times > times[-1] - window
    exact = math.fsum(vals[keep].tolist())
    tol = 1e-9 * (np.abs(vals[keep]).sum() + np.abs(vals).max())
    assert last[0] == int(keep.sum()) and abs(last[1] - exact) <= tol, (
        f"after {n} updates: (count, sum) = ({last[0]}, {last[1]:.12g}), exact sum of the "
        f"window {exact:.12g}, allowed error {tol:.2g}; R2"
    )


@pytest.mark.rules("R8")
@pytest.mark.parametrize("window", [0, -5, 2.5, True, "10", None])
def test_bad_window_raises(sol, window):
    """window must be a positive int."""
    try:
        sol.SlidingWindowFeatures(window)
    except ValueError:
        return
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"SlidingWindowFeatures({window!r}) raised {type(exc).__name__}, not ValueError; R8") from None  # fmt: skip
    raise AssertionError(f"SlidingWindowFeatures({window!r}) did not raise; R8")


@pytest.mark.rules("R8")
def test_backfill_lengths_must_match(sol):
    """backfill with sequences of different lengths raises ValueError."""
    with pytest.raises(ValueError):
        sol.SlidingWindowFeatures(10).backfill([1, 2], [1, 2, 3], [1.0, 2.0])


@pytest.mark.rules("R6", "R7", "R1")
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(
    rows=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 12), st.integers(-5, 5)),
                  min_size=1, max_size=25),
    window=st.integers(1, 6),
)  # fmt: skip
def test_small_logs_property(sol, drive, oracle, compare, order, rows, window):
    """Small logs (ties, edges, any row order): backfill equals pandas and equals update."""
    e = np.array([r[0] for r in rows], dtype=np.int64)
    t = np.array([r[1] for r in rows], dtype=np.int64)
    v = np.array([float(r[2]) for r in rows])
    want = oracle(e, t, v, window)
    compare(sol.SlidingWindowFeatures(window).backfill(e, t, v), want, e, t, v, window,
            what=f"backfill(rows (entity, t, value) {rows}, window={window})", hint="R1, R6")  # fmt: skip
    compare(_online(drive, sol.SlidingWindowFeatures(window), order, e, t, v), want, e, t, v, window,
            what=f"update() over rows {rows}, window={window}", hint="R1, R3")  # fmt: skip
