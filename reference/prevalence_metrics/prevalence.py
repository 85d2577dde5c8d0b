"""Precision, recall and F1 at the production base rate (reference solution).

A validation set curated with its own class balance (positives over-sampled) estimates the
class-conditional rates TPR = P(score >= t | positive) and FPR = P(score >= t | negative)
without bias, but its precision and F1 are those of its own base rate. At a production
prevalence pi (Bayes' rule; Saerens, Latinne & Decaestecker 2002, "Adjusting the outputs of a
classifier to new a priori probabilities"):

    precision_pi(t) = pi TPR(t) / (pi TPR(t) + (1 - pi) FPR(t)),

the same as weighting every positive by pi / pi_val and every negative by
(1 - pi) / (1 - pi_val) (importance weights, as ``sample_weight`` in scikit-learn's metrics).
Recall is prevalence-free; F1 = 2 P R / (P + R) is not, and neither is its optimal threshold
(Lipton, Elkan & Naryanaswamy 2014, "Optimal thresholding of classifiers to maximize F1").

The threshold sweep sorts the scores once and takes cumulative counts at the distinct scores:
O(n log n).
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np


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


def _validate(y_true, y_score, prevalence) -> tuple[np.ndarray, np.ndarray, float]:
    y = np.asarray(y_true)
    s = np.asarray(y_score)
    if y.ndim != 1 or s.ndim != 1 or y.shape != s.shape or y.shape[0] == 0:
        raise ValueError(f"need two non-empty 1-D arrays of one length, got {y.shape}, {s.shape}")
    if y.dtype == np.bool_:
        y = y.astype(np.int8)
    elif y.dtype.kind not in "iu" or ((y != 0) & (y != 1)).any():
        raise ValueError("y_true must hold only 0/1 (or booleans)")
    if s.dtype.kind not in "fiu":
        raise ValueError(f"y_score must be numeric, got dtype {s.dtype}")
    s = s.astype(np.float64, copy=False)
    if np.isnan(s).any():
        raise ValueError("y_score contains NaN")
    if isinstance(prevalence, (bool, np.bool_)) or not isinstance(prevalence, numbers.Real):
        raise ValueError(f"prevalence must be a number in (0, 1), got {prevalence!r}")
    if not 0.0 < prevalence < 1.0:
        raise ValueError(f"prevalence must lie in (0, 1), got {prevalence!r}")
    p = int(y.sum())
    if p == 0:
        raise ValueError("y_true has no positives: recall and F1 are undefined")
    if p == y.shape[0]:
        raise ValueError("y_true has no negatives: the false-positive rate is undefined")
    return y, s, float(prevalence)


def _at_prevalence(tpr, fpr, pi: float):
    """Precision and F1 at prevalence pi from class-conditional rates (arrays or floats);
    0 where nothing is flagged or nothing correct is flagged."""
    tpr = np.asarray(tpr, dtype=np.float64)
    fpr = np.asarray(fpr, dtype=np.float64)
    flagged = pi * tpr + (1.0 - pi) * fpr
    precision = np.divide(pi * tpr, flagged, out=np.zeros_like(flagged), where=flagged > 0)
    total = precision + tpr
    f1 = np.divide(2.0 * precision * tpr, total, out=np.zeros_like(total), where=total > 0)
    return precision, f1


def production_metrics(y_true, y_score, threshold: float, prevalence: float) -> Rates:
    """Precision, recall, F1 and FPR of ``score >= threshold`` at the production prevalence."""
    y, s, pi = _validate(y_true, y_score, prevalence)
    if not isinstance(threshold, (int, float, np.floating, np.integer)) or math.isnan(threshold):
        raise ValueError(f"threshold must be a number, got {threshold!r}")
    flagged = s >= threshold
    positives = y == 1
    tpr = np.count_nonzero(flagged & positives) / np.count_nonzero(positives)
    fpr = np.count_nonzero(flagged & ~positives) / np.count_nonzero(~positives)
    precision, f1 = _at_prevalence(tpr, fpr, pi)
    return Rates(float(precision), float(tpr), float(f1), float(fpr))


def f1_optimal_threshold(y_true, y_score, prevalence: float) -> Optimum:
    """The distinct score maximising production F1 (the highest one among F1 values equal
    within a relative 1e-12)."""
    y, s, pi = _validate(y_true, y_score, prevalence)
    order = np.argsort(s)[::-1]  # tie groups are aggregated below: no need for a stable sort
    s_sorted = s[order]
    last = np.append(np.flatnonzero(np.diff(s_sorted) != 0), s_sorted.shape[0] - 1)
    tps = np.cumsum(y[order], dtype=np.int64)[last]
    fps = (last + 1) - tps
    _, f1 = _at_prevalence(tps / tps[-1], fps / fps[-1], pi)
    top = f1.max()
    best = int(np.argmax(f1 >= top - 1e-12 * top))  # the first (highest) near-maximum
    return Optimum(float(s_sorted[last[best]]), float(f1[best]))
