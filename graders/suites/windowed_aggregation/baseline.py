"""The bar of windowed_aggregation's performance gate (baseline sandbox only): a plain
per-event implementation of the statement, with the complexity it asks for and nothing more:
windows in dicts, the windows waiting to fire and to be dropped in two heaps keyed by time
(O(log n) per event), sessions found by a scan of their own key's live sessions."""

from __future__ import annotations

import heapq
import math


class PlainAggregator:
    def __init__(self, kind, size=None, slide=None, gap=None, out_of_orderness=0,
                 allowed_lateness=0, dedup_horizon=None):  # fmt: skip
        self.kind = kind
        self.size = size
        self.slide = size if kind == "tumbling" else slide
        self.gap = gap
        self.ooo = out_of_orderness
        self.lateness = allowed_lateness
        self.horizon = dedup_horizon
        self.wm = -math.inf
        self.max_t = None
        self.state = {}  # (key, start, end) -> [count, total, maximum, fired, emitted]
        self.by_key = {}  # sessions: key -> set of (start, end)
        self.to_fire = []  # heap of (end, start, key)
        self.to_drop = []  # heap of (end + lateness, start, key, end)
        self.seen = {}
        self.forget = []

    def process(self, times, keys, values, ids):
        fires, late = [], []
        for t, k, v, i in zip(
            times.tolist(), keys.tolist(), values.tolist(), ids.tolist(), strict=True
        ):
            if self.horizon is not None:
                if i in self.seen and self.wm < self.seen[i] + self.horizon:
                    continue
                self.seen[i] = t
                heapq.heappush(self.forget, (t + self.horizon, i))
            ok = (
                self.session(t, k, v, fires)
                if self.kind == "session"
                else self.fixed(t, k, v, fires)
            )
            if not ok:
                late.append((t, k, v, i))
            if self.max_t is None or t > self.max_t:
                self.max_t = t
                self.wm = t - self.ooo
                self.advance(fires)
        return fires, late

    def open(self, k, s, e, c, tot, mx):
        self.state[(k, s, e)] = [c, tot, mx, False, None]
        heapq.heappush(self.to_fire, (e, s, k))
        heapq.heappush(self.to_drop, (e + self.lateness, s, k, e))

    def fixed(self, t, k, v, fires):
        ok = False
        new_late = []
        s = t - t % self.slide
        while s > t - self.size:
            e = s + self.size
            if self.wm < e + self.lateness:
                ok = True
                w = self.state.get((k, s, e))
                if w is None:
                    self.open(k, s, e, 1, v, v)
                    w = self.state[(k, s, e)]
                else:
                    w[0] += 1
                    w[1] += v
                    w[2] = max(w[2], v)
                if self.wm >= e:
                    w[3] = True
                    new_late.append(("late", k, s, e, w[0], w[1], w[2]))
            s -= self.slide
        fires.extend(reversed(new_late))
        return ok

    def session(self, t, k, v, fires):
        mine = self.by_key.setdefault(k, set())
        touched = sorted(b for b in mine if b[0] <= t + self.gap and t <= b[1])
        if not touched and self.wm >= t + self.gap + self.lateness:
            return False
        lo = min([t] + [b[0] for b in touched])
        hi = max([t + self.gap] + [b[1] for b in touched])
        c, tot, mx, fired, emitted = 1, v, v, False, None
        for b in touched:
            w = self.state.pop((k,) + b)
            mine.discard(b)
            c, tot, mx = c + w[0], tot + w[1], max(mx, w[2])
            if b == (lo, hi):
                fired, emitted = w[3], w[4]
            elif w[4] is not None:
                fires.append(("retract", k, b[0], b[1]) + w[4])
        mine.add((lo, hi))
        if (lo, hi) in [tuple(b) for b in touched]:
            self.state[(k, lo, hi)] = [c, tot, mx, fired, emitted]
        else:
            self.open(k, lo, hi, c, tot, mx)
        w = self.state[(k, lo, hi)]
        if self.wm >= hi:
            w[3], w[4] = True, (c, tot, mx)
            fires.append(("late", k, lo, hi, c, tot, mx))
        return True

    def advance(self, fires):
        while self.to_fire and self.to_fire[0][0] <= self.wm:
            e, s, k = heapq.heappop(self.to_fire)
            w = self.state.get((k, s, e))
            if w is not None and not w[3]:
                w[3], w[4] = True, (w[0], w[1], w[2])
                fires.append(("on_time", k, s, e, w[0], w[1], w[2]))
        while self.to_drop and self.to_drop[0][0] <= self.wm:
            _, s, k, e = heapq.heappop(self.to_drop)
            if self.state.pop((k, s, e), None) is not None and self.kind == "session":
                self.by_key[k].discard((s, e))
        while self.forget and self.forget[0][0] <= self.wm:
            _, i = heapq.heappop(self.forget)
            if i in self.seen and self.seen[i] + self.horizon <= self.wm:
                del self.seen[i]


def make(kind, params):
    """A PlainAggregator (returned by handle)."""
    return PlainAggregator(kind, **params)
