"""Style A: sort the rows by time once, cut every window with np.searchsorted on the sorted
timestamps, and purge users with np.isin; index arrays re-sorted at the end."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _int_vector(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise ValueError(f"{name} must be a 1-D integer array")
    return a


def walk_forward_splits(
    timestamps, user_ids, test_starts: Sequence[int], test_duration: int, gap: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One ``(train_idx, test_idx)`` pair per test window, in the order of ``test_starts``."""
    t = _int_vector(timestamps, "timestamps")
    u = _int_vector(user_ids, "user_ids")
    if t.shape != u.shape:
        raise ValueError("timestamps and user_ids differ in length")
    if not _is_int(test_duration) or test_duration <= 0:
        raise ValueError("test_duration must be a positive int")
    if not _is_int(gap) or gap < 0:
        raise ValueError("gap must be a non-negative int")
    if isinstance(test_starts, (str, bytes)):
        raise ValueError("test_starts must be a sequence of ints")
    starts = list(np.asarray(test_starts).tolist()) if isinstance(test_starts, np.ndarray) else list(test_starts)
    if not starts:
        raise ValueError("test_starts is empty")
    if isinstance(test_starts, np.ndarray) and test_starts.ndim != 1:
        raise ValueError("test_starts must be 1-D")
    if not all(_is_int(s) for s in starts):
        raise ValueError("test_starts must hold ints")
    starts = [int(s) for s in starts]
    dur, gap = int(test_duration), int(gap)
    for a, b in zip(starts, starts[1:]):
        if b < a + dur:
            raise ValueError("test windows overlap or are out of order")

    order = np.argsort(t)  # any order of equal times: the index arrays are sorted at the end
    ts = t[order]
    info = np.iinfo(ts.dtype)

    def first_at_or_after(value: int) -> int:
        """Position of the first sorted time >= value (value may lie outside the dtype)."""
        if value <= info.min:
            return 0
        if value > info.max:
            return ts.shape[0]
        return int(np.searchsorted(ts, value, side="left"))

    folds = []
    for start in starts:
        lo = first_at_or_after(start)
        hi = first_at_or_after(start + dur)
        test_idx = np.sort(order[lo:hi]).astype(np.int64)
        cut = first_at_or_after(start - gap)
        cand = order[:cut]
        keep = ~np.isin(u[cand], u[test_idx])
        train_idx = np.sort(cand[keep]).astype(np.int64)
        folds.append((train_idx, test_idx))
    return folds


def find_lookahead(event_time, feature_time, feature_names: Sequence[str]) -> dict[str, int]:
    """Count, per feature, the rows whose value became available at or after prediction time."""
    e = np.asarray(event_time)
    f = np.asarray(feature_time)
    if e.ndim != 1 or f.ndim != 2 or f.shape[0] != e.shape[0]:
        raise ValueError("event_time must be (n,) and feature_time (n, F)")
    if e.dtype.kind not in "iu" or f.dtype.kind not in "iu":
        raise ValueError("times must be integer arrays")
    if isinstance(feature_names, (str, bytes)):
        raise ValueError("feature_names must be a sequence of names")
    names = list(feature_names)
    if len(names) != f.shape[1]:
        raise ValueError("one name per feature column is needed")
    if len(set(names)) != len(names):
        raise ValueError("feature names must be distinct")
    counts = np.count_nonzero(f >= e[:, None], axis=0)
    return {name: int(c) for name, c in zip(names, counts) if c > 0}
