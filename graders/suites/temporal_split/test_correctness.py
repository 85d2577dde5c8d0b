"""Hidden correctness tests of temporal_split.

Oracles are independent of the reference: the statement's rules written with pandas boolean
indexing, a brute-force loop over rows for small inputs, and invariants checked directly (no
train row at or after the gap boundary, no user on both sides).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SHUFFLE_HINT = (
    "Rows arrive in no particular order: windows are defined by each row's timestamp, not by "
    "its position. Slicing positions (or a random split) puts future rows into training: "
    "look-ahead leakage."
)


def _check_folds(got, expected, what, hint=""):
    if not isinstance(got, list) or len(got) != len(expected):
        raise AssertionError(
            f"{what} returned {type(got).__name__} of length "
            f"{len(got) if hasattr(got, '__len__') else '?'}, expected a list of "
            f"{len(expected)} (train_idx, test_idx) pairs"
        )
    for k, (pair, (train_e, test_e)) in enumerate(zip(got, expected, strict=True)):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise AssertionError(f"{what}: fold {k} is {type(pair).__name__}, expected a pair")
        for label, arr, exp in (("test_idx", pair[1], test_e), ("train_idx", pair[0], train_e)):
            if type(arr) is not np.ndarray or arr.dtype != np.int64 or arr.ndim != 1:
                raise AssertionError(
                    f"{what}: fold {k} {label} is {type(arr).__name__} "
                    f"{getattr(arr, 'dtype', '')}, expected a 1-D int64 numpy array"
                )
            if not np.array_equal(arr, exp):
                extra = np.setdiff1d(arr, exp)[:5].tolist()
                missing = np.setdiff1d(exp, arr)[:5].tolist()
                raise AssertionError(
                    f"{what}: fold {k} {label} has {arr.size} rows, expected {exp.size}; "
                    f"rows that should not be there: {extra}, rows missing: {missing}"
                    + ("" if extra or missing else " (same rows, not in ascending order)")
                    + (f". {hint}" if hint else "")
                )


def test_splits_match_oracle_on_shuffled_rows(sol, rng, shuffled_log, oracle_splits):
    """walk_forward_splits on a shuffled log equals the statement's rules (pandas oracle)."""
    t, u = shuffled_log(rng, 20_000, 3_000)
    starts, duration, gap = [60_000, 70_000, 85_000], 10_000, 2_500
    got = sol.walk_forward_splits(t, u, starts, duration, gap)
    _check_folds(got, oracle_splits(t, u, starts, duration, gap),
                 f"walk_forward_splits(20000 shuffled rows, starts={starts}, "
                 f"duration={duration}, gap={gap})", SHUFFLE_HINT)  # fmt: skip


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
    expected = oracle_splits(t, u, [start], duration, gap)
    _check_folds(got, expected,
                 f"walk_forward_splits(start={start}, duration={duration}, gap={gap}; rows at "
                 f"t={edges})",
                 f"Train rows need t < start - gap = {start - gap} (strict: a row at "
                 f"start - gap has a label that matures only at the test start); test rows "
                 f"start <= t < start + duration.")  # fmt: skip


def test_user_straddling_boundary_purged(sol, rng, shuffled_log, oracle_splits):
    """A user with rows before the gap and inside the test window has every row removed from
    that fold's training set."""
    t, u = shuffled_log(rng, 10_000, 1_500)
    starts, duration, gap = [70_000, 80_000], 10_000, 1_000
    got = sol.walk_forward_splits(t, u, starts, duration, gap)
    for k, (start, (train, test)) in enumerate(zip(starts, got, strict=True)):
        both = np.intersect1d(u[np.asarray(train)], u[np.asarray(test)])
        if both.size:
            raise AssertionError(
                f"walk_forward_splits(starts={starts}): fold {k} (test from {start}) trains on "
                f"{both.size} users who also appear in its test window (e.g. user "
                f"{int(both[0])}). The churn label is per user: a user's earlier rows carry "
                "the outcome being tested, so a user straddling the boundary leaks it. Purge "
                "every row of the test window's users from the fold's training set."
            )
    _check_folds(got, oracle_splits(t, u, starts, duration, gap),
                 f"walk_forward_splits(starts={starts}, duration={duration}, gap={gap})")  # fmt: skip


def test_empty_windows_and_sides(sol, rng):
    """A window with no rows, and a window holding every user, give empty int64 arrays."""
    t = np.array([5, 15, 25, 35], dtype=np.int64)
    u = np.array([1, 2, 1, 2], dtype=np.int64)
    got = sol.walk_forward_splits(t, u, [100], 10, 0)
    _check_folds(got, [(np.array([0, 1, 2, 3]), np.array([], dtype=np.int64))],
                 "walk_forward_splits(window after every row)")  # fmt: skip
    got = sol.walk_forward_splits(t, u, [20], 20, 0)
    _check_folds(got, [(np.array([], dtype=np.int64), np.array([2, 3]))],
                 "walk_forward_splits(every user in the test window)")  # fmt: skip


