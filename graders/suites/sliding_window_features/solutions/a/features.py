"""Per-entity sliding-window features: count, sum, mean and max over ``(t - window, t]``, with
O(1) amortised updates and one code path for batch backfill and online serving (see
README.md). Times and the window are integer milliseconds.

Implementation (a): the "two-stack" sliding-window aggregation. Each entity's window is split
into a *front* stack (the older events, stored with precomputed suffix sums and suffix maxima,
oldest on top) and a *back* list (the newer events, with a running sum and running maximum).
Evicting pops the front; when the front runs dry the live part of the back is flipped onto it,
in O(k) for k events, so every event is pushed and popped a constant number of times. Every
partial aggregate is computed from events that are still in the window only, so the float error
of ``sum`` never carries over from events that have left, and ``max`` is exact.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

_NAN = float("nan")
_NEG_INF = float("-inf")


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


class _Window:
    """Two-stack state of one entity's window.

    ``ft``/``fs``/``fm``: front times, suffix sums and suffix maxima, the oldest event last
    (``fs[-1]``/``fm[-1]`` aggregate the whole front). ``bt``/``bv``: back times and values in
    arrival order; ``bs``/``bm`` their running sum and maximum.
    """

    __slots__ = ("ft", "fs", "fm", "bt", "bv", "bs", "bm")

    def __init__(self) -> None:
        self.ft: list = []
        self.fs: list = []
        self.fm: list = []
        self.bt: list = []
        self.bv: list = []
        self.bs = 0.0
        self.bm = _NEG_INF

    def evict(self, cutoff: int) -> None:
        """Drop every event with time ``<= cutoff``."""
        ft = self.ft
        if ft:
            if ft[-1] > cutoff:
                return
            fs = self.fs
            fm = self.fm
            while ft and ft[-1] <= cutoff:
                ft.pop()
                fs.pop()
                fm.pop()
            if ft:
                return
        bt = self.bt
        if not bt or bt[0] > cutoff:
            return
        # the front is empty and the back holds expired events: flip its live part
        bv = self.bv
        j = bisect_right(bt, cutoff)
        n = len(bt)
        if j < n:
            fs = self.fs
            fm = self.fm
            i = n - 1
            s = bv[i]
            m = s
            ft.append(bt[i])
            fs.append(s)
            fm.append(m)
            i -= 1
            while i >= j:
                v = bv[i]
                s = s + v
                if v > m:
                    m = v
                ft.append(bt[i])
                fs.append(s)
                fm.append(m)
                i -= 1
        self.bt = []
        self.bv = []
        self.bs = 0.0
        self.bm = _NEG_INF

    def push(self, t: int, v: float) -> None:
        bt = self.bt
        if bt:
            self.bs = self.bs + v
            if v > self.bm:
                self.bm = v
        else:
            self.bs = v
            self.bm = v
        bt.append(t)
        self.bv.append(v)

    def aggregate(self) -> tuple[int, float, float]:
        """``(count, sum, max)``; ``(0, 0.0, nan)`` when empty."""
        nf = len(self.ft)
        nb = len(self.bt)
        if nf:
            if nb:
                fm = self.fm[-1]
                bm = self.bm
                return nf + nb, self.fs[-1] + self.bs, (bm if bm > fm else fm)
            return nf, self.fs[-1], self.fm[-1]
        if nb:
            return nb, self.bs, self.bm
        return 0, 0.0, _NAN


def _features(agg: tuple[int, float, float]) -> Features:
    c, s, m = agg
    if c:
        return Features(c, s, s / c, m)
    return Features(0, 0.0, _NAN, _NAN)


def _check_window(window) -> int:
    if isinstance(window, (bool, np.bool_)) or not isinstance(window, (int, np.integer)):
        raise ValueError(f"window must be a positive int, got {window!r}")
    if window <= 0:
        raise ValueError(f"window must be a positive int, got {window!r}")
    return int(window)


class SlidingWindowFeatures:
    """count, sum, mean and max of each entity's values over ``(t - window, t]``.

    Args:
        window: the window length, a positive int (milliseconds).

    Raises:
        ValueError: ``window`` is not a positive int (a bool is not).
    """

    def __init__(self, window: int) -> None:
        self._window = _check_window(window)
        self._states: dict = {}  # entity -> _Window (entities that have had events)
        self._latest: dict = {}  # entity -> latest time given by update / query / backfill

    @property
    def window(self) -> int:
        """The window length (ms)."""
        return self._window

    # --- the one code path shared by update and backfill -------------------------------------
    def _add(self, entity, t, v) -> tuple[int, float, float]:
        st = self._states.get(entity)
        if st is None:
            st = self._states[entity] = _Window()
        else:
            st.evict(t - self._window)
        st.push(t, v)
        self._latest[entity] = t
        return st.aggregate()

    def _check_time(self, entity, t) -> None:
        last = self._latest.get(entity)
        if last is not None and t < last:
            raise ValueError(
                f"time goes back for entity {entity!r}: {t!r} < latest time {last!r}"
            )

    # --- public API --------------------------------------------------------------------------
    def update(self, entity: int, t: int, value: float) -> Features:
        """Add the event ``(t, value)`` of ``entity``; return its features at ``t``, this event
        and every earlier one still in the window included.

        Raises:
            ValueError: ``t`` is before the latest time given for ``entity``.
        """
        self._check_time(entity, t)
        return _features(self._add(entity, t, float(value)))

    def query(self, entity: int, t: int) -> Features:
        """The features of ``entity`` at ``t``, adding nothing (empty for an unknown entity).

        Raises:
            ValueError: ``t`` is before the latest time given for ``entity``.
        """
        self._check_time(entity, t)
        self._latest[entity] = t
        st = self._states.get(entity)
        if st is None:
            return Features(0, 0.0, _NAN, _NAN)
        st.evict(t - self._window)
        return _features(st.aggregate())

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
        if len(times) != n or len(values) != n:
            raise ValueError(
                f"backfill sequences differ in length: {n}, {len(times)}, {len(values)}"
            )
        ents = entities.tolist() if isinstance(entities, np.ndarray) else list(entities)
        ts = times.tolist() if isinstance(times, np.ndarray) else list(times)
        vs = np.asarray(values, dtype=np.float64).reshape(-1).tolist()
        if n:
            order = np.argsort(np.asarray(ts), kind="stable").tolist()
        else:
            order = []

        # validate everything before changing anything (R5)
        latest = self._latest
        first: dict = {}
        for i in order:
            e = ents[i]
            if e not in first:
                first[e] = ts[i]
        for e, t in first.items():
            last = latest.get(e)
            if last is not None and t < last:
                raise ValueError(
                    f"time goes back for entity {e!r}: {t!r} < latest time {last!r}"
                )

        cnt = [0] * n
        sm = [0.0] * n
        mx = [0.0] * n
        add = self._add
        for i in order:
            c, s, m = add(ents[i], ts[i], vs[i])
            cnt[i] = c
            sm[i] = s
            mx[i] = m
        count = np.array(cnt, dtype=np.int64)
        total = np.array(sm, dtype=np.float64)
        # IEEE division is correctly rounded: identical to update's ``s / c``; count >= 1 here
        mean = total / count if n else np.zeros(0, dtype=np.float64)
        return FeatureColumns(count, total, mean, np.array(mx, dtype=np.float64))
