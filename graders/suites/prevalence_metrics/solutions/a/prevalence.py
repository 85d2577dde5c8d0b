"""Style A: one descending argsort and cumulative class counts at the end of each block of
equal scores; production precision from prevalence-weighted rates, F1 as 2PR/(P+R)."""

from __future__ import annotations

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


def _check(y_true, y_score, prevalence):
    y = np.asarray(y_true)
    s = np.asarray(y_score)
    if y.ndim != 1 or s.ndim != 1:
        raise ValueError("inputs must be 1-D")
    if y.shape != s.shape:
        raise ValueError("lengths differ")
    if y.size == 0:
        raise ValueError("empty input")
    if y.dtype.kind == "b":
        pos = y.copy()
    elif y.dtype.kind in "iuf":
        pos = y == 1
        if not np.all(pos | (y == 0)):
            raise ValueError("labels must be 0/1")
    else:
        raise ValueError("labels must be 0/1")
    if s.dtype.kind == "b":
        s = s.astype(np.int8)
    elif s.dtype.kind not in "iuf":
        raise ValueError("scores must be real")
    if s.dtype.kind == "f" and np.isnan(s).any():
        raise ValueError("NaN score")
    if isinstance(prevalence, (bool, np.bool_)) or not isinstance(prevalence, numbers.Real):
        raise ValueError("prevalence must be a number")
    pi = float(prevalence)
    if not 0.0 < pi < 1.0:  # NaN fails too
        raise ValueError("prevalence must be in (0, 1)")
    n_pos = int(pos.sum())
    if n_pos == 0 or n_pos == pos.size:
        raise ValueError("y_true needs both classes")
    return pos, s, pi


def _rates(recall, fpr, pi):
    """Production precision and F1 from within-class rates (arrays or floats)."""
    flagged = pi * recall + (1.0 - pi) * fpr
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(recall > 0, pi * recall / np.where(flagged > 0, flagged, 1.0), 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2.0 * precision * recall / np.where(denom > 0, denom, 1.0), 0.0)
    return precision, f1


def production_metrics(y_true, y_score, threshold: float, prevalence: float) -> Rates:
    """Metrics of the rule ``score >= threshold`` on production traffic."""
    pos, s, pi = _check(y_true, y_score, prevalence)
    try:
        thr_nan = bool(np.isnan(threshold))
    except TypeError as exc:
        raise ValueError("threshold must be a number") from exc
    if thr_nan:
        raise ValueError("threshold is NaN")
    flag = s >= threshold
    n_pos = int(pos.sum())
    n_neg = pos.size - n_pos
    recall = int(np.count_nonzero(flag & pos)) / n_pos
    fpr = int(np.count_nonzero(flag & ~pos)) / n_neg
    precision, f1 = _rates(np.float64(recall), np.float64(fpr), pi)
    return Rates(float(precision), float(recall), float(f1), float(fpr))


def f1_optimal_threshold(y_true, y_score, prevalence: float) -> Optimum:
    """The distinct score that, as a threshold, maximises production F1 (ties: highest)."""
    pos, s, pi = _check(y_true, y_score, prevalence)
    order = np.argsort(s, kind="stable")[::-1]
    ss = s[order]
    ps = pos[order]
    ends = np.append(np.flatnonzero(ss[1:] != ss[:-1]), ss.size - 1)
    tp = np.cumsum(ps, dtype=np.int64)[ends]
    fp = ends + 1 - tp
    recall = tp / tp[-1]
    fpr = fp / fp[-1]
    _, f1 = _rates(recall, fpr, pi)
    best = f1.max()
    # thresholds are in decreasing order: the first near-maximal one is the highest
    i = int(np.flatnonzero(f1 >= best - 1e-12 * abs(best))[0])
    return Optimum(float(ss[ends[i]]), float(f1[i]))
