"""Public examples for prevalence_metrics: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import numpy as np
import pytest
from prevalence import Optimum, Rates, f1_optimal_threshold, production_metrics

# 4 positives, 6 negatives: the validation prevalence is 0.4
Y = np.array([1, 0, 1, 0, 0, 1, 0, 0, 1, 0])
S = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2, 0.1])


def test_metrics_at_the_validation_prevalence():
    """At the validation set's own prevalence the metrics are the plain counts."""
    rates = production_metrics(Y, S, 0.55, 0.4)
    assert isinstance(rates, Rates)
    assert rates.recall == pytest.approx(3 / 4)
    assert rates.fpr == pytest.approx(3 / 6)
    assert rates.precision == pytest.approx(3 / 6)
    assert rates.f1 == pytest.approx(2 * 0.5 * 0.75 / 1.25)


def test_recall_does_not_depend_on_prevalence():
    """Recall and FPR are rates within a class: the production prevalence does not move them."""
    a = production_metrics(Y, S, 0.8, 0.4)
    b = production_metrics(Y, S, 0.8, 0.05)
    assert a.recall == pytest.approx(b.recall) == pytest.approx(0.5)
    assert a.fpr == pytest.approx(b.fpr) == pytest.approx(1 / 6)


def test_optimal_threshold_at_the_validation_prevalence():
    """At the validation prevalence the best cut flags all four positives (and five negatives)."""
    best = f1_optimal_threshold(Y, S, 0.4)
    assert isinstance(best, Optimum)
    assert best.threshold == pytest.approx(0.2)
    assert best.f1 == pytest.approx(8 / 13)


def test_prevalence_must_be_a_rate():
    """A prevalence outside (0, 1) is an error."""
    with pytest.raises(ValueError):
        production_metrics(Y, S, 0.5, 1.5)
