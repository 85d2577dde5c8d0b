"""Fixtures of the windowed_aggregation hidden suite: a brute-force oracle of the statement's
rules, random streams with the traps built in, and comparison helpers.

The oracle (``Brute``) keeps every counted value of every window it ever created, recomputes
the aggregates from those lists (``math.fsum``) at each emission, scans every window after every
event for those due to fire, and decides "in state" from the current watermark alone (the
watermark only grows): no heaps, no incremental state, written from the README's rules.
"""

from __future__ import annotations

import math

import numpy as np
import pytest


def _agg(values: list[float]) -> tuple[int, float, float]:
    return len(values), math.fsum(values), max(values)


class _Session:
    __slots__ = ("lo", "hi", "values", "fired", "emitted")

    def __init__(self, lo, hi, values, fired, emitted):
        self.lo, self.hi, self.values, self.fired, self.emitted = lo, hi, values, fired, emitted


class Brute:
    """The README's rules, one event at a time, by brute force."""

    def __init__(self, kind, *, size=None, slide=None, gap=None, out_of_orderness=0,
                 allowed_lateness=0, dedup_horizon=None):  # fmt: skip
        self.kind = kind
        self.size = size
        self.slide = size if kind == "tumbling" else slide
        self.gap = gap
        self.ooo, self.lateness, self.horizon = out_of_orderness, allowed_lateness, dedup_horizon
        self.max_t: int | None = None
        self.memory: dict[int, int] = {}
        self.windows: dict[tuple[int, int], dict] = {}  # fixed windows, never deleted
        self.sessions: dict[int, list[_Session]] = {}  # sessions, dropped ones kept
        self.closed = False

    @property
    def watermark(self) -> float:
        if self.closed:
            return math.inf
        return -math.inf if self.max_t is None else self.max_t - self.ooo

    def windows_of(self, t: int) -> list[tuple[int, int]]:
        """Every [j*slide, j*slide + size) that contains t."""
        first = (t - self.size) // self.slide + 1  # the smallest j with j*slide > t - size
        return [(j * self.slide, j * self.slide + self.size) for j in range(first, t // self.slide + 1)]  # fmt: skip

    def feed(self, t: int, k: int, v: float, i: int) -> tuple[list[tuple], list[tuple]]:
        w = self.watermark
        if self.horizon is not None:
            if i in self.memory and w < self.memory[i] + self.horizon:
                return [], []
            self.memory[i] = t
        fires: list[tuple] = []
        late: list[tuple] = []
        accepted = (
            self._fixed(t, k, v, w, fires)
            if self.kind != "session"
            else self._session(t, k, v, w, fires)
        )
        if not accepted:
            late.append((t, k, v, i))
        if self.max_t is None or t > self.max_t:
            self.max_t = t
        fires.extend(self._due(self.watermark))
        return fires, late

    def close(self) -> list[tuple]:
        self.closed = True
        return self._due(math.inf)

    def _fixed(self, t, k, v, w, fires) -> bool:
        accepted = False
        late = []
        for start, end in self.windows_of(t):
            if w >= end + self.lateness:
                continue  # dropped
            accepted = True
            win = self.windows.setdefault((k, start), {"values": [], "fired": False})
            win["values"].append(v)
            if w >= end:
                win["fired"] = True
                late.append(("late", k, start, end, *_agg(win["values"])))
        fires.extend(sorted(late, key=lambda r: (r[3], r[2])))
        return accepted

    def _session(self, t, k, v, w, fires) -> bool:
        mine = self.sessions.setdefault(k, [])
        live = [s for s in mine if w < s.hi + self.lateness]
        touched = [s for s in live if s.lo <= t + self.gap and t <= s.hi]
        if not touched and w >= t + self.gap + self.lateness:
            return False
        lo = min([t] + [s.lo for s in touched])
        hi = max([t + self.gap] + [s.hi for s in touched])
        values = [x for s in touched for x in s.values] + [v]
        same = [s for s in touched if (s.lo, s.hi) == (lo, hi)]
        merged = _Session(lo, hi, values, same[0].fired if same else False,
                          same[0].emitted if same else None)  # fmt: skip
        for s in sorted(touched, key=lambda s: s.lo):
            if s.emitted is not None and (s.lo, s.hi) != (lo, hi):
                fires.append(("retract", k, s.lo, s.hi, *s.emitted))
        for s in touched:
            mine.remove(s)
        mine.append(merged)
        if w >= hi:
            merged.fired = True
            merged.emitted = _agg(values)
            fires.append(("late", k, lo, hi, *merged.emitted))
        return True

    def _due(self, w) -> list[tuple]:
        due = []
        if self.kind == "session":
            for k, mine in self.sessions.items():
                for s in mine:
                    if not s.fired and s.hi <= w:
                        s.fired = True
                        s.emitted = _agg(s.values)
                        due.append(("on_time", k, s.lo, s.hi, *s.emitted))
        else:
            for (k, start), win in self.windows.items():
                end = start + self.size
                if not win["fired"] and end <= w:
                    win["fired"] = True
                    due.append(("on_time", k, start, end, *_agg(win["values"])))
        return sorted(due, key=lambda r: (r[3], r[2], r[1]))

    def run(self, times, keys, values, ids):
        """Per event (fires, late), then the fires of close()."""
        per = [self.feed(int(t), int(k), float(v), int(i))
               for t, k, v, i in zip(times, keys, values, ids, strict=True)]  # fmt: skip
        return per, self.close()


@pytest.fixture(scope="session")
def brute():
    """``brute(kind, **params)``: a :class:`Brute` oracle."""
    return Brute


@pytest.fixture(scope="module")
def drive(inside, sol):
    """The suite's drivers (inside.py) in the candidate's sandbox."""
    return inside(sol)


def make_stream(rng, n, *, keys=4, step=3, jitter=20, very_late=0.0, late_by=300, dups=0.0):
    """n events: times that mostly grow (``step`` ms apart on average) with out-of-order
    jitter up to ``jitter`` ms, a fraction ``very_late`` delayed by up to ``late_by`` ms, and a
    fraction ``dups`` of exact redeliveries a few events after the original."""
    base = np.cumsum(rng.integers(0, 2 * step + 1, n)) + int(rng.integers(0, 50))
    times = base - rng.integers(0, jitter + 1, n)
    if very_late:
        pick = rng.random(n) < very_late
        times[pick] -= rng.integers(jitter, late_by + 1, int(pick.sum()))
    times = np.maximum(times, 0).astype(np.int64)
    ks = rng.integers(0, keys, n).astype(np.int64)
    vals = np.round(rng.normal(0, 10, n), 3)
    ids = np.arange(n, dtype=np.int64) + 1000
    if dups:
        order = list(range(n))
        for j in np.flatnonzero(rng.random(n) < dups):
            pos = min(len(order), order.index(int(j)) + int(rng.integers(1, 30)))
            order.insert(pos, int(j))
        idx = np.array(order)
        times, ks, vals, ids = times[idx], ks[idx], vals[idx], ids[idx]
    return times, ks, vals, ids


@pytest.fixture(scope="session")
def stream():
    """``stream(rng, n, **shape)``: a random stream (see :func:`make_stream`)."""
    return make_stream


def _fmt(rec) -> str:
    rec = tuple(rec)
    if len(rec) == 7:
        kind, k, s, e, c, tot, mx = rec
        return f"{kind}(key={k}, [{s}, {e}), count={c}, total={_num(tot)}, max={_num(mx)})"
    return "Late(" + ", ".join(str(x) for x in rec) + ")"


def _num(x) -> str:
    try:
        return f"{float(x):.6g}"
    except (TypeError, ValueError):
        return repr(x)


def _same_fire(got, want) -> bool:
    try:
        got = tuple(got)
    except TypeError:
        return False
    if len(got) != 7:
        return False
    kind, k, s, e, c, tot, mx = got
    if (kind, int(k), int(s), int(e), int(c)) != want[:5]:
        return False
    scale = max(1.0, abs(float(want[5])), abs(float(want[6])))
    return abs(float(tot) - want[5]) <= 1e-9 * scale * max(1, c) and float(mx) == want[6]


def _same_late(got, want) -> bool:
    try:
        t, k, v, i = tuple(got)
    except (TypeError, ValueError):
        return False
    return (int(t), int(k), float(v), int(i)) == tuple(want)


def compare_records(got, want, *, what: str, hint: str, late: bool = False) -> None:
    """The records ``got`` equal ``want`` (kinds, keys, bounds and counts exactly, totals to
    float rounding); else fail with the first difference, ``what`` and ``hint``."""
    same = _same_late if late else _same_fire
    got = list(got)
    for j in range(max(len(got), len(want))):
        g = got[j] if j < len(got) else None
        w = want[j] if j < len(want) else None
        if g is None or w is None or not same(g, w):
            label = "late events" if late else "records"
            raise AssertionError(
                f"{what}: {len(got)} {label} came back, {len(want)} expected; first difference "
                f"at #{j}: got {_fmt(g) if g is not None else 'nothing'}, expected "
                f"{_fmt(w) if w is not None else 'nothing'}. {hint}"
            )


@pytest.fixture(scope="session")
def compare():
    """``compare(got, want, what=..., hint=..., late=False)``: see :func:`compare_records`."""
    return compare_records


def check_run(per_got, close_got, per_want, close_want, times, keys, *, hint: str) -> None:
    """Per-event outputs and close() of a candidate's run against the oracle's."""
    for j, ((fg, lg), (fw, lw)) in enumerate(zip(per_got, per_want, strict=True)):
        what = f"process() of event #{j} (t={int(times[j])}, key={int(keys[j])})"
        compare_records(fg, fw, what=what + " emitted", hint=hint)
        compare_records(lg, lw, what=what + " sent to the late side output", hint=hint,
                        late=True)  # fmt: skip
    compare_records(close_got, close_want, what="close() emitted", hint=hint)


@pytest.fixture(scope="session")
def check():
    """``check(per_got, close_got, per_want, close_want, times, keys, hint=...)``."""
    return check_run


def changelog(records) -> dict:
    """The results a changelog of records leaves: the last record per (key, start, end),
    minus the retracted ones."""
    out: dict = {}
    for rec in records:
        kind, k, s, e, c, tot, mx = tuple(rec)
        if kind == "retract":
            out.pop((int(k), int(s), int(e)), None)
        else:
            out[(int(k), int(s), int(e))] = (int(c), float(tot), float(mx))
    return out


@pytest.fixture(scope="session")
def replay():
    """``replay(records) -> {(key, start, end): (count, total, maximum)}``."""
    return changelog
