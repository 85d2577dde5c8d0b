"""Per-entity sliding-window features: count, sum, mean and max over ``(t - window, t]``, with
O(1) amortised updates and one code path for batch backfill and online serving (see
README.md). Times and the window are integer milliseconds.

Implementation (b): the classic streaming layout, hardened for accuracy. Each entity keeps a
deque of its window's events, a monotonic deque (values strictly decreasing from oldest to
newest) for the maximum, and a running sum that is *compensated* (Kahan-Babuska / Neumaier):
every addition and every subtraction also accumulates its exact rounding error, so the sum does
not drift over a long stream, and it is reset to an exact 0.0 whenever the window empties.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

_NAN = float("nan")

# slot indices of an entity's state list:
# [event times, event values, sum, compensation, max-deque times, max-deque values]
_T, _V, _S, _C, _MT, _MV = range(6)


class Features(NamedTuple):
    """The features of one entity at one time (an empty window: 0, 0.0, nan, nan)."""

    count: int
    sum: float
    mean: float
    max: float


class FeatureColumns(NamedTuple):
    """The features of every backfilled row, in input row order: ``count`` int64, the others
    float64, each of the input's length."""

    count: np.ndarray
    sum: np.ndarray
    mean: np.ndarray
    max: np.ndarray


def _expire(st: list, cutoff) -> None:
    """Remove the events of ``st`` with time ``<= cutoff``."""
    tq = st[_T]
    if not tq or tq[0] > cutoff:
        return
    if tq[-1] <= cutoff:  # everything has left: an exact reset
        tq.clear()
        st[_V].clear()
        st[_S] = 0.0
        st[_C] = 0.0
        st[_MT].clear()
        st[_MV].clear()
        return
    vq = st[_V]
    s = st[_S]
    c = st[_C]
    while tq[0] <= cutoff:
        tq.popleft()
        x = -vq.popleft()
        u = s + x
        if abs(s) >= abs(x):
            c += (s - u) + x
        else:
            c += (x - u) + s
        s = u
    st[_S] = s
    st[_C] = c
    mt = st[_MT]
    mv = st[_MV]
    while mt[0] <= cutoff:  # the newest event survives, so the max-deque never empties here
        mt.popleft()
        mv.popleft()


def _read(st: list) -> tuple:
    """``(count, sum, max)`` of the state; ``(0, 0.0, nan)`` when empty."""
    n = len(st[_T])
    if n == 0:
        return 0, 0.0, _NAN
    return n, st[_S] + st[_C], st[_MV][0]


