# kills: test_correctness.py::test_splits_match_oracle_on_shuffled_rows
"""Mutant: assumes the log is in time order and slices row positions with searchsorted."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _as_int_1d(values, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def walk_forward_splits(
    timestamps, user_ids, test_starts: Sequence[int], test_duration: int, gap: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One (train_idx, test_idx) pair per test window, oldest window first.

    Test rows: ``start <= t < start + test_duration``. Train rows: ``t < start - gap`` and a
    user with no row in the test window. Both index arrays are int64 and ascending.
    """
    t = _as_int_1d(timestamps, "timestamps")
    users = _as_int_1d(user_ids, "user_ids")
    if t.shape != users.shape:
        raise ValueError(f"{t.shape[0]} timestamps but {users.shape[0]} user ids")
    if not _is_int(test_duration) or test_duration <= 0:
        raise ValueError(f"test_duration must be a positive int, got {test_duration!r}")
    if not _is_int(gap) or gap < 0:
        raise ValueError(f"gap must be a non-negative int, got {gap!r}")
    starts = list(test_starts)
    if not starts or not all(_is_int(s) for s in starts):
        raise ValueError(f"test_starts must be a non-empty sequence of ints, got {test_starts!r}")
    for a, b in zip(starts, starts[1:], strict=False):
        if b < a + test_duration:
            raise ValueError(f"test windows overlap or are out of order: {a} then {b}")
    folds = []
    for start in starts:
        lo = int(np.searchsorted(t, start, side="left"))
        hi = int(np.searchsorted(t, start + test_duration, side="left"))
        end = int(np.searchsorted(t, start - gap, side="left"))
        test = np.arange(lo, hi, dtype=np.int64)
        train = np.arange(0, end, dtype=np.int64)
        train = train[~np.isin(users[train], users[test])]
        folds.append((train, test))
    return folds


def find_lookahead(event_time, feature_time, feature_names: Sequence[str]) -> dict[str, int]:
    """Features whose value was not yet available at prediction time, with their row counts.

    A value is look-ahead when ``feature_time >= event_time`` (available at or after the moment
    the prediction is made). Returns ``{name: rows}`` for the features with at least one such
    row, in ``feature_names`` order.
    """
    event = _as_int_1d(event_time, "event_time")
    feats = np.asarray(feature_time)
    if feats.ndim != 2 or feats.shape[0] != event.shape[0]:
        raise ValueError(f"feature_time must have shape ({event.shape[0]}, F), got {feats.shape}")
    if feats.dtype.kind not in "iu":
        raise ValueError(f"feature_time must hold integers, got dtype {feats.dtype}")
    names = list(feature_names)
    if len(names) != feats.shape[1] or len(set(names)) != len(names):
        raise ValueError(f"need {feats.shape[1]} distinct feature names, got {names!r}")
    counts = np.count_nonzero(feats >= event[:, None], axis=0)
    return {name: int(c) for name, c in zip(names, counts, strict=True) if c > 0}
