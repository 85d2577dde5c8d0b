"""Precision, recall and F1 at the production base rate, and the F1-optimal threshold.

Fill in the functions below with numpy. Read README.md first: it states the model of the data,
the threshold convention, the errors to raise and the performance target.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np  # noqa: F401  (you will need it)


class Rates(NamedTuple):
    """Metrics at one threshold, as they would be at the production prevalence."""

    precision: float
    recall: float
    f1: float
    fpr: float


class Optimum(NamedTuple):
    """The F1-optimal threshold at the production prevalence and its F1."""

    threshold: float
    f1: float


def production_metrics(y_true, y_score, threshold: float, prevalence: float) -> Rates:
    """Metrics of the rule ``score >= threshold`` on production traffic.

    Args:
        y_true: 1-D 0/1 (or boolean) validation labels, 1 = positive.
        y_score: 1-D real scores of the same length.
        threshold: flag every sample with score >= threshold.
        prevalence: the production positive rate, in (0, 1).

    Returns:
        ``Rates(precision, recall, f1, fpr)`` of Python floats; precision and F1 are 0.0 (not
        NaN) when nothing, or nothing correct, would be flagged.

    Raises:
        ValueError: bad input (see README), NaN threshold, prevalence outside (0, 1), or a
            class missing from ``y_true``.
    """
    raise NotImplementedError


def f1_optimal_threshold(y_true, y_score, prevalence: float) -> Optimum:
    """The distinct score that, as a threshold, maximises production F1.

    Ties in F1 (equal within a relative 1e-12) go to the highest threshold.

    Returns:
        ``Optimum(threshold, f1)`` of Python floats.

    Raises:
        ValueError: as :func:`production_metrics`.
    """
    raise NotImplementedError