class SlidingWindowFeatures:
    """count, sum, mean and max of each entity's values over ``(t - window, t]``.

    Args:
        window: the window length, a positive int (milliseconds).

    Raises:
        ValueError: ``window`` is not a positive int (a bool is not).
    """

    def __init__(self, window: int) -> None:
        if (
            isinstance(window, (bool, np.bool_))
            or not isinstance(window, (int, np.integer))
            or window <= 0
        ):
            raise ValueError(f"window must be a positive int (not a bool), got {window!r}")
        self._w = int(window)
        self._state: dict = {}
        self._clock: dict = {}  # latest time given per entity, by any of the three calls

    @property
    def window(self) -> int:
        """The window length (ms)."""
        return self._w

    def _step(self, entity, t, v: float) -> tuple:
        """The single event-processing path used by both ``update`` and ``backfill``: expire,
        push ``(t, v)``, read ``(count, sum, max)`` (the logic of ``_expire`` and ``_read``
        inlined, for speed)."""
        self._clock[entity] = t
        st = self._state.get(entity)
        if st is None:
            self._state[entity] = [deque((t,)), deque((v,)), v, 0.0, deque((t,)), deque((v,))]
            return 1, v, v
        tq, vq, s, c, mt, mv = st
        cutoff = t - self._w
        if tq and tq[0] <= cutoff:
            if tq[-1] <= cutoff:  # everything has left: an exact reset
                tq.clear()
                vq.clear()
                mt.clear()
                mv.clear()
                s = 0.0
                c = 0.0
            else:
                while tq[0] <= cutoff:
                    tq.popleft()
                    x = -vq.popleft()
                    u = s + x
                    if abs(s) >= abs(x):
                        c += (s - u) + x
                    else:
                        c += (x - u) + s
                    s = u
                while mt[0] <= cutoff:
                    mt.popleft()
                    mv.popleft()
        # push
        tq.append(t)
        vq.append(v)
        u = s + v
        if abs(s) >= abs(v):
            c += (s - u) + v
        else:
            c += (v - u) + s
        st[_S] = u
        st[_C] = c
        while mv and mv[-1] <= v:
            mv.pop()
            mt.pop()
        mt.append(t)
        mv.append(v)
        return len(tq), u + c, mv[0]

    def _guard(self, entity, t) -> None:
        last = self._clock.get(entity)
        if last is not None and t < last:
            raise ValueError(f"entity {entity!r}: time {t!r} is before its latest time {last!r}")

    def update(self, entity: int, t: int, value: float) -> Features:
        """Add the event ``(t, value)`` of ``entity``; return its features at ``t``, this event
        and every earlier one still in the window included.

        Raises:
            ValueError: ``t`` is before the latest time given for ``entity``.
        """
        self._guard(entity, t)
        n, s, m = self._step(entity, t, float(value))
        return Features(n, s, s / n, m)

    def query(self, entity: int, t: int) -> Features:
        """The features of ``entity`` at ``t``, adding nothing (empty for an unknown entity).

        Raises:
            ValueError: ``t`` is before the latest time given for ``entity``.
        """
        self._guard(entity, t)
        self._clock[entity] = t
        st = self._state.get(entity)
        if st is None:
            return Features(0, 0.0, _NAN, _NAN)
        _expire(st, t - self._w)
        n, s, m = _read(st)
        if n == 0:
            return Features(0, 0.0, _NAN, _NAN)
        return Features(n, s, s / n, m)

    def backfill(
        self, entities: Sequence[int], times: Sequence[int], values: Sequence[float]
    ) -> FeatureColumns:
        """Process the rows as ``update`` would, in time order (equal times in input order);
        return each row's features in input row order. The instance keeps the state.

        Raises:
            ValueError: the sequences differ in length, or a row's time is before the latest
                time already given for its entity.
        """
        n = len(entities)
        if n != len(times) or n != len(values):
            raise ValueError("entities, times and values must have the same length")
        ent = np.asarray(entities).tolist()
        tim = np.asarray(times).tolist()
        val = [float(x) for x in (values.tolist() if isinstance(values, np.ndarray) else values)]
        # time order, equal times in input order (a stable sort of the row indices)
        order = sorted(range(n), key=tim.__getitem__)

        # the earliest row of each entity must not be before its latest known time
        clock = self._clock
        seen = set()
        for i in order:
            e = ent[i]
            if e in seen:
                continue
            seen.add(e)
            last = clock.get(e)
            if last is not None and tim[i] < last:
                raise ValueError(
                    f"entity {e!r}: time {tim[i]!r} is before its latest time {last!r}"
                )

        count = np.empty(n, dtype=np.int64)
        total = np.empty(n, dtype=np.float64)
        mean = np.empty(n, dtype=np.float64)
        mx = np.empty(n, dtype=np.float64)
        step = self._step
        rows = [step(ent[i], tim[i], val[i]) for i in order]
        idx = np.asarray(order, dtype=np.intp)
        if n:
            cs, ss, ms = zip(*rows)
            c_arr = np.array(cs, dtype=np.int64)
            s_arr = np.array(ss, dtype=np.float64)
            count[idx] = c_arr
            total[idx] = s_arr
            mean[idx] = s_arr / c_arr  # correctly rounded, as update's ``s / n``
            mx[idx] = np.array(ms, dtype=np.float64)
        return FeatureColumns(count, total, mean, mx)
