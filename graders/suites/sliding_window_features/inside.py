"""Sandbox-side drivers of the sliding_window_features hidden suite (they hold no solution):
many ``update`` / ``query`` calls in one round trip, their results as plain tuples."""

from __future__ import annotations


def updates(f, entities, times, values) -> list:
    """``f.update(e, t, v)`` for each row, in the order given; each result as a tuple."""
    return [
        tuple(f.update(e, t, v))
        for e, t, v in zip(entities.tolist(), times.tolist(), values.tolist(), strict=True)
    ]


def queries(f, entities, times) -> list:
    """``f.query(e, t)`` for each pair, in the order given; each result as a tuple."""
    return [tuple(f.query(e, t)) for e, t in zip(entities.tolist(), times.tolist(), strict=True)]


def steps(f, entity, t0, values) -> tuple:
    """``update(entity, t0 + j, values[j])`` for every j; the last result."""
    out = None
    for j, v in enumerate(values.tolist()):
        out = f.update(entity, t0 + j, v)
    return tuple(out)
