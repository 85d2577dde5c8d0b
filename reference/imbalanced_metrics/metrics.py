"""Ranking metrics for a heavily imbalanced binary classifier (reference solution).

Every metric sorts the scores once (O(n log n)) and groups tied scores, so a tie is one
threshold, never an arbitrary order:

- ROC-AUC is the Mann-Whitney U statistic divided by P * N (Mann & Whitney 1947; Hanley &
  McNeil 1982): the probability that a random positive outscores a random negative, a tie
  counting one half. It equals the trapezoidal area under the ROC curve whose points are the
  distinct score thresholds (Fawcett 2006, "An introduction to ROC analysis", algorithm 2).
- Average precision is scikit-learn's ``average_precision_score``: the step-wise sum
  ``AP = sum_n (R_n - R_{n-1}) P_n`` over the distinct thresholds, with no interpolation
  (Manning, Raghavan & Schuetze 2008, ch. 8.4; the trapezoidal rule is optimistic, see
  Davis & Goadrich 2006).
- The operating point at a recall: among the thresholds whose TPR reaches it, the fewest false
  positives, and among those the most true positives (the lowest such threshold: going down
  past a run of positives only adds true positives).
- precision@k is the expected precision of the top k when ties at the cut-off are ordered at
  random (McSherry & Najork 2008, "Computing information retrieval performance measures
  efficiently in the presence of tied scores").
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np


class OperatingPoint(NamedTuple):
    """A classification threshold and the rates it gives (predict positive iff score >= threshold)."""

    threshold: float
    tpr: float
    fpr: float
    precision: float


def _validate(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(y_score)
    if y.ndim != 1 or s.ndim != 1:
        raise ValueError(f"y_true and y_score must be 1-D, got shapes {y.shape} and {s.shape}")
    if y.shape[0] != s.shape[0]:
        raise ValueError(f"y_true has {y.shape[0]} labels, y_score {s.shape[0]} scores")
    if y.shape[0] == 0:
        raise ValueError("empty input")
    if y.dtype == np.bool_:
        y = y.astype(np.int8)
    elif y.dtype.kind not in "iu" or ((y != 0) & (y != 1)).any():
        raise ValueError("y_true must hold only 0/1 (or booleans)")
    if s.dtype.kind not in "fiu":
        raise ValueError(f"y_score must be numeric, got dtype {s.dtype}")
    s = s.astype(np.float64, copy=False)
    if np.isnan(s).any():
        raise ValueError("y_score contains NaN")
    return y, s


def _curve(y: np.ndarray, s: np.ndarray):
    """Cumulative (tps, fps, thresholds) at each distinct score, highest threshold first."""
    order = np.argsort(s)[::-1]  # tie groups are aggregated below: no need for a stable sort
    s_sorted = s[order]
    y_sorted = y[order]
    # last index of each run of equal scores
    last = np.flatnonzero(np.diff(s_sorted) != 0)
    last = np.append(last, s_sorted.shape[0] - 1)
    tps = np.cumsum(y_sorted, dtype=np.int64)[last]
    fps = (last + 1) - tps
    return tps, fps, s_sorted[last]


def roc_auc(y_true, y_score) -> float:
    """Area under the ROC curve, ties counted as one half (Mann-Whitney U / (P N))."""
    y, s = _validate(y_true, y_score)
    tps, fps, _ = _curve(y, s)
    p, n = int(tps[-1]), int(fps[-1])
    if p == 0 or n == 0:
        raise ValueError("ROC-AUC needs both classes in y_true")
    # trapezoids between consecutive distinct thresholds: exactly U with half credit for ties
    tps = np.concatenate(([0], tps)).astype(np.float64)
    fps = np.concatenate(([0], fps)).astype(np.float64)
    area = np.sum(np.diff(fps) * (tps[1:] + tps[:-1])) / 2.0
    return float(area / (p * n))


def average_precision(y_true, y_score) -> float:
    """Step-wise average precision, sum_n (R_n - R_{n-1}) P_n over distinct thresholds."""
    y, s = _validate(y_true, y_score)
    tps, fps, _ = _curve(y, s)
    p = int(tps[-1])
    if p == 0:
        raise ValueError("average precision needs at least one positive in y_true")
    precision = tps / (tps + fps)
    recall_steps = np.diff(np.concatenate(([0], tps))) / p
    return float(np.sum(recall_steps * precision))


def operating_point_at_recall(y_true, y_score, recall: float) -> OperatingPoint:
    """Fewest FP among the thresholds whose TPR = TP / P is >= ``recall``; the most TP among
    those (the lowest such threshold), and its rates."""
    if (
        isinstance(recall, (bool, np.bool_))
        or not isinstance(recall, numbers.Real)
        or not 0.0 < float(recall) <= 1.0
    ):
        raise ValueError(f"recall must be a number in (0, 1], got {recall!r}")
    y, s = _validate(y_true, y_score)
    tps, fps, thresholds = _curve(y, s)
    p, n = int(tps[-1]), int(fps[-1])
    if p == 0 or n == 0:
        raise ValueError("an operating point needs both classes in y_true")
    first = int(np.argmax(tps / p >= recall))  # tps is non-decreasing; the last entry is 1.0
    i = int(np.searchsorted(fps, fps[first], side="right")) - 1  # same FP, most TP
    tp, fp = int(tps[i]), int(fps[i])
    return OperatingPoint(float(thresholds[i]), tp / p, fp / n, tp / (tp + fp))


def precision_at_k(y_true, y_score, k: int) -> float:
    """Expected precision of the k highest scores, ties at the cut-off in random order."""
    y, s = _validate(y_true, y_score)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= y.shape[0]:
        raise ValueError(f"k must be an int in [1, {y.shape[0]}], got {k!r}")
    k = int(k)
    kth = np.partition(s, s.shape[0] - k)[s.shape[0] - k]  # the k-th highest score
    above = s > kth
    tied = s == kth
    slots = k - int(above.sum())
    hits = float(y[above].sum()) + slots * float(y[tied].sum()) / float(tied.sum())
    return hits / k


def select_model(y_true, scores: Mapping[str, object], recall: float) -> str:
    """The model to ship: lowest FPR at ``recall``, then higher average precision, then name."""
    if not scores:
        raise ValueError("no models to choose from")
    keyed = []
    for name, score in scores.items():
        point = operating_point_at_recall(y_true, score, recall)
        keyed.append((point.fpr, -average_precision(y_true, score), name))
    return min(keyed)[2]
