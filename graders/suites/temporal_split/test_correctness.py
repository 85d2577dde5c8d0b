"""Hidden correctness tests of temporal_split.

Oracles are independent of the reference: the statement's rules written with pandas boolean
indexing, a brute-force loop over rows for small inputs, and invariants checked directly (no
train row at or after the gap boundary, no user on both sides).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from graders.checks import assert_raises_value_error

R2 = (
    "R2: rows arrive in no particular order and windows are defined by each row's timestamp, "
    "not by its position; slicing positions puts future rows into training (look-ahead leakage)"
)
R3 = "R3: test rows are those with start <= t < start + test_duration"
R4 = (
    "R4: training rows need t < start - gap (strict: a row at start - gap has a label that "
    "matures only at the test start)"
)
R5 = "R5: no user may appear in both the training and the test rows of a fold"
R6 = "R6: a fold trains on every earlier row outside the gap, earlier test windows included"
ALL = "R2-R6"


def _raises(what, call, rule):
    assert_raises_value_error(call, what, rule)


def _check_folds(got, expected, what, rule):
    if not isinstance(got, list) or len(got) != len(expected):
        raise AssertionError(
            f"{what} returned {type(got).__name__} of length "
            f"{len(got) if hasattr(got, '__len__') else '?'}; R1: a list of one "
            f"(train_idx, test_idx) pair per window ({len(expected)} here)"
        )
    for k, (pair, (train_e, test_e)) in enumerate(zip(got, expected, strict=True)):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise AssertionError(f"{what}: fold {k} is {type(pair).__name__}; R1: a pair")
        for label, arr, exp in (("test_idx", pair[1], test_e), ("train_idx", pair[0], train_e)):
            if type(arr) is not np.ndarray or arr.dtype != np.int64 or arr.ndim != 1:
                raise AssertionError(
                    f"{what}: fold {k} {label} is {type(arr).__name__} "
                    f"{getattr(arr, 'dtype', '')}; R1: a 1-D int64 numpy array"
                )
            if not np.array_equal(arr, exp):
                extra = np.setdiff1d(arr, exp).size
                missing = np.setdiff1d(exp, arr).size
                if not extra and not missing:
                    raise AssertionError(
                        f"{what}: fold {k} {label} holds the right rows, not in ascending order; "
                        f"R1: row positions in ascending order"
                    )
                raise AssertionError(
                    f"{what}: fold {k} {label} has {arr.size} rows: {extra} that do not belong "
                    f"there and {missing} missing; {rule}"
                )


@pytest.mark.rules("R1", "R2", "R6")
def test_splits_match_oracle_on_shuffled_rows(sol, rng, shuffled_log, oracle_splits):
    """walk_forward_splits on a shuffled log equals the statement's rules (pandas oracle); the
    later folds train on the rows of the earlier test windows too."""
    t, u = shuffled_log(rng, 20_000, 3_000)
    starts, duration, gap = [60_000, 70_000, 85_000], 10_000, 2_500
    got = sol.walk_forward_splits(t, u, starts, duration, gap)
    _check_folds(got, oracle_splits(t, u, starts, duration, gap),
                 f"walk_forward_splits(20000 shuffled rows, starts={starts}, "
                 f"duration={duration}, gap={gap})", f"{R2}; {R6}")  # fmt: skip


@pytest.mark.rules("R2")
def test_rows_in_reverse_time_order(sol, rng, shuffled_log, oracle_splits):
    """A log listed newest first, and one listed in time order, give the statement's folds."""
    t, u = shuffled_log(rng, 5_000, 800)
    starts, duration, gap = [50_000, 75_000], 20_000, 1_000
    for label, order in (("newest first", np.argsort(-t, kind="stable")),
                         ("oldest first", np.argsort(t, kind="stable"))):  # fmt: skip
        tt, uu = t[order], u[order]
        got = sol.walk_forward_splits(tt, uu, starts, duration, gap)
        _check_folds(got, oracle_splits(tt, uu, starts, duration, gap),
                     f"walk_forward_splits(5000 rows listed {label}, starts={starts})", R2)  # fmt: skip


