# kills: test_correctness.py::test_placement_uses_p99
"""Mutant: chooses the placement by mean latency (the p99 is reported but not used)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

MAX_LEVEL = 7


class DeadlineReport(NamedTuple):
    """Tail latency and deadline-miss rates of the two placements, and the recommendation."""

    cloud_p99_ms: float
    edge_p99_ms: float
    cloud_miss_rate: float
    edge_miss_rate: float
    placement: str  # "cloud", "edge" or "none"


def _int_1d(values, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must be a 1-D integer array, got {arr.dtype} {arr.shape}")
    return arr.astype(np.int64, copy=False)


def choose_uploads(timestamps_ms, sizes, levels, window_ms: int, budget_bytes: int) -> np.ndarray:
    """Boolean mask of the events to upload (see the module docstring for the objective)."""
    t = _int_1d(timestamps_ms, "timestamps_ms")
    size = _int_1d(sizes, "sizes")
    level = _int_1d(levels, "levels")
    if not (t.shape == size.shape == level.shape):
        raise ValueError("timestamps_ms, sizes and levels must have one length")
    for name, value, low in (("window_ms", window_ms, 1), ("budget_bytes", budget_bytes, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if size.size and size.min() <= 0:
        raise ValueError("sizes must be positive")
    if level.size and (level.min() < 0 or level.max() > MAX_LEVEL):
        raise ValueError(f"levels must lie in [0, {MAX_LEVEL}]")
    n = t.shape[0]
    chosen = np.zeros(n, dtype=bool)
    if n == 0:
        return chosen
    window = np.floor_divide(t, int(window_ms))
    order = np.lexsort((size, -level, window))  # window, then level descending, size ascending
    w_sorted, l_sorted, s_sorted = window[order], level[order], size[order]
    group = np.cumsum(np.r_[False, w_sorted[1:] != w_sorted[:-1]])  # window number, 0..G-1
    remaining = np.full(int(group[-1]) + 1, int(budget_bytes), dtype=np.int64)
    for lvl in np.unique(l_sorted)[::-1]:
        pos = np.flatnonzero(l_sorted == lvl)  # one run per window, sizes ascending
        g, s = group[pos], s_sorted[pos]
        csum = np.cumsum(s)
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        before = np.repeat(csum[starts] - s[starts], np.diff(np.r_[starts, g.size]))
        take = (csum - before) <= remaining[g]  # a prefix of each run
        chosen[order[pos[take]]] = True
        remaining -= np.bincount(g[take], weights=s[take], minlength=remaining.size).astype(
            np.int64
        )
    return chosen


def _p99_and_misses(latency, deadline: float, name: str) -> tuple[float, float]:
    lat = np.asarray(latency, dtype=np.float64)
    if lat.ndim != 1 or lat.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array")
    lat = np.where(np.isnan(lat), np.inf, lat)  # a lost response never arrives
    if (lat < 0).any():
        raise ValueError(f"{name} holds a negative latency")
    rank = math.ceil(0.99 * lat.size)  # nearest rank, 1-based
    p99 = float(np.partition(lat, rank - 1)[rank - 1])
    return p99, float(np.count_nonzero(lat > deadline) / lat.size)


def deadline_report(cloud_latency_ms, edge_latency_ms, deadline_ms: float) -> DeadlineReport:
    """p99 latency and miss rate (latency > deadline) of each placement; the placement is
    "cloud" if its p99 meets the deadline, else "edge" if its p99 does, else "none"."""
    if isinstance(deadline_ms, bool) or not isinstance(deadline_ms, (int, float)):
        raise ValueError(f"deadline_ms must be a number, got {deadline_ms!r}")
    if not deadline_ms > 0 or math.isinf(deadline_ms):
        raise ValueError(f"deadline_ms must be positive and finite, got {deadline_ms!r}")
    cloud_p99, cloud_miss = _p99_and_misses(cloud_latency_ms, deadline_ms, "cloud_latency_ms")
    edge_p99, edge_miss = _p99_and_misses(edge_latency_ms, deadline_ms, "edge_latency_ms")
    cloud_mean = float(np.nanmean(np.asarray(cloud_latency_ms, dtype=np.float64)))
    edge_mean = float(np.nanmean(np.asarray(edge_latency_ms, dtype=np.float64)))
    if cloud_mean <= deadline_ms:
        placement = "cloud"
    elif edge_mean <= deadline_ms:
        placement = "edge"
    else:
        placement = "none"
    return DeadlineReport(cloud_p99, edge_p99, cloud_miss, edge_miss, placement)
