"""The bar of sliding_window_features' performance gate (baseline sandbox only): the plain
O(1)-amortised implementation the statement describes: per entity a deque of the window's
events, a running sum and a monotonic deque for the maximum; backfill sorts the rows by time
and calls update."""

from __future__ import annotations

import math
from collections import deque

import numpy as np


class PlainFeatures:
    def __init__(self, window):
        self.window = window
        self.events = {}  # entity -> deque of (t, v)
        self.maxq = {}  # entity -> deque of (t, v), values non-increasing
        self.sums = {}

    def update(self, entity, t, value):
        ev = self.events.setdefault(entity, deque())
        mq = self.maxq.setdefault(entity, deque())
        s = self.sums.get(entity, 0.0)
        while ev and ev[0][0] <= t - self.window:
            s -= ev.popleft()[1]
        if not ev:
            s = 0.0
        while mq and mq[0][0] <= t - self.window:
            mq.popleft()
        ev.append((t, value))
        s += value
        self.sums[entity] = s
        while mq and mq[-1][1] <= value:
            mq.pop()
        mq.append((t, value))
        n = len(ev)
        return n, s, s / n, mq[0][1]

    def backfill(self, entities, times, values):
        order = np.argsort(times, kind="stable")
        n = len(order)
        count = np.zeros(n, dtype=np.int64)
        total, mean, mx = np.zeros(n), np.full(n, math.nan), np.full(n, math.nan)
        for i in order.tolist():
            count[i], total[i], mean[i], mx[i] = self.update(
                int(entities[i]), int(times[i]), float(values[i])
            )
        return count, total, mean, mx


def make(window):
    """A PlainFeatures (returned by handle)."""
    return PlainFeatures(window)