@pytest.mark.rules("R3", "R4")
def test_window_and_gap_boundaries(sol, rng, shuffled_log, oracle_splits):
    """Rows exactly at start - gap, start - gap - 1, start, start + duration - 1 and
    start + duration land where the statement says (train only strictly before start - gap,
    the test window half-open)."""
    t, u = shuffled_log(rng, 3_000, 50_000)  # almost every user has one row: no purging noise
    start, duration, gap = 50_000, 7_000, int(rng.integers(1, 3_000))
    edges = [start - gap - 1, start - gap, start - 1, start, start + duration - 1,
             start + duration]  # fmt: skip
    pos = rng.choice(t.shape[0], size=len(edges), replace=False)
    t[pos] = edges
    u[pos] = 10**6 + np.arange(len(edges))  # fresh users
    got = sol.walk_forward_splits(t, u, [start], duration, gap)
    _check_folds(got, oracle_splits(t, u, [start], duration, gap),
                 f"walk_forward_splits(start={start}, duration={duration}, gap={gap}; rows at "
                 f"start - gap - 1, start - gap, start - 1, start, start + duration - 1 and "
                 f"start + duration)", f"{R3}; {R4}")  # fmt: skip
    got = sol.walk_forward_splits(t, u, [start], duration, 0)
    _check_folds(got, oracle_splits(t, u, [start], duration, 0),
                 f"walk_forward_splits(start={start}, duration={duration}, gap=0)", f"{R3}; {R4}")  # fmt: skip


@pytest.mark.rules("R5")
def test_user_straddling_boundary_purged(sol, rng, shuffled_log, oracle_splits):
    """A user with rows before the gap and inside the test window has every row removed from
    that fold's training set."""
    t, u = shuffled_log(rng, 10_000, 1_500)
    starts, duration, gap = [70_000, 80_000], 10_000, 1_000
    got = sol.walk_forward_splits(t, u, starts, duration, gap)
    for k, (start, pair) in enumerate(zip(starts, got, strict=True)):
        train, test = (np.asarray(x, dtype=np.int64) for x in pair)
        both = np.intersect1d(u[train], u[test])
        if both.size:
            raise AssertionError(
                f"walk_forward_splits(starts={starts}): fold {k} (test from {start}) trains on "
                f"{both.size} users who also appear in its test window; {R5}. The churn label is "
                f"per user: a user's earlier rows carry the outcome being tested, so a user "
                f"straddling the boundary leaks it."
            )
    _check_folds(got, oracle_splits(t, u, starts, duration, gap),
                 f"walk_forward_splits(starts={starts}, duration={duration}, gap={gap})", R5)  # fmt: skip


@pytest.mark.rules("R1")
def test_empty_windows_and_sides(sol):
    """A window with no rows, a window holding every user, and an empty log give empty int64
    arrays."""
    t = np.array([5, 15, 25, 35], dtype=np.int64)
    u = np.array([1, 2, 1, 2], dtype=np.int64)
    empty = np.array([], dtype=np.int64)
    got = sol.walk_forward_splits(t, u, [100], 10, 0)
    _check_folds(got, [(np.array([0, 1, 2, 3]), empty)],
                 "walk_forward_splits(window after every row)", "R1")  # fmt: skip
    got = sol.walk_forward_splits(t, u, [20], 20, 0)
    _check_folds(got, [(empty, np.array([2, 3]))],
                 "walk_forward_splits(every user in the test window)", f"R1; {R5}")  # fmt: skip
    got = sol.walk_forward_splits(empty, empty, [0, 10], 10, 0)
    _check_folds(
        got, [(empty, empty), (empty, empty)], "walk_forward_splits(empty int64 log)", "R1"
    )


