"""Style B: per-class sorted score arrays and np.searchsorted to count flags at every distinct
threshold; F1 from re-weighted confusion counts, 2 TP' / (2 TP' + FP' + FN')."""

from __future__ import annotations

import math
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


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


class _Sample:
    """Validated inputs: the scores of each class, sorted ascending."""

    def __init__(self, y_true, y_score, prevalence):
        labels = np.array(y_true)
        scores = np.array(y_score)
        if labels.ndim != 1 or scores.ndim != 1 or len(labels) != len(scores) or len(labels) == 0:
            raise ValueError("y_true and y_score must be non-empty 1-D arrays of one length")
        if labels.dtype.kind not in "biuf":
            raise ValueError("labels must be 0/1")
        is_one, is_zero = labels == 1, labels == 0
        if not (is_one | is_zero).all():
            raise ValueError("labels must be 0/1")
        if scores.dtype.kind == "b":
            scores = scores.astype(np.int64)
        if scores.dtype.kind not in "iuf":
            raise ValueError("scores must be integer or floating")
        if scores.dtype.kind == "f" and np.isnan(scores).any():
            raise ValueError("NaN score")
        if not _is_number(prevalence) or not 0 < prevalence < 1:
            raise ValueError("prevalence must be a number in (0, 1)")
        self.pi = float(prevalence)
        self.pos_scores = np.sort(scores[is_one])
        self.neg_scores = np.sort(scores[is_zero])
        if self.pos_scores.size == 0 or self.neg_scores.size == 0:
            raise ValueError("y_true must hold both classes")
        self.scores = scores

    def flagged(self, thresholds):
        """(positives flagged, negatives flagged) for each threshold: score >= t."""
        tp = self.pos_scores.size - np.searchsorted(self.pos_scores, thresholds, side="left")
        fp = self.neg_scores.size - np.searchsorted(self.neg_scores, thresholds, side="left")
        return tp, fp

    def f1(self, recall, fpr):
        """Production F1 from the re-weighted confusion matrix (0 where nothing is right)."""
        tp_w = self.pi * recall
        fp_w = (1.0 - self.pi) * fpr
        fn_w = self.pi * (1.0 - recall)
        denom = 2.0 * tp_w + fp_w + fn_w  # >= pi * (1 + recall) > 0
        return 2.0 * tp_w / denom


def production_metrics(y_true, y_score, threshold: float, prevalence: float) -> Rates:
    """Metrics of the rule ``score >= threshold`` at the production prevalence."""
    smp = _Sample(y_true, y_score, prevalence)
    if not _is_number(threshold) and not isinstance(threshold, np.ndarray):
        raise ValueError("threshold must be a number")
    if isinstance(threshold, np.ndarray) and threshold.ndim != 0:
        raise ValueError("threshold must be a scalar")
    t = threshold.item() if isinstance(threshold, np.ndarray) else threshold
    if isinstance(t, float) and math.isnan(t) or isinstance(t, np.floating) and np.isnan(t):
        raise ValueError("threshold is NaN")
    tp = int(np.count_nonzero(smp.pos_scores >= t))
    fp = int(np.count_nonzero(smp.neg_scores >= t))
    recall = tp / smp.pos_scores.size
    fpr = fp / smp.neg_scores.size
    if tp == 0:
        return Rates(0.0, recall, 0.0, fpr)
    precision = smp.pi * recall / (smp.pi * recall + (1.0 - smp.pi) * fpr)
    f1 = 2.0 * precision * recall / (precision + recall)
    return Rates(float(precision), float(recall), float(f1), float(fpr))


def f1_optimal_threshold(y_true, y_score, prevalence: float) -> Optimum:
    """Highest distinct score among those whose production F1 is maximal (rel. 1e-12)."""
    smp = _Sample(y_true, y_score, prevalence)
    candidates = np.unique(smp.scores)  # ascending
    tp, fp = smp.flagged(candidates)
    f1 = smp.f1(tp / smp.pos_scores.size, fp / smp.neg_scores.size)
    top = f1.max()
    near = np.flatnonzero(np.abs(f1 - top) <= 1e-12 * top)
    j = int(near[-1])  # ascending candidates: the last one is the highest threshold
    return Optimum(float(candidates[j]), float(f1[j]))
