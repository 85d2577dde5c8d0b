"""Style A: one stable ascending argsort per call, reversed, and cumulative TP/FP counts at the last
row of each distinct-score block (the layout of scikit-learn's binary curve); AUC by the
trapezoid rule over those points."""

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


def _validate(y_true, y_score):
    y = np.asarray(y_true)
    s = np.asarray(y_score)
    if y.ndim != 1 or s.ndim != 1:
        raise ValueError("inputs must be 1-D")
    if y.shape[0] != s.shape[0]:
        raise ValueError("lengths differ")
    if y.shape[0] == 0:
        raise ValueError("empty input")
    if y.dtype == bool:
        yb = y.copy()
    elif y.dtype.kind in "iuf":
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("labels must be 0/1")
        yb = y == 1
    else:
        raise ValueError("labels must be 0/1 integers or booleans")
    if s.dtype == bool:
        s = s.astype(np.uint8)
    elif s.dtype.kind not in "iuf":
        raise ValueError("scores must be real numbers")
    if s.dtype.kind == "f" and np.isnan(s).any():
        raise ValueError("NaN score")
    return yb, s


def _curve(yb, s):
    """Distinct thresholds (descending) with cumulative TP and FP counts (int64)."""
    order = np.argsort(s, kind="stable")[::-1]
    ss = s[order]
    ys = yb[order]
    last = np.flatnonzero(ss[1:] != ss[:-1])  # last row of each block but the final one
    ends = np.append(last, ss.shape[0] - 1)
    tp = np.cumsum(ys, dtype=np.int64)[ends]
    fp = (ends + 1) - tp
    return ss[ends], tp, fp


def roc_auc(y_true, y_score) -> float:
    """Area under the ROC curve (trapezoid over the distinct-threshold points)."""
    yb, s = _validate(y_true, y_score)
    _, tp, fp = _curve(yb, s)
    P, N = int(tp[-1]), int(fp[-1])
    if P == 0 or N == 0:
        raise ValueError("y_true holds only one class")
    tp0 = np.concatenate(([0], tp)).astype(np.float64)
    fp0 = np.concatenate(([0], fp)).astype(np.float64)
    area = np.sum(np.diff(fp0) * (tp0[1:] + tp0[:-1])) / 2.0
    return float(area / (float(P) * float(N)))


def average_precision(y_true, y_score) -> float:
    """Average precision, sum_n (R_n - R_{n-1}) P_n over the distinct thresholds."""
    yb, s = _validate(y_true, y_score)
    _, tp, fp = _curve(yb, s)
    P = int(tp[-1])
    if P == 0:
        raise ValueError("no positive in y_true")
    precision = tp / (tp + fp)
    recall = tp / P
    d_recall = np.diff(np.concatenate(([0.0], recall)))
    return float(np.sum(d_recall * precision))


def _check_recall(recall) -> float:
    if isinstance(recall, (bool, np.bool_)) or not isinstance(recall, numbers.Real):
        raise ValueError("recall must be a number in (0, 1]")
    r = float(recall)
    if not (0.0 < r <= 1.0):
        raise ValueError("recall must be in (0, 1]")
    return r


def operating_point_at_recall(y_true, y_score, recall: float) -> OperatingPoint:
    """Among the thresholds with TPR >= recall, the one with the fewest false positives
    (among those, the one catching the most positives: the lowest such threshold)."""
    r = _check_recall(recall)
    yb, s = _validate(y_true, y_score)
    thr, tp, fp = _curve(yb, s)
    P, N = int(tp[-1]), int(fp[-1])
    if P == 0 or N == 0:
        raise ValueError("both classes are needed")
    tpr = tp / P
    ok = np.flatnonzero(tpr >= r)  # non-empty: the lowest threshold has TPR 1
    min_fp = fp[ok].min()
    i = ok[fp[ok] == min_fp][-1]  # same FP: the lowest threshold has the most TP
    return OperatingPoint(float(thr[i]), float(tpr[i]), float(fp[i] / N),
                          float(tp[i] / (tp[i] + fp[i])))


def precision_at_k(y_true, y_score, k: int) -> float:
    """Expected share of positives among the k highest scores (random order within ties)."""
    yb, s = _validate(y_true, y_score)
    n = yb.shape[0]
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError("k must be an int in [1, len(y_true)]")
    k = int(k)
    thr, tp, fp = _curve(yb, s)
    cnt = tp + fp
    b = int(np.searchsorted(cnt, k, side="left"))  # block holding the k-th highest score
    above_n = int(cnt[b - 1]) if b else 0
    above_tp = int(tp[b - 1]) if b else 0
    block_n = int(cnt[b]) - above_n
    block_tp = int(tp[b]) - above_tp
    expected_tp = above_tp + (k - above_n) * block_tp / block_n
    return float(expected_tp / k)


def select_model(y_true, scores: Mapping[str, object], recall: float) -> str:
    """Lowest FPR at the required recall; then higher AP; then the smallest name."""
    if len(scores) == 0:
        raise ValueError("no model to select from")
    rows = []
    for name, sc in scores.items():
        fpr = operating_point_at_recall(y_true, sc, recall).fpr
        ap = average_precision(y_true, sc)
        rows.append((fpr, -ap, name))
    return min(rows)[2]


