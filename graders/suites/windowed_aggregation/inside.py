"""Sandbox-side drivers of the windowed_aggregation hidden suite (they hold no solution): they
feed a stream one event per ``process`` call, in one round trip, and bring back what each call
produced as plain tuples."""

from __future__ import annotations


def _plain(out) -> tuple[list, list]:
    fires, late = out[0], out[1]
    return [tuple(f) for f in fires], [tuple(x) for x in late]


def feed_each(agg, times, keys, values, ids) -> list:
    """``agg.process`` once per event, in order; ``[(fires, late), ...]`` per event."""
    return [
        _plain(agg.process([t], [k], [v], [i]))
        for t, k, v, i in zip(times, keys, values, ids, strict=True)
    ]


def run_each(agg, times, keys, values, ids) -> tuple[list, list]:
    """``feed_each`` then ``close()``: (per-event outputs, the fires of close)."""
    per = feed_each(agg, times, keys, values, ids)
    return per, _plain(agg.close())[0]


def run_whole(agg, times, keys, values, ids) -> tuple[list, list, list]:
    """One ``process`` call for the whole stream, then ``close()``: (fires, late, close fires)."""
    fires, late = _plain(agg.process(times, keys, values, ids))
    return fires, late, _plain(agg.close())[0]
