"""Per-entity sliding-window features (count, sum, mean, max over ``(t - window, t]``) with
O(1) amortised updates, one code path for batch backfill and online serving: the reference.

Each entity keeps the events of its window in a deque (evicted from the front as time moves
on), a running sum, and a monotonic deque of candidate maxima (the "sliding window maximum" of
Lemire, "Streaming maximum-minimum filter using no more than three comparisons per element",
2006): values are appended at the back after popping every smaller-or-equal one, so the front
is the window's maximum, and each value is pushed and popped at most once.

``backfill`` replays the history through the very ``_update`` that serves online traffic, in
time order, so training features equal serving features bit for bit (no train/serve skew: the
lesson of Feast's and Tecton's "same transformation for offline and online" design).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class Features(NamedTuple):
    """The features of one entity at one time."""

    count: int
    sum: float
    mean: float
    max: float


class FeatureColumns(NamedTuple):
    """The features of every backfilled event, in input row order."""

    count: np.ndarray  # int64
    sum: np.ndarray  # float64
    mean: np.ndarray  # float64
    max: np.ndarray  # float64


EMPTY = Features(0, 0.0, math.nan, math.nan)


class _State:
    __slots__ = ("times", "values", "max_t", "max_v", "total", "clock")

    def __init__(self) -> None:
        self.times: deque[int] = deque()
        self.values: deque[float] = deque()
        self.max_t: deque[int] = deque()  # monotonic deque: times of the candidate maxima
        self.max_v: deque[float] = deque()  # and their values, non-increasing front to back
        self.total = 0.0
        self.clock = -math.inf  # the latest time seen for this entity


class SlidingWindowFeatures:
    """count, sum, mean and max of each entity's values over ``(t - window, t]``."""

    def __init__(self, window: int) -> None:
        if isinstance(window, bool) or not isinstance(window, int) or window <= 0:
            raise ValueError(f"window must be a positive int (ms), got {window!r}")
        self._window = window
        self._states: dict[int, _State] = {}

    @property
    def window(self) -> int:
        return self._window

    def update(self, entity: int, t: int, value: float) -> Features:
        """Add an event; return the entity's features at ``t``, the event included."""
        state = self._states.get(entity)
        if state is None:
            state = self._states[entity] = _State()
        if t < state.clock:
            raise ValueError(f"entity {entity}: t={t} is before its latest time {state.clock}")
        return self._update(state, t, float(value))

    def query(self, entity: int, t: int) -> Features:
        """The entity's features at ``t`` (no event added)."""
        state = self._states.get(entity)
        if state is None:
            return EMPTY
        if t < state.clock:
            raise ValueError(f"entity {entity}: t={t} is before its latest time {state.clock}")
        self._evict(state, t)
        state.clock = t
        n = len(state.times)
        if n == 0:
            return EMPTY
        return Features(n, state.total, state.total / n, state.max_v[0])

    def backfill(
        self, entities: Sequence[int], times: Sequence[int], values: Sequence[float]
    ) -> FeatureColumns:
        """Replay a history through ``update`` in time order (ties in input order); return each
        event's features in input row order. The instance keeps the resulting state."""
        n = len(entities)
        if len(times) != n or len(values) != n:
            raise ValueError(
                f"entities, times and values must have one length, got {n}, {len(times)}, "
                f"{len(values)}"
            )
        ent = np.asarray(entities, dtype=np.int64)
        ts = np.asarray(times, dtype=np.int64)
        vals = np.asarray(values, dtype=np.float64)
        order = np.argsort(ts, kind="stable")
        if n and self._states:  # time may not go back for entities with state
            first = {}
            for e, t in zip(ent[order].tolist(), ts[order].tolist(), strict=True):
                first.setdefault(e, t)
            for e, t in first.items():
                state = self._states.get(e)
                if state is not None and t < state.clock:
                    raise ValueError(f"entity {e}: t={t} is before its latest time {state.clock}")
        count = np.empty(n, dtype=np.int64)
        total = np.empty(n, dtype=np.float64)
        mean = np.empty(n, dtype=np.float64)
        maximum = np.empty(n, dtype=np.float64)
        states = self._states
        update = self._update
        for i, e, t, v in zip(
            order.tolist(), ent[order].tolist(), ts[order].tolist(), vals[order].tolist(),
            strict=True,
        ):  # fmt: skip
            state = states.get(e)
            if state is None:
                state = states[e] = _State()
            count[i], total[i], mean[i], maximum[i] = update(state, t, v)
        return FeatureColumns(count, total, mean, maximum)

    # -- the one code path ------------------------------------------------------------------

    def _evict(self, state: _State, t: int) -> None:
        edge = t - self._window  # events at or before the edge have left (t - window, t]
        times = state.times
        if times and times[0] <= edge:
            values = state.values
            while times and times[0] <= edge:
                times.popleft()
                state.total -= values.popleft()
            if not times:
                state.total = 0.0  # no rounding residue in an empty window
            max_t = state.max_t
            while max_t and max_t[0] <= edge:
                max_t.popleft()
                state.max_v.popleft()

    def _update(self, state: _State, t: int, v: float) -> Features:
        self._evict(state, t)
        state.clock = t
        state.times.append(t)
        state.values.append(v)
        state.total += v
        max_t, max_v = state.max_t, state.max_v
        while max_v and max_v[-1] <= v:
            max_v.pop()
            max_t.pop()
        max_t.append(t)
        max_v.append(v)
        n = len(state.times)
        return Features(n, state.total, state.total / n, max_v[0])
