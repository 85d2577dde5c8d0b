"""Public examples for sliding_window_features: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import math

import numpy as np
import pytest
from features import FeatureColumns, Features, SlidingWindowFeatures


def _t(f):
    return tuple(f)


def test_worked_example():
    """The README's worked example: an event exactly `window` old has left the window."""
    f = SlidingWindowFeatures(10)
    assert _t(f.update(1, 0, 4.0)) == (1, 4.0, 4.0, 4.0)
    assert _t(f.update(1, 5, 1.0)) == (2, 5.0, 2.5, 4.0)
    assert _t(f.update(1, 10, 2.0)) == (2, 3.0, 1.5, 2.0)
    assert _t(f.query(1, 14)) == (2, 3.0, 1.5, 2.0)
    assert _t(f.query(1, 15)) == (1, 2.0, 2.0, 2.0)
    empty = f.query(1, 25)
    assert isinstance(empty, Features)
    assert empty.count == 0 and empty.sum == 0.0
    assert math.isnan(empty.mean) and math.isnan(empty.max)


def test_entities_are_independent():
    """Each entity has its own window; an unknown entity is empty."""
    f = SlidingWindowFeatures(1000)
    f.update(1, 100, 5.0)
    f.update(2, 150, -3.0)
    assert _t(f.query(1, 200)) == (1, 5.0, 5.0, 5.0)
    assert _t(f.query(2, 200)) == (1, -3.0, -3.0, -3.0)
    assert f.query(3, 200).count == 0


def test_backfill_rows_in_input_order():
    """backfill processes the log in time order and answers in the input's row order."""
    f = SlidingWindowFeatures(100)
    cols = f.backfill([7, 7, 7, 8], [250, 100, 180, 120], [3.0, 1.0, 2.0, 9.0])
    assert isinstance(cols, FeatureColumns)
    assert cols.count.dtype == np.int64 and cols.sum.dtype == np.float64
    np.testing.assert_array_equal(cols.count, [2, 1, 2, 1])
    np.testing.assert_allclose(cols.sum, [5.0, 1.0, 3.0, 9.0])
    np.testing.assert_allclose(cols.max, [3.0, 1.0, 2.0, 9.0])
    # the instance goes on online from where the backfill ended
    assert _t(f.update(7, 260, 1.0)) == (3, 6.0, 2.0, 3.0)


def test_time_never_goes_back():
    """An update older than the entity's latest time is a ValueError."""
    f = SlidingWindowFeatures(50)
    f.update(1, 100, 1.0)
    with pytest.raises(ValueError):
        f.update(1, 99, 1.0)
    f.update(2, 10, 1.0)  # another entity has its own clock
    with pytest.raises(ValueError):
        SlidingWindowFeatures(0)
