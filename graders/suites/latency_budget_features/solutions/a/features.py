"""Style A: one knapsack table over (base subset, capacity), held as a (2,)*B x (W+1) array so
each cross updates a strided view of the subsets holding both its parents; the chosen subset
is then re-solved as a 1-D knapsack with a keep table for backtracking."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from numbers import Integral
from typing import NamedTuple

import numpy as np


class Selection(NamedTuple):
    """The chosen features, their summed gain and their total latency."""

    bases: np.ndarray  # int64, ascending indices of the computed base features
    crosses: np.ndarray  # int64, ascending indices of the selected crosses
    gain: float
    cost: int


MAX_BASES = 10
MAX_CROSSES = 200
MAX_BUDGET = 1000


def _is_int_scalar(v) -> bool:
    return isinstance(v, Integral) and not isinstance(v, (bool, np.bool_))


def _int_vector(x, name, ndim):
    arr = np.asarray(x)
    if arr.size == 0:
        return np.zeros(arr.shape if arr.ndim == ndim else (0,) * ndim, dtype=np.int64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integers")
        return arr.astype(np.int64)
    raise ValueError(f"{name} must hold integers")


def _float_vector(x, name):
    arr = np.asarray(x)
    if arr.size and arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be numeric")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _validate(base_cost, base_gain, cross_cost, cross_gain, cross_parents, budget):
    bc = _int_vector(base_cost, "base_cost", 1)
    bg = _float_vector(base_gain, "base_gain")
    cc = _int_vector(cross_cost, "cross_cost", 1)
    cg = _float_vector(cross_gain, "cross_gain")
    par = np.asarray(cross_parents)
    if par.size == 0 and cc.shape == (0,):
        par = np.zeros((0, 2), dtype=np.int64)
    else:
        par = _int_vector(par, "cross_parents", 2)
    if bc.ndim != 1 or bg.shape != bc.shape:
        raise ValueError("base_cost and base_gain must be 1-D of one length")
    if cc.ndim != 1 or cg.shape != cc.shape or par.shape != (cc.shape[0], 2):
        raise ValueError("cross_cost (C,), cross_gain (C,) and cross_parents (C, 2) mismatch")
    n_base, n_cross = bc.shape[0], cc.shape[0]
    if n_base > MAX_BASES or n_cross > MAX_CROSSES:
        raise ValueError("at most 10 base features and 200 crosses")
    if (bc < 0).any() or (cc < 0).any():
        raise ValueError("latencies must be >= 0")
    if n_cross and ((par < 0).any() or (par >= n_base).any()):
        raise ValueError("parent index out of range")
    if n_cross and (par[:, 0] == par[:, 1]).any():
        raise ValueError("a cross needs two distinct parents")
    if not _is_int_scalar(budget) or not 0 <= budget <= MAX_BUDGET:
        raise ValueError("budget must be an int in 0..1000")
    return bc, bg, cc, cg, par, int(budget)


def select_features(base_cost, base_gain, cross_cost, cross_gain, cross_parents,
                    budget: int) -> Selection:  # fmt: skip
    """The feature set of maximal total gain whose total latency is <= ``budget``."""
    bc, bg, cc, cg, par, budget = _validate(
        base_cost, base_gain, cross_cost, cross_gain, cross_parents, budget
    )
    n_base = bc.shape[0]
    width = budget + 1
    n_sub = 1 << n_base

    # dp[S, w]: best cross gain using crosses inside subset S with total cross cost <= w
    dp = np.zeros((n_sub, width), dtype=np.float64)
    cube = dp.reshape((2,) * n_base + (width,))  # axis n_base-1-i is bit i of S
    useful = [j for j in range(cc.shape[0]) if cg[j] > 0 and cc[j] <= budget]
    for j in useful:
        p, q = int(par[j, 0]), int(par[j, 1])
        index = [slice(None)] * (n_base + 1)
        index[n_base - 1 - p] = 1
        index[n_base - 1 - q] = 1
        view = cube[tuple(index)]
        c, g = int(cc[j]), float(cg[j])
        if c == 0:
            view += g
        else:
            np.maximum(view[..., c:], view[..., : width - c] + g, out=view[..., c:])

    # cost and gain of every base subset
    bits = (np.arange(n_sub)[:, None] >> np.arange(n_base)[None, :]) & 1
    sub_cost = bits @ bc if n_base else np.zeros(1, dtype=np.int64)
    sub_gain = bits @ bg if n_base else np.zeros(1)
    feasible = sub_cost <= budget
    total = np.full(n_sub, -np.inf)
    rows = np.flatnonzero(feasible)
    total[rows] = sub_gain[rows] + dp[rows, budget - sub_cost[rows]]
    best = int(np.argmax(total))

    chosen_bases = np.flatnonzero(bits[best]).astype(np.int64) if n_base else np.zeros(0, np.int64)
    in_best = set(chosen_bases.tolist())
    cap = budget - int(sub_cost[best])
    items = [j for j in useful if int(par[j, 0]) in in_best and int(par[j, 1]) in in_best]

    # 1-D knapsack on the chosen subset, with a keep table to recover the crosses
    row = np.zeros(cap + 1)
    keep = np.zeros((len(items), cap + 1), dtype=bool)
    for r, j in enumerate(items):
        c, g = int(cc[j]), float(cg[j])
        if c > cap:
            continue
        cand = np.full(cap + 1, -np.inf)
        cand[c:] = row[: cap + 1 - c] + g
        better = cand > row
        keep[r] = better
        row = np.where(better, cand, row)
    picked = []
    w = cap
    for r in range(len(items) - 1, -1, -1):
        if keep[r, w]:
            j = items[r]
            picked.append(j)
            w -= int(cc[j])
    crosses = np.array(sorted(picked), dtype=np.int64)
    cost = int(bc[chosen_bases].sum() + cc[crosses].sum()) if n_base else 0
    gain = float(bg[chosen_bases].sum() + cg[crosses].sum()) if n_base else 0.0
    return Selection(chosen_bases, crosses, gain, cost)


def hash_cross(a_values: Sequence[str], b_values: Sequence[str], table_size: int) -> np.ndarray:
    """Bucket of each (a, b) pair in a table of ``table_size`` rows (int64 array)."""
    if not _is_int_scalar(table_size) or table_size < 1:
        raise ValueError("table_size must be an int >= 1")
    a_list, b_list = list(a_values), list(b_values)
    if len(a_list) != len(b_list):
        raise ValueError("a_values and b_values differ in length")
    size = int(table_size)
    out = np.empty(len(a_list), dtype=np.int64)
    for i, (a, b) in enumerate(zip(a_list, b_list)):
        if not isinstance(a, str) or not isinstance(b, str):
            raise ValueError("values must be str")
        digest = hashlib.blake2b((a + "\x1f" + b).encode("utf-8"), digest_size=8).digest()
        out[i] = int.from_bytes(digest, "little") % size
    return out