def test_accepts_lists_and_other_int_dtypes(sol, rng, shuffled_log, oracle_splits):
    """Lists, int32 timestamps and a tuple of numpy-int starts are accepted."""
    t, u = shuffled_log(rng, 500, 100)
    expected = oracle_splits(t, u, [40_000, 60_000], 20_000, 100)
    got = sol.walk_forward_splits(t.astype(np.int32), u.tolist(),
                                  (np.int64(40_000), np.int64(60_000)), 20_000, 100)  # fmt: skip
    _check_folds(got, expected, "walk_forward_splits(int32 timestamps, list of users)")


def test_bad_arguments_raise(sol):
    """Bad shapes and dtypes, non-positive duration, negative gap, empty or overlapping
    windows raise ValueError."""
    t = np.arange(10, dtype=np.int64)
    u = np.zeros(10, dtype=np.int64)
    cases = {
        "float timestamps": (t.astype(float), u, [5], 2, 0),
        "2-D timestamps": (t.reshape(2, 5), u.reshape(2, 5), [5], 2, 0),
        "length mismatch": (t, u[:5], [5], 2, 0),
        "duration 0": (t, u, [5], 0, 0),
        "negative gap": (t, u, [5], 2, -1),
        "no windows": (t, u, [], 2, 0),
        "overlapping windows": (t, u, [2, 3], 2, 0),
        "windows out of order": (t, u, [6, 2], 2, 0),
        "float start": (t, u, [2.5], 2, 0),
    }
    for label, args in cases.items():
        with pytest.raises(ValueError):
            sol.walk_forward_splits(*args)
            pytest.fail(f"walk_forward_splits with {label} returned instead of raising")


def test_inputs_not_modified(sol, rng, shuffled_log):
    """walk_forward_splits leaves its arrays untouched."""
    t, u = shuffled_log(rng, 1000, 100)
    t0, u0 = t.copy(), u.copy()
    sol.walk_forward_splits(t, u, [50_000], 10_000, 10)
    assert np.array_equal(t, t0) and np.array_equal(u, u0), "an input array was modified"


def _brute(t, u, starts, duration, gap):
    folds = []
    for start in starts:
        test = [i for i in range(len(t)) if start <= t[i] < start + duration]
        users = {u[i] for i in test}
        train = [i for i in range(len(t)) if t[i] < start - gap and u[i] not in users]
        folds.append((np.array(train, dtype=np.int64), np.array(test, dtype=np.int64)))
    return folds


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
                 f"gap={gap})")  # fmt: skip


# -- find_lookahead -----------------------------------------------------------------------------


def _lookahead_case(rng, n=2000, f=6):
    event = rng.integers(10_000, 100_000, size=n).astype(np.int64)
    lag = rng.integers(1, 5_000, size=(n, f))
    feats = event[:, None] - lag
    names = [f"feature_{j}" for j in range(f)]
    # feature 1: available exactly at prediction time on a few rows; feature 3: later
    at = rng.choice(n, size=int(rng.integers(1, 5)), replace=False)
    feats[at, 1] = event[at]
    later = rng.choice(n, size=int(rng.integers(1, 20)), replace=False)
    feats[later, 3] = event[later] + rng.integers(1, 1000, size=later.size)
    return event, feats.astype(np.int64), names


def test_lookahead_matches_bruteforce(sol, rng):
    """find_lookahead counts, per feature, the rows with feature_time >= event_time."""
    event, feats, names = _lookahead_case(rng)
    expected = {}
    for j, name in enumerate(names):
        c = sum(int(feats[i, j] >= event[i]) for i in range(event.shape[0]))
        if c:
            expected[name] = c
    got = sol.find_lookahead(event, feats, names)
    if not isinstance(got, dict) or got != expected or list(got) != list(expected):
        raise AssertionError(
            f"find_lookahead(2000 rows, {len(names)} features) returned {got!r}, expected "
            f"{expected!r} (in feature order)"
        )


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
            f"{got!r}, expected {{'txn_count_1h': {k}}}. A value stamped at the prediction "
            "instant was computed with the event itself (a count that includes the current "
            "transaction): it was not available before the prediction, so it leaks."
        )


def test_lookahead_bad_inputs(sol):
    """Mismatched shapes, non-integer times and bad names raise ValueError."""
    event = np.array([10, 20], dtype=np.int64)
    feats = np.array([[1, 2], [3, 4]], dtype=np.int64)
    cases = {
        "rows mismatch": (event[:1], feats, ["a", "b"]),
        "1-D features": (event, feats[0], ["a", "b"]),
        "float times": (event, feats.astype(float), ["a", "b"]),
        "too few names": (event, feats, ["a"]),
        "duplicate names": (event, feats, ["a", "a"]),
    }
    for label, args in cases.items():
        with pytest.raises(ValueError):
            sol.find_lookahead(*args)
            pytest.fail(f"find_lookahead with {label} returned instead of raising ValueError")
