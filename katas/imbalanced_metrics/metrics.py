"""Ranking metrics for a heavily imbalanced binary classifier.

Fill in the functions below with numpy. Read README.md first: it states the threshold
convention, how tied scores are treated, the errors to raise and the performance target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np  # noqa: F401  (you will need it)


class OperatingPoint(NamedTuple):
    """A classification threshold and the rates it gives (predict positive iff score >= threshold)."""

    threshold: float
    tpr: float
    fpr: float
    precision: float


def roc_auc(y_true, y_score) -> float:
    """Area under the ROC curve.

    Args:
        y_true: 1-D 0/1 (or boolean) labels, 1 = positive.
        y_score: 1-D real scores of the same length, higher = more likely positive.

    Returns:
        The ROC-AUC as a Python float; agrees with ``sklearn.metrics.roc_auc_score``.

    Raises:
        ValueError: bad input (see README) or only one class in ``y_true``.
    """
    raise NotImplementedError


def average_precision(y_true, y_score) -> float:
    """Average precision, ``sum_n (R_n - R_{n-1}) P_n`` over the distinct thresholds.

    The definition of ``sklearn.metrics.average_precision_score``.

    Raises:
        ValueError: bad input (see README) or no positive in ``y_true``.
    """
    raise NotImplementedError


def operating_point_at_recall(y_true, y_score, recall: float) -> OperatingPoint:
    """The threshold with the fewest false positives among those with TPR >= ``recall``;
    among several with that fewest number, the one with the most true positives.

    Args:
        y_true, y_score: as :func:`roc_auc`.
        recall: required TPR, a number in (0, 1].

    Returns:
        ``OperatingPoint(threshold, tpr, fpr, precision)`` of Python floats.

    Raises:
        ValueError: bad input, ``recall`` outside (0, 1], or a class missing.
    """
    raise NotImplementedError


def precision_at_k(y_true, y_score, k: int) -> float:
    """Expected share of positives among the ``k`` highest scores.

    Samples tied with the k-th highest score that do not all fit in the top k are taken in a
    uniformly random order; the result is the expectation over that order.

    Raises:
        ValueError: bad input, or ``k`` not an int in [1, len(y_true)].
    """
    raise NotImplementedError


def select_model(y_true, scores: Mapping[str, object], recall: float) -> str:
    """Name of the model to ship at the required ``recall``.

    The lowest FPR at :func:`operating_point_at_recall`; ties broken by the higher
    :func:`average_precision`, then by the smallest name.

    Raises:
        ValueError: ``scores`` is empty (and whatever the metrics raise).
    """
    raise NotImplementedError
