"""Event-time windowed aggregation: tumbling, sliding and session windows with watermarks,
allowed lateness, a late side output and de-duplication (see README.md).

Solution (a): window objects, one heap of windows waiting to fire ordered by
``(end, start, key)``, one heap of windows waiting to be dropped ordered by
``end + allowed_lateness``, lazy invalidation for merged sessions, per-key sorted start lists
(bisect) to find the sessions an event touches.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class Fire(NamedTuple):
    """One emitted record: ``kind`` is ``"on_time"``, ``"late"`` or ``"retract"``; the window
    is ``[start, end)`` of ``key``; ``count``, ``total`` and ``maximum`` are its aggregates."""

    kind: str
    key: int
    start: int
    end: int
    count: int
    total: float
    maximum: float


class Late(NamedTuple):
    """An event of the late side output (no window accepted it)."""

    time: int
    key: int
    value: float
    id: int


class Output(NamedTuple):
    """What one call produced: the emitted records and the late events, each in order."""

    fires: list[Fire]
    late: list[Late]


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_param(name, x, *, positive=False, optional=False):
    if x is None:
        if optional:
            return None
        raise ValueError(f"{name} is required")
    if not _is_int(x):
        raise ValueError(f"{name} must be an int, got {x!r}")
    x = int(x)
    if positive and x <= 0:
        raise ValueError(f"{name} must be positive, got {x}")
    if not positive and x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return x


class _Session:
    __slots__ = ("key", "start", "end", "count", "total", "maximum", "fired", "emitted",
                 "alive")

    def __init__(self, key, start, end, count, total, maximum):
        self.key = key
        self.start = start
        self.end = end
        self.count = count
        self.total = total
        self.maximum = maximum
        self.fired = False
        self.emitted = None  # aggregates of the last record emitted for these bounds
        self.alive = True


def _as_list(seq):
    if isinstance(seq, np.ndarray):
        return seq.tolist()
    return list(seq)


class WindowedAggregator:
    """Keyed event-time windows: count, total and maximum of the values per key and window."""

    def __init__(
        self,
        kind: str,
        *,
        size: int | None = None,
        slide: int | None = None,
        gap: int | None = None,
        out_of_orderness: int = 0,
        allowed_lateness: int = 0,
        dedup_horizon: int | None = None,
    ) -> None:
        if not isinstance(kind, str) or kind not in ("tumbling", "sliding", "session"):
            raise ValueError(f"unknown kind {kind!r}")
        if kind == "tumbling":
            if gap is not None:
                raise ValueError("gap is for session windows")
            size = _check_param("size", size, positive=True)
            if slide is not None:
                slide = _check_param("slide", slide, positive=True)
                if slide != size:
                    raise ValueError("tumbling windows take no slide other than size")
            slide = size
        elif kind == "sliding":
            if gap is not None:
                raise ValueError("gap is for session windows")
            size = _check_param("size", size, positive=True)
            slide = _check_param("slide", slide, positive=True)
            if slide > size:
                raise ValueError("slide > size")
        else:
            if size is not None or slide is not None:
                raise ValueError("size / slide are not for session windows")
            gap = _check_param("gap", gap, positive=True)
        self._ooo = _check_param("out_of_orderness", out_of_orderness)
        self._lateness = _check_param("allowed_lateness", allowed_lateness)
        self._horizon = _check_param("dedup_horizon", dedup_horizon, optional=True)
        self._kind = kind
        self._size = size
        self._slide = slide
        self._gap = gap

        self._wm = -math.inf
        self._closed = False
        self._seq = 0
        # tumbling / sliding: (key, start) -> [count, total, maximum, fired]
        self._wins: dict = {}
        # sessions: key -> sorted list of starts; (key, start) -> _Session
        self._starts: dict = {}
        self._sess: dict = {}
        # fire heap: (end, start, key, seq, obj-or-None); drop heap: (end + L, seq, ref)
        self._fire_heap: list = []
        self._drop_heap: list = []
        # de-duplication: id -> expiry time (t + h); heap of (expiry, id)
        self._seen: dict = {}
        self._seen_heap: list = []

    @property
    def watermark(self) -> float:
        """The watermark (``-inf`` before the first event, ``inf`` after ``close``)."""
        return self._wm

    # ------------------------------------------------------------------ processing
    def process(
        self,
        times: Sequence[int],
        keys: Sequence[int],
        values: Sequence[float],
        ids: Sequence[int],
    ) -> Output:
        """Process the events one at a time in the order given (their arrival order)."""
        if self._closed:
            raise RuntimeError("the stream is closed")
        times = _as_list(times)
        keys = _as_list(keys)
        values = _as_list(values)
        ids = _as_list(ids)
        n = len(times)
        if len(keys) != n or len(values) != n or len(ids) != n:
            raise ValueError("times, keys, values and ids differ in length")
        fires: list = []
        late: list = []
        session = self._kind == "session"
        horizon = self._horizon
        seen = self._seen
        for i in range(n):
            t = int(times[i])
            k = keys[i]
            v = float(values[i])
            eid = ids[i]
            wm = self._wm
            if horizon is not None:
                exp = seen.get(eid)
                if exp is not None and wm < exp:
                    continue  # duplicate: no trace
                exp = t + horizon
                seen[eid] = exp
                heapq.heappush(self._seen_heap, (exp, self._next_seq(), eid))
            if session:
                accepted = self._add_session(t, k, v, wm, fires)
            else:
                accepted = self._add_fixed(t, k, v, wm, fires)
            if not accepted:
                late.append(Late(t, k, v, eid))
            nw = t - self._ooo
            if nw > wm:
                self._wm = nw
                self._advance(nw, fires)
        return Output(fires, late)

    def _next_seq(self):
        self._seq += 1
        return self._seq

    def _add_fixed(self, t, k, v, wm, fires) -> bool:
        size = self._size
        slide = self._slide
        lateness = self._lateness
        wins = self._wins
        accepted = False
        j_lo = (t - size) // slide + 1
        j_hi = t // slide
        for j in range(j_lo, j_hi + 1):
            start = j * slide
            end = start + size
            if wm >= end + lateness:
                continue
            accepted = True
            w = wins.get((k, start))
            if w is None:
                w = [1, v, v, False]
                wins[(k, start)] = w
                heapq.heappush(self._drop_heap, (end + lateness, self._next_seq(), (k, start)))
                if wm < end:
                    heapq.heappush(self._fire_heap, (end, start, k, self._next_seq(), None))
            else:
                w[0] += 1
                w[1] += v
                if v > w[2]:
                    w[2] = v
            if wm >= end:
                w[3] = True
                fires.append(Fire("late", k, start, end, w[0], w[1], w[2]))
        return accepted

    def _add_session(self, t, k, v, wm, fires) -> bool:
        gap = self._gap
        lateness = self._lateness
        lo, hi = t, t + gap
        starts = self._starts.get(k)
        touched = []
        if starts:
            i = bisect_right(starts, hi) - 1
            while i >= 0:
                s = self._sess[(k, starts[i])]
                if s.end < lo:
                    break
                touched.append((i, s))
                i -= 1
        if not touched:
            if wm >= hi + lateness:
                return False
            s = _Session(k, lo, hi, 1, v, v)
            self._insert_session(s, wm, fires)
            return True
        if len(touched) == 1:
            s = touched[0][1]
            if s.start <= lo and hi <= s.end:
                # bounds unchanged
                s.count += 1
                s.total += v
                if v > s.maximum:
                    s.maximum = v
                if s.fired:
                    s.emitted = (s.count, s.total, s.maximum)
                    fires.append(Fire("late", k, s.start, s.end, s.count, s.total, s.maximum))
                return True
        touched.reverse()  # ascending start
        count, total, maximum = 1, v, v
        new_lo, new_hi = lo, hi
        for idx, s in touched:
            if s.emitted is not None:
                c, tot, mx = s.emitted
                fires.append(Fire("retract", k, s.start, s.end, c, tot, mx))
            count += s.count
            total += s.total
            if s.maximum > maximum:
                maximum = s.maximum
            if s.start < new_lo:
                new_lo = s.start
            if s.end > new_hi:
                new_hi = s.end
            s.alive = False
            del self._sess[(k, s.start)]
        # remove from the sorted starts list (indices are contiguous)
        first = touched[0][0]
        del starts[first:first + len(touched)]
        m = _Session(k, new_lo, new_hi, count, total, maximum)
        self._insert_session(m, wm, fires)
        return True

    def _insert_session(self, s, wm, fires):
        k = s.key
        starts = self._starts.get(k)
        if starts is None:
            starts = self._starts[k] = []
        idx = bisect_right(starts, s.start)
        starts.insert(idx, s.start)
        self._sess[(k, s.start)] = s
        heapq.heappush(self._drop_heap, (s.end + self._lateness, self._next_seq(), s))
        if wm >= s.end:
            s.fired = True
            s.emitted = (s.count, s.total, s.maximum)
            fires.append(Fire("late", k, s.start, s.end, s.count, s.total, s.maximum))
        else:
            heapq.heappush(self._fire_heap, (s.end, s.start, k, self._next_seq(), s))

    def _advance(self, wm, fires):
        fh = self._fire_heap
        session = self._kind == "session"
        while fh and fh[0][0] <= wm:
            end, start, k, _, obj = heapq.heappop(fh)
            if session:
                if not obj.alive or obj.fired:
                    continue
                obj.fired = True
                obj.emitted = (obj.count, obj.total, obj.maximum)
                fires.append(Fire("on_time", k, start, end, obj.count, obj.total, obj.maximum))
            else:
                w = self._wins.get((k, start))
                if w is None or w[3]:
                    continue
                w[3] = True
                fires.append(Fire("on_time", k, start, end, w[0], w[1], w[2]))
        dh = self._drop_heap
        while dh and dh[0][0] <= wm:
            _, _, ref = heapq.heappop(dh)
            if session:
                if ref.alive:
                    ref.alive = False
                    del self._sess[(ref.key, ref.start)]
                    starts = self._starts[ref.key]
                    idx = bisect_right(starts, ref.start) - 1
                    del starts[idx]
                    if not starts:
                        del self._starts[ref.key]
            else:
                self._wins.pop(ref, None)
        sh = self._seen_heap
        seen = self._seen
        while sh and sh[0][0] <= wm:
            exp, _, eid = heapq.heappop(sh)
            if seen.get(eid) == exp:
                del seen[eid]

    def close(self) -> Output:
        """End the stream: the watermark becomes ``inf``, every window not fired yet fires."""
        if self._closed:
            raise RuntimeError("the stream is closed already")
        self._closed = True
        self._wm = math.inf
        fires: list = []
        self._advance(math.inf, fires)
        self._wins.clear()
        self._sess.clear()
        self._starts.clear()
        self._fire_heap.clear()
        self._drop_heap.clear()
        self._seen.clear()
        self._seen_heap.clear()
        return Output(fires, [])
