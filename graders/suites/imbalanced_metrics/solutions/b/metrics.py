"""Style B: per-distinct-score label histograms from np.unique(return_inverse) + np.bincount,
walked from the highest score down with reversed cumsums; AUC as the Mann-Whitney rank sum
with mid-ranks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np


class OperatingPoint(NamedTuple):
    """A classification threshold and the rates it gives (predict positive iff score >= threshold)."""

    threshold: float
    tpr: float
    fpr: float
    precision: float


class _Table(NamedTuple):
    values: np.ndarray  # distinct scores, descending
    pos: np.ndarray  # positives per distinct score
    neg: np.ndarray  # negatives per distinct score


def _table(y_true, y_score) -> _Table:
    labels = np.array(y_true, copy=True)
    scores = np.array(y_score, copy=True)
    if labels.ndim != 1 or scores.ndim != 1:
        raise ValueError("y_true and y_score must be 1-D")
    if len(labels) != len(scores):
        raise ValueError("y_true and y_score differ in length")
    if len(labels) == 0:
        raise ValueError("empty input")
    if labels.dtype.kind not in "biuf":
        raise ValueError("labels must be 0/1")
    is_pos = labels == 1
    if not np.all(is_pos | (labels == 0)):
        raise ValueError("labels must be 0/1")
    if scores.dtype.kind == "b":
        scores = scores.astype(np.int8)
    if scores.dtype.kind not in "iuf":
        raise ValueError("scores must be integer or floating")
    if scores.dtype.kind == "f" and np.isnan(scores).any():
        raise ValueError("NaN in y_score")
    uniq, inv = np.unique(scores, return_inverse=True)
    inv = inv.reshape(-1)
    m = uniq.shape[0]
    pos = np.bincount(inv[is_pos], minlength=m)
    neg = np.bincount(inv[~is_pos], minlength=m)
    return _Table(uniq[::-1], pos[::-1].astype(np.int64), neg[::-1].astype(np.int64))


def roc_auc(y_true, y_score) -> float:
    """Mann-Whitney U / (P N), ties counted one half."""
    t = _table(y_true, y_score)
    P, N = int(t.pos.sum()), int(t.neg.sum())
    if P == 0 or N == 0:
        raise ValueError("roc_auc needs both classes")
    # negatives strictly below each distinct score (the table is descending)
    neg_below = np.cumsum(t.neg[::-1])[::-1] - t.neg
    u = np.dot(t.pos.astype(np.float64), neg_below + 0.5 * t.neg)
    return float(u / P / N)


def average_precision(y_true, y_score) -> float:
    """sum_n (R_n - R_{n-1}) P_n, one term per distinct threshold (descending)."""
    t = _table(y_true, y_score)
    P = int(t.pos.sum())
    if P == 0:
        raise ValueError("average_precision needs a positive")
    tp = np.cumsum(t.pos)
    flagged = np.cumsum(t.pos + t.neg)
    return float(np.sum((t.pos / P) * (tp / flagged)))


def operating_point_at_recall(y_true, y_score, recall: float) -> OperatingPoint:
    """Fewest FP among thresholds with TP / P >= recall; among equal FP, the most TP."""
    if type(recall) is bool or isinstance(recall, np.bool_):
        raise ValueError("recall must be a number")
    try:
        r = float(recall)
    except (TypeError, ValueError) as exc:
        raise ValueError("recall must be a number") from exc
    if isinstance(recall, str) or not 0.0 < r <= 1.0:
        raise ValueError("recall must be in (0, 1]")
    t = _table(y_true, y_score)
    P, N = int(t.pos.sum()), int(t.neg.sum())
    if P == 0 or N == 0:
        raise ValueError("both classes are needed")
    tp = np.cumsum(t.pos)
    fp = np.cumsum(t.neg)
    tpr = tp / P
    # tpr is non-decreasing as the threshold falls: the first index reaching the recall has the
    # fewest FP; the last index with that same FP has the most TP
    first = int(np.argmax(tpr >= r))
    j = int(np.searchsorted(fp, fp[first], side="right")) - 1
    return OperatingPoint(
        threshold=float(t.values[j]),
        tpr=float(tpr[j]),
        fpr=float(fp[j] / N),
        precision=float(tp[j] / (tp[j] + fp[j])),
    )


def precision_at_k(y_true, y_score, k: int) -> float:
    """Top-k precision; the tied block at the cut contributes its positive share."""
    t = _table(y_true, y_score)
    n = int(t.pos.sum() + t.neg.sum())
    if type(k) is bool or not isinstance(k, (int, np.integer)) or not 1 <= int(k) <= n:
        raise ValueError("k must be an int in [1, n]")
    k = int(k)
    size = t.pos + t.neg
    before = np.cumsum(size) - size  # samples strictly above each block
    b = int(np.searchsorted(before, k, side="left")) - 1  # last block starting before k
    full_tp = int(t.pos[:b].sum())
    take = k - int(before[b])
    return float((full_tp + take * int(t.pos[b]) / int(size[b])) / k)


def select_model(y_true, scores: Mapping[str, object], recall: float) -> str:
    """Lowest FPR at ``recall``; ties: higher AP, then smallest name."""
    if not scores:
        raise ValueError("empty mapping")
    best_name, best_key = None, None
    for name in sorted(scores):
        key = (operating_point_at_recall(y_true, scores[name], recall).fpr,
               -average_precision(y_true, scores[name]))
        if best_key is None or key < best_key:
            best_name, best_key = name, key
    return best_name
