"""Style B: boolean row masks per window over the unsorted rows, users factorised once with
np.unique(return_inverse) and purged through a per-user flag table; np.flatnonzero gives the
ascending positions directly."""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np


def _as_int(x, what: str) -> int:
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{what} must be an int")
    try:
        return operator.index(x)
    except TypeError as exc:
        raise ValueError(f"{what} must be an int") from exc


def walk_forward_splits(
    timestamps, user_ids, test_starts: Sequence[int], test_duration: int, gap: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One ``(train_idx, test_idx)`` pair per test window, in the order of ``test_starts``."""
    times = np.asarray(timestamps)
    users = np.asarray(user_ids)
    for arr in (times, users):
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError("timestamps and user_ids must be 1-D integer arrays")
    if len(times) != len(users):
        raise ValueError("timestamps and user_ids must have one length")
    duration = _as_int(test_duration, "test_duration")
    if duration < 1:
        raise ValueError("test_duration must be positive")
    gap = _as_int(gap, "gap")
    if gap < 0:
        raise ValueError("gap must be non-negative")
    if isinstance(test_starts, (str, bytes)) or (
        isinstance(test_starts, np.ndarray) and test_starts.ndim != 1
    ):
        raise ValueError("test_starts must be a sequence of ints")
    try:
        starts = [_as_int(s, "test_starts entry") for s in test_starts]
    except TypeError as exc:
        raise ValueError("test_starts must be a sequence of ints") from exc
    if len(starts) == 0:
        raise ValueError("test_starts must not be empty")
    if any(nxt < cur + duration for cur, nxt in zip(starts[:-1], starts[1:])):
        raise ValueError("test windows must be increasing and must not overlap")

    user_codes = np.unique(users, return_inverse=True)[1].reshape(-1)
    n_users = int(user_codes.max()) + 1 if user_codes.size else 0
    out = []
    for start in starts:
        in_test = (times >= start) & (times < start + duration)
        tainted = np.zeros(n_users, dtype=bool)
        tainted[user_codes[in_test]] = True
        in_train = (times < start - gap) & ~tainted[user_codes]
        out.append((np.flatnonzero(in_train).astype(np.int64, copy=False),
                    np.flatnonzero(in_test).astype(np.int64, copy=False)))
    return out


def find_lookahead(event_time, feature_time, feature_names: Sequence[str]) -> dict[str, int]:
    """Per feature, the number of rows with ``feature_time >= event_time`` (only if > 0)."""
    ev = np.asarray(event_time)
    ft = np.asarray(feature_time)
    if not (np.issubdtype(ev.dtype, np.integer) and np.issubdtype(ft.dtype, np.integer)):
        raise ValueError("event_time and feature_time must be integer arrays")
    if ev.ndim != 1 or ft.ndim != 2 or len(ev) != len(ft):
        raise ValueError("shapes do not match")
    if isinstance(feature_names, (str, bytes)):
        raise ValueError("feature_names must be a sequence")
    names = tuple(feature_names)
    if len(names) != ft.shape[1] or len(set(names)) != len(names):
        raise ValueError("feature names must be distinct, one per column")
    result = {}
    for j, name in enumerate(names):
        late = int((ft[:, j] >= ev).sum())
        if late:
            result[name] = late
    return result
