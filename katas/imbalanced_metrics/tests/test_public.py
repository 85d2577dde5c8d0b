"""Public examples for imbalanced_metrics: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import numpy as np
import pytest
from metrics import (
    OperatingPoint,
    average_precision,
    operating_point_at_recall,
    precision_at_k,
    roc_auc,
    select_model,
)

# 4 positives, 6 negatives, all scores distinct
Y = np.array([1, 0, 1, 0, 0, 1, 0, 0, 1, 0])
S = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2, 0.1])


def test_roc_auc_small_example():
    """Of the 24 positive/negative pairs, 15 put the positive higher."""
    assert roc_auc(Y, S) == pytest.approx(15 / 24)
    assert isinstance(roc_auc(Y, S), float)
    assert roc_auc([0, 1], [0.2, 0.8]) == 1.0


def test_average_precision_perfect_ranking_is_one():
    """A ranking with every positive first has AP 1."""
    assert average_precision([1, 1, 0, 0, 0], [5, 4, 3, 2, 1]) == pytest.approx(1.0)
    assert 0.0 < average_precision(Y, S) < 1.0


def test_operating_point_example():
    """Catching 3 of the 4 positives needs the threshold 0.55, with 3 false positives."""
    point = operating_point_at_recall(Y, S, 0.7)
    assert isinstance(point, OperatingPoint)
    assert point.threshold == pytest.approx(0.55)
    assert point.tpr == pytest.approx(0.75)
    assert point.fpr == pytest.approx(3 / 6)
    assert point.precision == pytest.approx(0.5)


def test_precision_at_k_example():
    """Two of the top three are positives."""
    assert precision_at_k(Y, S, 3) == pytest.approx(2 / 3)
    assert precision_at_k(Y, S, 10) == pytest.approx(0.4)


def test_select_model_example():
    """A model that ranks every positive first wins."""
    perfect = np.where(Y == 1, 1.0, 0.0) + S * 0.01
    assert select_model(Y, {"current": S, "candidate": perfect}, 0.75) == "candidate"


def test_errors():
    """One class only and NaN scores are errors."""
    with pytest.raises(ValueError):
        roc_auc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError):
        average_precision([1, 0], [np.nan, 0.3])


def test_operating_point_fewest_false_positives_then_most_true_positives():
    """0.7 and 0.6 both reach recall 0.5 with one false positive: 0.6 catches more positives."""
    point = operating_point_at_recall([1, 0, 1, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5], 0.5)
    assert point == pytest.approx((0.6, 1.0, 0.5, 0.75))
