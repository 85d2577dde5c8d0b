"""Style B: sort once by a single packed int64 key (window rank, 7 - level, size rank) and,
per level, find how many of each group fit with np.searchsorted on the global cumulative sum."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class DeadlineReport(NamedTuple):
    """Tail latency and deadline-miss rates of the two placements, and the recommendation."""

    cloud_p99_ms: float
    edge_p99_ms: float
    cloud_miss_rate: float
    edge_miss_rate: float
    placement: str  # "cloud", "edge" or "none"


def _check_int_scalar(value, name):
    if type(value) is bool or isinstance(value, np.bool_):
        raise ValueError(f"{name} must be an int")
    if not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int")
    return int(value)


def _as_1d_int(x, name):
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array")
    if np.issubdtype(arr.dtype, np.integer):
        return arr
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    raise ValueError(f"{name}: expected integers, got {arr.dtype}")


def choose_uploads(timestamps_ms, sizes, levels, window_ms: int, budget_bytes: int) -> np.ndarray:
    """Choose the events to upload, window by window (see README.md)."""
    ts = _as_1d_int(timestamps_ms, "timestamps_ms")
    sz = _as_1d_int(sizes, "sizes")
    lv = _as_1d_int(levels, "levels")
    if len(ts) != len(sz) or len(sz) != len(lv):
        raise ValueError("timestamps_ms, sizes and levels must have one length")
    window_ms = _check_int_scalar(window_ms, "window_ms")
    budget = _check_int_scalar(budget_bytes, "budget_bytes")
    if window_ms < 1:
        raise ValueError("window_ms must be >= 1")
    if budget < 0:
        raise ValueError("budget_bytes must be >= 0")
    n = len(ts)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if sz.min() <= 0:
        raise ValueError("sizes must be > 0")
    if lv.min() < 0 or lv.max() > 7:
        raise ValueError("levels must lie in 0..7")

    # python-int floor division semantics for negative times
    win = ts // window_ms
    uniq_w, wrank = np.unique(win, return_inverse=True)
    wrank = wrank.reshape(-1).astype(np.int64)
    n_win = len(uniq_w)
    size64 = np.minimum(sz, budget + 1).astype(np.int64)  # > budget never fits
    uniq_s, srank = np.unique(size64, return_inverse=True)
    srank = srank.reshape(-1).astype(np.int64)
    n_sz = len(uniq_s)
    inv_level = 7 - lv.astype(np.int64)
    # packed key: window major, then level (high first), then size (small first)
    key = (wrank * 8 + inv_level) * n_sz + srank
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    size_sorted = size64[order]
    csum = np.cumsum(size_sorted)  # strictly increasing (sizes > 0)
    # group (window, level) boundaries
    group_code = key_sorted // n_sz  # = window * 8 + inv_level
    starts_of = np.searchsorted(group_code, np.arange(n_win * 8), side="left")
    ends_of = np.searchsorted(group_code, np.arange(n_win * 8), side="right")
    starts_of = starts_of.reshape(n_win, 8)
    ends_of = ends_of.reshape(n_win, 8)
    base = np.where(starts_of > 0, csum[np.maximum(starts_of - 1, 0)], 0)

    remaining = np.full(n_win, budget, dtype=np.int64)
    take_upto = np.empty((n_win, 8), dtype=np.int64)  # exclusive end of taken prefix
    for col in range(8):  # col 0 = level 7
        s0 = starts_of[:, col]
        e0 = ends_of[:, col]
        limit = base[:, col] + remaining
        stop = np.searchsorted(csum, limit, side="right")
        stop = np.clip(stop, s0, e0)
        take_upto[:, col] = stop
        spent = np.where(stop > s0, csum[np.maximum(stop - 1, 0)] - base[:, col], 0)
        remaining -= spent

    # mark taken ranges with a difference array
    diff = np.bincount(starts_of.ravel(), minlength=n + 1) - np.bincount(
        take_upto.ravel(), minlength=n + 1
    )
    taken_sorted = np.cumsum(diff[:n]) > 0
    mask = np.empty(n, dtype=bool)
    mask[order] = taken_sorted
    return mask


def _prepare(trace, name):
    arr = np.asarray(trace)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D trace")
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not numeric") from exc
    lost = np.isnan(arr)
    if np.any(arr[~lost] < 0):
        raise ValueError(f"{name}: negative latency")
    arr[lost] = np.inf
    return arr


def deadline_report(cloud_latency_ms, edge_latency_ms, deadline_ms: float) -> DeadlineReport:
    """Nearest-rank p99 and deadline-miss rate of each placement, and the placement."""
    if type(deadline_ms) is bool or isinstance(deadline_ms, np.bool_):
        raise ValueError("deadline_ms must be a number")
    try:
        d = float(deadline_ms)
    except (TypeError, ValueError) as exc:
        raise ValueError("deadline_ms must be a number") from exc
    if isinstance(deadline_ms, (str, bytes)) or not math.isfinite(d) or d <= 0:
        raise ValueError("deadline_ms must be positive and finite")

    stats = []
    for name, trace in (("cloud", cloud_latency_ms), ("edge", edge_latency_ms)):
        arr = np.sort(_prepare(trace, name))
        n = arr.shape[0]
        k = -(-99 * n // 100)  # ceil(0.99 n) in exact integer arithmetic
        p99 = float(arr[k - 1])
        # sorted: the misses are the tail past the last value <= deadline
        misses = n - int(np.searchsorted(arr, d, side="right"))
        stats.append((p99, misses / n))
    (c_p99, c_miss), (e_p99, e_miss) = stats
    placement = "cloud" if c_p99 <= d else ("edge" if e_p99 <= d else "none")
    return DeadlineReport(float(c_p99), float(e_p99), float(c_miss), float(e_miss), placement)
