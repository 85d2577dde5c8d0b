"""The bar of the temporal_split performance gate: a plain vectorised O(n log n) numpy solution
(boolean masks per window, a sort-based membership test of the users), with the statement's
argument checks. Visible only in the baseline sandbox."""

import numpy as np


def walk_forward_splits(timestamps, user_ids, test_starts, test_duration, gap):
    t = np.asarray(timestamps)
    u = np.asarray(user_ids)
    if t.ndim != 1 or u.shape != t.shape or t.dtype.kind not in "iu" or u.dtype.kind not in "iu":
        raise ValueError("timestamps and user_ids must be 1-D integer arrays of one length")
    starts = [int(s) for s in test_starts]
    if not starts or test_duration <= 0 or gap < 0:
        raise ValueError("bad windows")
    if any(b < a + test_duration for a, b in zip(starts, starts[1:], strict=False)):
        raise ValueError("overlapping windows")
    folds = []
    for start in starts:
        test = (t >= start) & (t < start + test_duration)
        train = (t < start - gap) & ~np.isin(u, u[test], kind="sort")
        folds.append(
            (np.flatnonzero(train).astype(np.int64), np.flatnonzero(test).astype(np.int64))
        )
    return folds
