"""The bar of the prevalence_metrics performance gate: a plain vectorised O(n log n) sweep (one
stable sort, the last row of each tie group, cumulative counts, as scikit-learn's binary curve
computes them), with the statement's input checks. Visible only in the baseline sandbox."""

import numpy as np


def f1_optimal_threshold(y_true, y_score, prevalence):
    y = np.asarray(y_true)
    s = np.asarray(y_score).astype(np.float64)
    if y.ndim != 1 or y.shape != s.shape or y.size == 0 or not np.isin(y, (0, 1)).all():
        raise ValueError("bad labels")
    if np.isnan(s).any() or not 0 < prevalence < 1 or y.all() or not y.any():
        raise ValueError("bad input")
    order = np.argsort(s, kind="mergesort")[::-1]
    s, y = s[order], y[order]
    last = np.r_[np.where(np.diff(s))[0], y.size - 1]
    tps = np.cumsum(y)[last]
    fps = 1 + last - tps
    tpr, fpr = tps / tps[-1], fps / fps[-1]
    flagged = prevalence * tpr + (1 - prevalence) * fpr
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(flagged > 0, prevalence * tpr / flagged, 0.0)
        f1 = np.where(precision + tpr > 0, 2 * precision * tpr / (precision + tpr), 0.0)
    best = int(np.argmax(f1 >= f1.max() * (1 - 1e-12)))
    return float(s[last[best]]), float(f1[best])
