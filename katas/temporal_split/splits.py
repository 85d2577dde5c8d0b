"""Walk-forward validation splits with a gap and per-user purging, and a look-ahead detector.

Fill in the two functions below with numpy. Read README.md first: it states the window
bounds, the purging rule, the errors to raise and the performance target.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def walk_forward_splits(
    timestamps, user_ids, test_starts: Sequence[int], test_duration: int, gap: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One ``(train_idx, test_idx)`` pair per test window, in the order of ``test_starts``.

    Args:
        timestamps: 1-D int array, event time of each row in seconds (rows in any order).
        user_ids: 1-D int array of the same length, the user of each row.
        test_starts: increasing, non-overlapping window starts (ints).
        test_duration: window length in seconds (> 0).
        gap: seconds between the end of the training data and the window start (>= 0).

    Returns:
        A list of pairs of ascending int64 index arrays: test rows with
        ``start <= t < start + test_duration``; train rows with ``t < start - gap`` whose
        user has no row in the test window.

    Raises:
        ValueError: see README.md.
    """
    raise NotImplementedError


def find_lookahead(event_time, feature_time, feature_names: Sequence[str]) -> dict[str, int]:
    """Count, per feature, the rows whose value became available at or after prediction time.

    Args:
        event_time: 1-D int array (n,), when each prediction is made.
        feature_time: 2-D int array (n, F), when each feature value became available.
        feature_names: F distinct names.

    Returns:
        ``{name: rows with feature_time >= event_time}`` for the features with at least one
        such row, in ``feature_names`` order.

    Raises:
        ValueError: shapes, dtypes or names do not fit.
    """
    raise NotImplementedError
