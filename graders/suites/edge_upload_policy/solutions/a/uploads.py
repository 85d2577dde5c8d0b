"""Style A: one global lexsort (window, -level, size), then a loop over the 8 levels with
per-group prefix sums built from segment starts and np.bincount for the budget spent."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np


class DeadlineReport(NamedTuple):
    """Tail latency and deadline-miss rates of the two placements, and the recommendation."""

    cloud_p99_ms: float
    edge_p99_ms: float
    cloud_miss_rate: float
    edge_miss_rate: float
    placement: str  # "cloud", "edge" or "none"


def _int_array(x, name):
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D")
    if arr.dtype.kind not in "iu":
        if arr.size == 0 and arr.dtype.kind == "f":
            return arr.astype(np.int64)
        raise ValueError(f"{name} must be an integer array")
    return arr


def _is_int(v):
    return isinstance(v, Integral) and not isinstance(v, (bool, np.bool_))


def choose_uploads(timestamps_ms, sizes, levels, window_ms: int, budget_bytes: int) -> np.ndarray:
    """Choose the events to upload, window by window (see README.md)."""
    t = _int_array(timestamps_ms, "timestamps_ms")
    s = _int_array(sizes, "sizes")
    lv = _int_array(levels, "levels")
    if not (t.shape == s.shape == lv.shape):
        raise ValueError("arrays must have one length")
    if not _is_int(window_ms) or not _is_int(budget_bytes):
        raise ValueError("window_ms and budget_bytes must be ints")
    window_ms = int(window_ms)
    budget_bytes = int(budget_bytes)
    if window_ms < 1 or budget_bytes < 0:
        raise ValueError("window_ms must be >= 1 and budget_bytes >= 0")
    n = t.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    if (s <= 0).any():
        raise ValueError("sizes must be positive")
    if (lv < 0).any() or (lv > 7).any():
        raise ValueError("levels must be in 0..7")

    # window index (floor division, correct for negative times), compacted to 0..W-1
    win = np.floor_divide(t, window_ms)
    _, wid = np.unique(win, return_inverse=True)
    wid = wid.reshape(-1).astype(np.int64)
    n_win = int(wid.max()) + 1
    lv64 = lv.astype(np.int64)
    # a size above the budget can never be taken: clipping keeps cumsums small
    sz = np.minimum(s, budget_bytes + 1).astype(np.int64)

    order = np.lexsort((sz, -lv64, wid))  # primary key last
    w_sorted = wid[order]
    l_sorted = lv64[order]
    s_sorted = sz[order]

    # segments of equal (window, level) in sorted order
    new_seg = np.empty(n, dtype=bool)
    new_seg[0] = True
    new_seg[1:] = (w_sorted[1:] != w_sorted[:-1]) | (l_sorted[1:] != l_sorted[:-1])
    csum = np.cumsum(s_sorted)
    seg_start = np.flatnonzero(new_seg)
    seg_id = np.cumsum(new_seg) - 1
    before = csum[seg_start] - s_sorted[seg_start]  # cumsum before each segment
    prefix = csum - before[seg_id]  # within-segment inclusive prefix sums

    remaining = np.full(n_win, budget_bytes, dtype=np.int64)
    take_sorted = np.zeros(n, dtype=bool)
    for level in range(7, -1, -1):
        sel = np.flatnonzero(l_sorted == level)
        if sel.size == 0:
            continue
        w = w_sorted[sel]
        ok = prefix[sel] <= remaining[w]
        take_sorted[sel] = ok
        # taken items of a window form a prefix of its segment: the last one holds the spend
        last = ok.copy()
        last[:-1] &= ~ok[1:] | (w[1:] != w[:-1])
        remaining[w[last]] -= prefix[sel][last]

    mask = np.zeros(n, dtype=bool)
    mask[order] = take_sorted
    return mask


def _trace(x, name):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array")
    if (arr < 0).any():  # NaN compares False
        raise ValueError(f"{name} has a negative latency")
    return np.where(np.isnan(arr), np.inf, arr)


def _p99_and_miss(arr, deadline):
    n = arr.shape[0]
    rank = -(-99 * n // 100)  # ceil(0.99 n), exact integer arithmetic
    p99 = float(np.partition(arr, rank - 1)[rank - 1])
    miss = float(np.count_nonzero(arr > deadline) / n)
    return p99, miss


def deadline_report(cloud_latency_ms, edge_latency_ms, deadline_ms: float) -> DeadlineReport:
    """Nearest-rank p99 and deadline-miss rate of each placement, and the placement."""
    if isinstance(deadline_ms, (bool, np.bool_)) or not isinstance(deadline_ms, Real):
        raise ValueError("deadline_ms must be a number")
    deadline = float(deadline_ms)
    if not (math.isfinite(deadline) and deadline > 0):
        raise ValueError("deadline_ms must be positive and finite")
    cloud = _trace(cloud_latency_ms, "cloud_latency_ms")
    edge = _trace(edge_latency_ms, "edge_latency_ms")
    c_p99, c_miss = _p99_and_miss(cloud, deadline)
    e_p99, e_miss = _p99_and_miss(edge, deadline)
    if c_p99 <= deadline:
        placement = "cloud"
    elif e_p99 <= deadline:
        placement = "edge"
    else:
        placement = "none"
    return DeadlineReport(c_p99, e_p99, c_miss, e_miss, placement)
