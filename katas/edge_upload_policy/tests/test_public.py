"""Public examples for edge_upload_policy: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import numpy as np
import pytest
from uploads import DeadlineReport, choose_uploads, deadline_report


def test_one_window_high_level_first():
    """The level-2 event goes first; the two level-0 events that still fit follow."""
    t = np.array([0, 100, 200, 300])
    sizes = np.array([50, 30, 20, 90])
    levels = np.array([0, 0, 2, 0])
    mask = choose_uploads(t, sizes, levels, 1000, 101)
    assert mask.dtype == np.bool_ and mask.shape == (4,)
    assert mask.tolist() == [True, True, True, False]


def test_windows_have_their_own_budget():
    """Each 1 s window may upload 100 bytes."""
    t = np.array([10, 20, 1010, 1020])
    sizes = np.array([60, 60, 40, 40])
    levels = np.array([1, 1, 1, 1])
    mask = choose_uploads(t, sizes, levels, 1000, 100)
    assert mask[2] and mask[3]
    assert mask[:2].sum() == 1


def test_deadline_report_steady_traces():
    """Both placements are steady; the cloud is preferred when it meets the deadline."""
    cloud = np.full(200, 40.0)
    edge = np.full(200, 70.0)
    report = deadline_report(cloud, edge, 100.0)
    assert isinstance(report, DeadlineReport)
    assert report.cloud_p99_ms == 40.0 and report.edge_p99_ms == 70.0
    assert report.cloud_miss_rate == 0.0 and report.edge_miss_rate == 0.0
    assert report.placement == "cloud"


def test_bad_sizes_are_an_error():
    """Sizes must be positive."""
    with pytest.raises(ValueError):
        choose_uploads(np.array([0]), np.array([0]), np.array([1]), 1000, 10)
