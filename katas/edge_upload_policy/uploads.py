"""On-device upload selection under a per-window byte budget, and the p99 deadline check of
cloud versus edge inference.

Fill in the two functions below with numpy. Read README.md first: it states the window rule,
the objective, the percentile definition, the errors to raise and the performance target.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class DeadlineReport(NamedTuple):
    """Tail latency and deadline-miss rates of the two placements, and the recommendation."""

    cloud_p99_ms: float
    edge_p99_ms: float
    cloud_miss_rate: float
    edge_miss_rate: float
    placement: str  # "cloud", "edge" or "none"


def choose_uploads(timestamps_ms, sizes, levels, window_ms: int, budget_bytes: int) -> np.ndarray:
    """Choose the events to upload, window by window.

    Args:
        timestamps_ms: 1-D int array (n,), event times in ms, any order.
        sizes: 1-D int array (n,), bytes, each > 0.
        levels: 1-D int array (n,), priority levels 0..7 (7 most important).
        window_ms: window length (>= 1); window k holds k*window_ms <= t < (k+1)*window_ms.
        budget_bytes: bytes allowed per window (>= 0).

    Returns:
        Boolean mask (n,) of one set that, in every window, fits the budget and maximises the
        count of level-7 events, then of level 6, ..., then of level 0.

    Raises:
        ValueError: see README.md.
    """
    raise NotImplementedError


def deadline_report(cloud_latency_ms, edge_latency_ms, deadline_ms: float) -> DeadlineReport:
    """Nearest-rank p99 and deadline-miss rate (latency > deadline) of each placement.

    NaN latencies are lost responses (+inf). The placement is "cloud" if the cloud's p99 meets
    the deadline, else "edge" if the edge's does, else "none".

    Raises:
        ValueError: empty or non-1-D trace, negative latency, deadline not positive and finite.
    """
    raise NotImplementedError
