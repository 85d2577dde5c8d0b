"""Event-time windowed aggregation with watermarks, allowed lateness, a late side output and
de-duplication: the reference solution.

The semantics are those of Apache Flink's ``WindowOperator`` with
``BoundedOutOfOrdernessWatermarks`` and ``EventTimeTrigger`` (and of Apache Beam's default
trigger with accumulating panes):

- windows are half-open ``[start, end)``: tumbling and sliding windows aligned to time 0
  (``TimeWindow.getWindowStartWithOffset``), session windows ``[first, last + gap)`` merged when
  they overlap or touch (``TimeWindow.intersects``: ``start <= other.end and end >= other.start``);
- the watermark is the largest event time seen minus the allowed out-of-orderness; a window
  fires when the watermark reaches its end (Flink fires at ``maxTimestamp = end - 1`` with a
  watermark one below ours: the same instant);
- a window stays in state until the watermark reaches ``end + allowed_lateness``; an event for a
  window in state after its firing re-fires it at once (accumulating: the whole updated
  result); an event that no window in state accepts goes to the late side output
  (``sideOutputLateData``);
- a session window whose bounds change after it was emitted is retracted first (the changelog
  of Flink SQL's retract streams, the tombstones of Kafka Streams' session windows).

De-duplication keeps each event id for ``dedup_horizon`` of event time (Spark's
``dropDuplicatesWithinWatermark``).

Work per event: O(windows per event + log(open windows)) with two heaps (firing and purge times)
and hashed state; sessions scan only the live sessions of their own key.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import NamedTuple


class Fire(NamedTuple):
    """One emitted record: ``kind`` is ``"on_time"``, ``"late"`` or ``"retract"``."""

    kind: str
    key: int
    start: int
    end: int
    count: int
    total: float
    maximum: float


class Late(NamedTuple):
    """An event of the late side output."""

    time: int
    key: int
    value: float
    id: int


class Output(NamedTuple):
    """What one call produced: the emitted records and the late events, in order."""

    fires: list[Fire]
    late: list[Late]


KINDS = ("tumbling", "sliding", "session")


def _non_negative_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return value


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


class WindowedAggregator:
    """Keyed event-time windows: count, total and maximum of the values, per key and window."""

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
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "session":
            if size is not None or slide is not None:
                raise ValueError("session windows take gap, not size or slide")
            self._gap = _positive_int(gap, "gap")
        else:
            if gap is not None:
                raise ValueError(f"{kind} windows take size (and slide), not gap")
            self._size = _positive_int(size, "size")
            if kind == "tumbling":
                if slide is not None and slide != size:
                    raise ValueError("tumbling windows take no slide (or slide == size)")
                self._slide = self._size
            else:
                self._slide = _positive_int(slide, "slide")
                if self._slide > self._size:
                    raise ValueError(f"slide ({slide}) must not exceed size ({size})")
        self._kind = kind
        self._ooo = _non_negative_int(out_of_orderness, "out_of_orderness")
        self._lateness = _non_negative_int(allowed_lateness, "allowed_lateness")
        self._horizon = (
            None if dedup_horizon is None else _non_negative_int(dedup_horizon, "dedup_horizon")
        )
        self._max_time: int | None = None
        self._wm: float = -math.inf
        self._closed = False
        # fixed windows: (key, start) -> [count, total, maximum, fired]
        self._windows: dict[tuple[int, int], list] = {}
        # sessions: key -> list of live sessions [start, end, count, total, maximum, fired,
        # emitted] (emitted: the (count, total, maximum) last emitted for these bounds, or None)
        self._sessions: dict[int, list[list]] = {}
        self._fire_heap: list[tuple[int, int, int]] = []  # (end, start, key), not yet fired
        self._purge_heap: list[tuple[int, int, int, int]] = []  # (end + lateness, start, key, end)
        self._seen: dict[int, int] = {}  # event id -> time of its first event
        self._seen_heap: list[tuple[int, int]] = []  # (time + horizon, id)

    # -- public API -----------------------------------------------------------------------

    @property
    def watermark(self) -> float:
        """The current watermark (``-inf`` before the first event, ``inf`` after close)."""
        return self._wm

    def process(
        self,
        times: Sequence[int],
        keys: Sequence[int],
        values: Sequence[float],
        ids: Sequence[int],
    ) -> Output:
        """Process events in the order given; return what they emitted."""
        if self._closed:
            raise RuntimeError("the stream is closed")
        n = len(times)
        if not (len(keys) == len(values) == len(ids) == n):
            raise ValueError(
                f"times, keys, values and ids must have one length, got "
                f"{n}, {len(keys)}, {len(values)}, {len(ids)}"
            )
        fires: list[Fire] = []
        late: list[Late] = []
        times = [int(x) for x in times]  # numpy arrays -> Python ints in one pass
        keys = [int(x) for x in keys]
        values = [float(x) for x in values]
        ids = [int(x) for x in ids]
        session = self._kind == "session"
        horizon = self._horizon
        seen = self._seen
        for t, k, v, i in zip(times, keys, values, ids, strict=True):
            if horizon is not None:
                first = seen.get(i)
                if first is not None and self._wm < first + horizon:
                    continue  # a duplicate: dropped without trace
                seen[i] = t
                heapq.heappush(self._seen_heap, (t + horizon, i))
            counted = (
                self._add_session(t, k, v, fires) if session else self._add_fixed(t, k, v, fires)
            )
            if not counted:
                late.append(Late(t, k, v, i))
            if self._max_time is None or t > self._max_time:
                self._max_time = t
                self._wm = t - self._ooo
                self._advance(fires)
        return Output(fires, late)

    def close(self) -> Output:
        """End the stream: every window not fired yet fires; further calls raise."""
        if self._closed:
            raise RuntimeError("the stream is closed")
        self._wm = math.inf
        fires: list[Fire] = []
        self._advance(fires)
        self._closed = True
        self._windows.clear()
        self._sessions.clear()
        self._seen.clear()
        return Output(fires, [])

    # -- fixed windows (tumbling, sliding) ----------------------------------------------------

    def _add_fixed(self, t: int, k: int, v: float, fires: list[Fire]) -> bool:
        size, slide, wm, lateness = self._size, self._slide, self._wm, self._lateness
        start = t - t % slide  # the last window that contains t
        counted = False
        late_fires = []
        windows = self._windows
        while start > t - size:
            end = start + size
            if wm < end + lateness:  # still in state (or not created yet): accepts t
                counted = True
                state = windows.get((k, start))
                if state is None:
                    state = windows[(k, start)] = [1, v, v, False]
                    heapq.heappush(self._fire_heap, (end, start, k))
                    heapq.heappush(self._purge_heap, (end + lateness, start, k, end))
                else:
                    state[0] += 1
                    state[1] += v
                    if v > state[2]:
                        state[2] = v
                if wm >= end:  # the window's time has passed: re-fire it now
                    state[3] = True
                    late_fires.append(Fire("late", k, start, end, state[0], state[1], state[2]))
            start -= slide
        if late_fires:
            late_fires.reverse()  # in (end, start) order
            fires.extend(late_fires)
        return counted

    # -- session windows -------------------------------------------------------------------

    def _add_session(self, t: int, k: int, v: float, fires: list[Fire]) -> bool:
        gap, wm, lateness = self._gap, self._wm, self._lateness
        lo, hi = t, t + gap
        live = self._sessions.get(k)
        touched = []
        if live:
            touched = [s for s in live if s[0] <= hi and lo <= s[1]]
        if not touched and wm >= hi + lateness:
            return False  # its own window is past the lateness: the late side output
        if live is None:
            live = self._sessions[k] = []
        count, total, maximum = 1, v, v
        fired = False
        for s in touched:
            lo, hi = min(lo, s[0]), max(hi, s[1])
            count += s[2]
            total += s[3]
            maximum = max(maximum, s[4])
        for s in touched:
            live.remove(s)
            if s[0] == lo and s[1] == hi:
                fired = s[5]  # the same window, grown
        for s in sorted(touched, key=lambda s: s[0]):
            if s[6] is not None and (s[0], s[1]) != (lo, hi):
                fires.append(Fire("retract", k, s[0], s[1], *s[6]))
        merged = [lo, hi, count, total, maximum, fired, None]
        for s in touched:
            if (s[0], s[1]) == (lo, hi):
                merged[6] = s[6]
        live.append(merged)
        if wm >= hi:  # its end has passed: fire now
            merged[5] = True
            merged[6] = (count, total, maximum)
            fires.append(Fire("late", k, lo, hi, count, total, maximum))
        elif not fired:
            heapq.heappush(self._fire_heap, (hi, lo, k))
        heapq.heappush(self._purge_heap, (hi + lateness, lo, k, hi))
        return True

    def _session_at(self, k: int, start: int, end: int) -> list | None:
        for s in self._sessions.get(k, ()):
            if s[0] == start and s[1] == end:
                return s
        return None

    # -- the watermark advances -----------------------------------------------------------

    def _advance(self, fires: list[Fire]) -> None:
        wm = self._wm
        heap = self._fire_heap
        session = self._kind == "session"
        while heap and heap[0][0] <= wm:
            end, start, k = heapq.heappop(heap)
            if session:
                s = self._session_at(k, start, end)
                if s is None or s[5]:
                    continue  # merged away since, or fired already
                s[5] = True
                s[6] = (s[2], s[3], s[4])
                fires.append(Fire("on_time", k, start, end, s[2], s[3], s[4]))
            else:
                state = self._windows.get((k, start))
                if state is None or state[3]:
                    continue
                state[3] = True
                fires.append(Fire("on_time", k, start, end, state[0], state[1], state[2]))
        purge = self._purge_heap
        while purge and purge[0][0] <= wm:
            _, start, k, end = heapq.heappop(purge)
            if session:
                s = self._session_at(k, start, end)
                if s is not None:
                    live = self._sessions[k]
                    live.remove(s)
                    if not live:
                        del self._sessions[k]
            else:
                self._windows.pop((k, start), None)
        if self._horizon is not None:
            seen_heap, seen, horizon = self._seen_heap, self._seen, self._horizon
            while seen_heap and seen_heap[0][0] <= wm:
                _, i = heapq.heappop(seen_heap)
                first = seen.get(i)
                if first is not None and first + horizon <= wm:
                    del seen[i]
