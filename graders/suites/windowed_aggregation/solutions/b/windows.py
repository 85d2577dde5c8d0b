"""Event-time windowed aggregation: tumbling, sliding and session windows with watermarks,
allowed lateness, a late side output and de-duplication (see README.md).

Solution (b): Flink-style "timer service". Window state is a dict keyed by
``(key, start, end)``; a single timer heap holds fire timers (at ``end``), cleanup timers (at
``end + allowed_lateness``) and id-expiry timers (at ``t + dedup_horizon``). Sessions of a key
are a sorted list of ``(start, end)`` spans searched with bisect.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right, insort
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


_FIRE, _CLEAN, _FORGET = 0, 1, 2
# window state slots
_C, _T, _M, _FIRED, _EMITTED = 0, 1, 2, 3, 4


def _int_param(name, x, minimum):
    if isinstance(x, bool) or isinstance(x, np.bool_):
        raise ValueError(f"{name} must be an int, not a bool")
    if not isinstance(x, (int, np.integer)):
        raise ValueError(f"{name} must be an int, got {type(x).__name__}")
    x = int(x)
    if x < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {x}")
    return x


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
        allowed = {"tumbling": ("size", "slide"), "sliding": ("size", "slide"),
                   "session": ("gap",)}
        if not isinstance(kind, str) or kind not in allowed:
            raise ValueError(f"unknown kind {kind!r}")
        given = {"size": size, "slide": slide, "gap": gap}
        for name, val in given.items():
            if val is not None and name not in allowed[kind]:
                raise ValueError(f"{name} is not a parameter of {kind} windows")
        if kind == "session":
            self._gap = _int_param("gap", gap, 1) if gap is not None else None
            if self._gap is None:
                raise ValueError("session windows need gap")
            self._size = self._slide = None
        else:
            if size is None:
                raise ValueError(f"{kind} windows need size")
            self._size = _int_param("size", size, 1)
            if kind == "tumbling":
                if slide is not None and _int_param("slide", slide, 1) != self._size:
                    raise ValueError("tumbling windows: slide must equal size")
                self._slide = self._size
            else:
                if slide is None:
                    raise ValueError("sliding windows need slide")
                self._slide = _int_param("slide", slide, 1)
                if self._slide > self._size:
                    raise ValueError("slide must not exceed size")
            self._gap = None
        self._ooo = _int_param("out_of_orderness", out_of_orderness, 0)
        self._lat = _int_param("allowed_lateness", allowed_lateness, 0)
        self._hor = None if dedup_horizon is None else _int_param("dedup_horizon",
                                                                  dedup_horizon, 0)
        self._is_session = kind == "session"
        self._wm = -math.inf
        self._closed = False
        self._state: dict = {}      # (key, start, end) -> [count, total, max, fired, emitted]
        self._spans: dict = {}      # key -> sorted list of (start, end) (sessions)
        self._timers: list = []     # (time, type, end, start, key, tiebreak, payload)
        self._tb = 0
        self._ids: dict = {}        # id -> expiry

    @property
    def watermark(self) -> float:
        """The watermark (``-inf`` before the first event, ``inf`` after ``close``)."""
        return self._wm

    def _timer(self, when, typ, end, start, key, payload):
        self._tb += 1
        heapq.heappush(self._timers, (when, typ, end, start, key, self._tb, payload))

    def _register(self, key, start, end, st, wm):
        """Register timers for a newly created window state ``st``."""
        if wm < end:
            self._timer(end, _FIRE, end, start, key, st)
        self._timer(end + self._lat, _CLEAN, end, start, key, st)

    def process(
        self,
        times: Sequence[int],
        keys: Sequence[int],
        values: Sequence[float],
        ids: Sequence[int],
    ) -> Output:
        """Process the events one at a time in the order given (their arrival order)."""
        if self._closed:
            raise RuntimeError("process after close")
        cols = [c.tolist() if isinstance(c, np.ndarray) else list(c)
                for c in (times, keys, values, ids)]
        if len({len(c) for c in cols}) > 1:
            raise ValueError("the four sequences must have one length")
        fires: list = []
        late: list = []
        hor = self._hor
        for t, k, v, eid in zip(*cols):
            t = int(t)
            v = float(v)
            wm = self._wm
            if hor is not None:
                if eid in self._ids and wm < self._ids[eid]:
                    continue
                self._ids[eid] = t + hor
                self._timer(t + hor, _FORGET, 0, 0, 0, (eid, t + hor))
            if self._is_session:
                ok = self._on_session_event(t, k, v, wm, fires)
            else:
                ok = self._on_fixed_event(t, k, v, wm, fires)
            if not ok:
                late.append(Late(t, k, v, eid))
            if t - self._ooo > wm:
                self._wm = t - self._ooo
                self._fire_timers(self._wm, fires)
        return Output(fires, late)

    def _on_fixed_event(self, t, k, v, wm, fires):
        size, slide, lat = self._size, self._slide, self._lat
        state = self._state
        # all aligned starts s with s <= t < s + size, ascending (so ends ascend too)
        first = (t // slide) * slide
        starts = []
        s = first
        while s + size > t:
            starts.append(s)
            s -= slide
        ok = False
        for s in reversed(starts):
            e = s + size
            if not wm < e + lat:
                continue
            ok = True
            key3 = (k, s, e)
            st = state.get(key3)
            if st is None:
                st = state[key3] = [0, 0.0, -math.inf, False, None]
                self._register(k, s, e, st, wm)
            st[_C] += 1
            st[_T] += v
            st[_M] = max(st[_M], v)
            if wm >= e:
                st[_FIRED] = True
                fires.append(Fire("late", k, s, e, st[_C], st[_T], st[_M]))
        return ok

    def _on_session_event(self, t, k, v, wm, fires):
        gap, lat = self._gap, self._lat
        lo, hi = t, t + gap
        spans = self._spans.setdefault(k, [])
        # the spans with start <= hi, scanning down while they reach lo (at most two)
        j = bisect_right(spans, (hi, math.inf))
        i = j
        while i > 0 and spans[i - 1][1] >= lo:
            i -= 1
        hit = spans[i:j]
        if not hit:
            if wm >= hi + lat:
                if not spans:
                    del self._spans[k]
                return False
        state = self._state
        if len(hit) == 1 and hit[0][0] <= lo and hi <= hit[0][1]:
            s, e = hit[0]
            st = state[(k, s, e)]
            st[_C] += 1
            st[_T] += v
            st[_M] = max(st[_M], v)
            if st[_FIRED]:
                st[_EMITTED] = (st[_C], st[_T], st[_M])
                fires.append(Fire("late", k, s, e, st[_C], st[_T], st[_M]))
            return True
        new = [1, v, v, False, None]
        ns, ne = lo, hi
        for s, e in hit:  # ascending start
            st = state.pop((k, s, e))
            if st[_EMITTED] is not None:
                fires.append(Fire("retract", k, s, e, *st[_EMITTED]))
            new[_C] += st[_C]
            new[_T] += st[_T]
            new[_M] = max(new[_M], st[_M])
            ns = min(ns, s)
            ne = max(ne, e)
        del spans[i:j]
        insort(spans, (ns, ne))
        state[(k, ns, ne)] = new
        self._register(k, ns, ne, new, wm)
        if wm >= ne:
            new[_FIRED] = True
            new[_EMITTED] = (new[_C], new[_T], new[_M])
            fires.append(Fire("late", k, ns, ne, new[_C], new[_T], new[_M]))
        return True

    def _fire_timers(self, wm, fires):
        timers = self._timers
        state = self._state
        while timers and timers[0][0] <= wm:
            _, typ, end, start, key, _, payload = heapq.heappop(timers)
            if typ == _FORGET:
                eid, exp = payload
                if self._ids.get(eid) == exp:
                    del self._ids[eid]
                continue
            key3 = (key, start, end)
            if state.get(key3) is not payload:
                continue  # stale: merged away or dropped
            if typ == _FIRE:
                if not payload[_FIRED]:
                    payload[_FIRED] = True
                    payload[_EMITTED] = (payload[_C], payload[_T], payload[_M])
                    fires.append(Fire("on_time", key, start, end, payload[_C], payload[_T],
                                      payload[_M]))
            else:
                del state[key3]
                if self._is_session:
                    spans = self._spans[key]
                    spans.pop(bisect_right(spans, (start, end)) - 1)
                    if not spans:
                        del self._spans[key]

    def close(self) -> Output:
        """End the stream: the watermark becomes ``inf``, every window not fired yet fires."""
        if self._closed:
            raise RuntimeError("close after close")
        self._closed = True
        self._wm = math.inf
        fires: list = []
        self._fire_timers(math.inf, fires)
        self._state.clear()
        self._spans.clear()
        self._ids.clear()
        return Output(fires, [])
