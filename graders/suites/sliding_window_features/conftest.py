"""Fixtures of the sliding_window_features hidden suite: the pandas oracle (time-based
``rolling`` with ``closed="right"``, i.e. ``(t - window, t]``), a brute-force float64 oracle,
random event logs with the window edge built in, and comparison helpers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest


def pandas_features(entities, times, values, window: int) -> dict[str, np.ndarray]:
    """Each row's features over ``(t - window, t]`` of its entity's rows up to it in time order
    (ties in input order), by pandas' time-based rolling window, in input row order."""
    df = pd.DataFrame({"e": np.asarray(entities), "t": pd.to_datetime(np.asarray(times), unit="ms"),
                       "v": np.asarray(values, dtype=np.float64)})  # fmt: skip
    df = df.sort_values("t", kind="stable")
    out = {k: np.empty(len(df)) for k in ("count", "sum", "max")}
    for _, g in df.groupby("e", sort=False):
        r = g.rolling(f"{window}ms", on="t", closed="right")["v"]
        for name, col in (("count", r.count()), ("sum", r.sum()), ("max", r.max())):
            out[name][col.index.to_numpy()] = col.to_numpy()
    out["count"] = out["count"].astype(np.int64)
    out["mean"] = out["sum"] / out["count"]
    return out


@pytest.fixture(scope="session")
def oracle():
    """``oracle(entities, times, values, window) -> {"count", "sum", "mean", "max"}``."""
    return pandas_features


def brute_features(history, t: int, window: int) -> tuple[int, float, float, float]:
    """(count, sum, mean, max) of the (time, value) pairs of ``history`` in (t - window, t]."""
    vals = [v for ti, v in history if t - window < ti <= t]
    if not vals:
        return 0, 0.0, math.nan, math.nan
    s = math.fsum(vals)
    return len(vals), s, s / len(vals), max(vals)


@pytest.fixture(scope="session")
def brute():
    """``brute(history, t, window)``: see :func:`brute_features`."""
    return brute_features


def make_log(rng, n, *, entities=5, grid=10, span=4000, ties=0.2):
    """n events on a time grid (every time a multiple of ``grid`` ms, so events exactly one
    window apart are common), a fraction ``ties`` repeating the previous time, in random
    row order; values of both signs."""
    t = np.sort(rng.integers(0, span // grid, n)) * grid
    rep = rng.random(n) < ties
    rep[0] = False
    t[rep] = t[np.flatnonzero(rep) - 1]
    t = np.sort(t).astype(np.int64)
    e = rng.integers(0, entities, n).astype(np.int64)
    v = np.round(rng.normal(0, 100, n), 2)
    perm = rng.permutation(n)
    return e[perm], t[perm], v[perm]


@pytest.fixture(scope="session")
def log():
    """``log(rng, n, **shape) -> (entities, times, values)`` (see :func:`make_log`)."""
    return make_log


def time_order(times) -> np.ndarray:
    """The order in which the rows are processed: by time, ties in input order."""
    return np.argsort(np.asarray(times), kind="stable")


@pytest.fixture(scope="session")
def order():
    return time_order


def _tol(entities, times, values, window) -> np.ndarray:
    """Allowed |sum error| per row (R2): 1e-9 x (sum of |values| in the window + the largest
    |value| the entity has had so far)."""
    idx = time_order(times)
    out = np.empty(len(idx))
    abs_sum = pandas_features(entities, times, np.abs(values), window)["sum"]
    biggest: dict[int, float] = {}
    for i in idx:
        e = int(entities[i])
        biggest[e] = max(biggest.get(e, 0.0), abs(float(values[i])))
        out[i] = 1e-9 * (abs_sum[i] + biggest[e]) + 1e-12
    return out


def compare_columns(got, want, entities, times, values, window, *, what: str, hint: str):
    """``got`` (four columns: count, sum, mean, max) equals ``want`` (the oracle's dict): count
    and max exactly, sum and mean within R2's tolerance; else fail at the first bad row."""
    try:
        count, total, mean, maximum = (np.asarray(c) for c in tuple(got)[:4])
    except (TypeError, ValueError):
        raise AssertionError(
            f"{what} returned {type(got).__name__}, not four columns; R6"
        ) from None
    n = len(want["count"])
    for name, col in (("count", count), ("sum", total), ("mean", mean), ("max", maximum)):
        if col.shape != (n,):
            raise AssertionError(
                f"{what}: column {name} has shape {col.shape}, expected ({n},); R6"
            )
    tol = _tol(entities, times, values, window)
    bad = (count != want["count"]) | (np.abs(total - want["sum"]) > tol)
    bad |= ~((maximum == want["max"]) | (np.isnan(maximum) & np.isnan(want["max"])))
    with np.errstate(invalid="ignore"):
        bad |= ~(np.abs(mean - want["mean"]) <= tol / np.maximum(want["count"], 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {n} rows wrong; first, row {i} (entity "
            f"{int(entities[i])}, t={int(times[i])}): got (count, sum, mean, max) = "
            f"({count[i]}, {total[i]:.9g}, {mean[i]:.9g}, {maximum[i]:.9g}), expected count "
            f"{int(want['count'][i])}. {hint}"
        )


@pytest.fixture(scope="session")
def compare():
    """``compare(got, want, entities, times, values, window, what=..., hint=...)``."""
    return compare_columns


@pytest.fixture(scope="module")
def drive(inside, sol):
    """The suite's drivers (inside.py) in the candidate's sandbox."""
    return inside(sol)