@pytest.mark.rules("R1", "R2")
def test_accepts_lists_and_other_int_dtypes(sol, rng, shuffled_log, oracle_splits):
    """Lists, int32 timestamps, a tuple of numpy-int starts and touching windows are accepted."""
    t, u = shuffled_log(rng, 500, 100)
    expected = oracle_splits(t, u, [40_000, 60_000], 20_000, 100)
    got = sol.walk_forward_splits(t.astype(np.int32), u.tolist(),
                                  (np.int64(40_000), np.int64(60_000)), 20_000, 100)  # fmt: skip
    _check_folds(got, expected, "walk_forward_splits(int32 timestamps, list of users, "
                 "touching windows)", ALL)  # fmt: skip
    got = sol.walk_forward_splits(t.tolist(), u, np.array([40_000, 60_000]), 20_000, 100)
    _check_folds(got, expected, "walk_forward_splits(list of timestamps, array of starts)", ALL)


@pytest.mark.rules("R7")
def test_bad_arguments_raise(sol):
    """Bad shapes and dtypes, non-positive duration, negative gap, empty or overlapping
    windows raise ValueError."""
    t = np.arange(10, dtype=np.int64)
    u = np.zeros(10, dtype=np.int64)
    cases = {
        "float timestamps": (t.astype(float), u, [5], 2, 0),
        "bool user ids": (t, u.astype(bool), [5], 2, 0),
        "2-D timestamps": (t.reshape(2, 5), u.reshape(2, 5), [5], 2, 0),
        "length mismatch": (t, u[:5], [5], 2, 0),
        "duration 0": (t, u, [5], 0, 0),
        "duration 2.0": (t, u, [5], 2.0, 0),
        "negative gap": (t, u, [5], 2, -1),
        "gap True": (t, u, [5], 2, True),
        "no windows": (t, u, [], 2, 0),
        "overlapping windows": (t, u, [2, 3], 2, 0),
        "windows out of order": (t, u, [6, 2], 2, 0),
        "float start": (t, u, [2.5], 2, 0),
    }
    for label, args in cases.items():
        _raises(
            f"walk_forward_splits({label})", lambda args=args: sol.walk_forward_splits(*args), "R7"
        )


@pytest.mark.rules("R8")
def test_inputs_not_modified(sol, rng, shuffled_log):
    """walk_forward_splits leaves its arrays untouched (values and order): the bridge writes
    any in-place change made in the submission's process back to the caller's arrays."""
    t, u = shuffled_log(rng, 1000, 100)
    t0, u0 = t.copy(), u.copy()
    sol.walk_forward_splits(t, u, [50_000], 10_000, 10)
    if not (np.array_equal(t, t0) and np.array_equal(u, u0)):
        raise AssertionError(
            "walk_forward_splits(1000 shuffled rows, [50000], 10000, 10) changed the caller's "
            "timestamps or user_ids (their values or their order); R8: inputs are never modified"
        )


def _brute(t, u, starts, duration, gap):
    folds = []
    for start in starts:
        test = [i for i in range(len(t)) if start <= t[i] < start + duration]
        users = {u[i] for i in test}
        train = [i for i in range(len(t)) if t[i] < start - gap and u[i] not in users]
        folds.append((np.array(train, dtype=np.int64), np.array(test, dtype=np.int64)))
    return folds


@pytest.mark.rules("R1", "R3", "R4", "R5", "R6")
@settings(max_examples=60, phases=(Phase.explicit, Phase.generate, Phase.shrink),
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_small_logs_property(sol, data):
    """Property: on any small log, windows and gap, the splits equal a brute-force loop."""
    n = data.draw(st.integers(0, 25), label="n")
    t = data.draw(st.lists(st.integers(0, 30), min_size=n, max_size=n), label="t")
    u = data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n), label="u")
    duration = data.draw(st.integers(1, 8), label="duration")
    gap = data.draw(st.integers(0, 6), label="gap")
    first = data.draw(st.integers(0, 25), label="first start")
    steps = data.draw(st.lists(st.integers(0, 5), min_size=0, max_size=2), label="steps")
    starts = [first]
    for step in steps:
        starts.append(starts[-1] + duration + step)
    got = sol.walk_forward_splits(np.array(t, dtype=np.int64), np.array(u, dtype=np.int64),
                                  starts, duration, gap)  # fmt: skip
    _check_folds(got, _brute(t, u, starts, duration, gap),
                 f"walk_forward_splits(t={t}, u={u}, starts={starts}, duration={duration}, "
                 f"gap={gap})", ALL)  # fmt: skip


# -- find_lookahead -----------------------------------------------------------------------------

NAMES = ["txn_count_1h", "account_age", "zip_risk", "device_score", "clicks_7d", "avg_spend"]


def _lookahead_case(rng, n=2000):
    """Six features (names not in alphabetical order); 'account_age' is stamped exactly at the
    prediction time on 1-4 rows, 'device_score' later on 5-20 rows; the others are all earlier."""
    f = len(NAMES)
    event = rng.integers(10_000, 100_000, size=n).astype(np.int64)
    lag = rng.integers(1, 5_000, size=(n, f))
    feats = event[:, None] - lag
    at = rng.choice(n, size=int(rng.integers(1, 5)), replace=False)
    feats[at, 1] = event[at]
    later = rng.choice(n, size=int(rng.integers(5, 21)), replace=False)
    feats[later, 3] = event[later] + rng.integers(1, 1000, size=later.size)
    return event, feats.astype(np.int64), list(NAMES)


@pytest.mark.rules("R9", "R10")
def test_lookahead_matches_bruteforce(sol, rng):
    """find_lookahead counts, per feature, the rows with feature_time >= event_time, only for
    features that have some, in the order of feature_names."""
    event, feats, names = _lookahead_case(rng)
    expected = {}
    for j, name in enumerate(names):
        c = sum(int(feats[i, j] >= event[i]) for i in range(event.shape[0]))
        if c:
            expected[name] = c
    got = sol.find_lookahead(event, feats, names)
    if not isinstance(got, dict) or got != expected:
        raise AssertionError(
            f"find_lookahead(2000 rows, {len(names)} features) returned {got!r}, which is wrong; "
            f"R9: a value is look-ahead when feature_time >= event_time; R10: only features with "
            f"at least one look-ahead row"
        )
    if list(got) != list(expected):
        raise AssertionError(
            f"find_lookahead(2000 rows, features {names}) returned its keys in the order "
            f"{list(got)}; R10: in the order of feature_names"
        )


@pytest.mark.rules("R9")
def test_lookahead_equal_time_is_leak(sol, rng):
    """A value that became available at exactly the prediction time is a look-ahead value."""
    event = rng.integers(1_000, 2_000, size=50).astype(np.int64)
    feats = np.stack([event - 1, event - 100], axis=1)
    k = int(rng.integers(1, 10))
    feats[:k, 0] = event[:k]
    got = sol.find_lookahead(event, feats, ["txn_count_1h", "account_age"])
    if got != {"txn_count_1h": k}:
        raise AssertionError(
            f"find_lookahead with {k} rows whose feature time equals the event time returned "
            f"{got!r}; R9: a value is look-ahead when feature_time >= event_time. A value stamped "
            "at the prediction instant was computed with the event itself (a count that includes "
            "the current transaction): it was not available before the prediction, so it leaks."
        )


@pytest.mark.rules("R11")
def test_lookahead_bad_inputs(sol):
    """Mismatched shapes, non-integer times and bad names raise ValueError."""
    event = np.array([10, 20], dtype=np.int64)
    feats = np.array([[1, 2], [3, 4]], dtype=np.int64)
    cases = {
        "rows mismatch": (event[:1], feats, ["a", "b"]),
        "1-D features": (event, feats[0], ["a", "b"]),
        "float feature times": (event, feats.astype(float), ["a", "b"]),
        "float event times": (event.astype(float), feats, ["a", "b"]),
        "bool feature times": (event, feats > 2, ["a", "b"]),
        "too few names": (event, feats, ["a"]),
        "too many names": (event, feats, ["a", "b", "c"]),
        "duplicate names": (event, feats, ["a", "a"]),
    }
    for label, args in cases.items():
        _raises(f"find_lookahead({label})", lambda args=args: sol.find_lookahead(*args), "R11")
