# kills: test_correctness.py::test_sla_never_exceeded_200_features
"""Mutant: a knapsack over bases and crosses at their own latency; a selected cross brings its base features along unpaid (dependency cost counted not at all)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

MAX_BASES, MAX_CROSSES, MAX_BUDGET = 10, 200, 1000


class Selection(NamedTuple):
    """The chosen features, their summed gain and their total latency."""

    bases: np.ndarray  # int64, ascending indices of the computed base features
    crosses: np.ndarray  # int64, ascending indices of the selected crosses
    gain: float
    cost: int


def _int_array(values, name, ndim=1):
    arr = np.asarray(values)
    if arr.ndim != ndim or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"{name} must be a {ndim}-D integer array, got {arr.dtype} {arr.shape}")
    return arr.astype(np.int64)


def _float_array(values, name):
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or not np.isfinite(arr).all():
        raise ValueError(f"{name} must be a 1-D array of finite numbers")
    return arr


def select_features(base_cost, base_gain, cross_cost, cross_gain, cross_parents,
                    budget: int) -> Selection:  # fmt: skip
    """Knapsack over all features, each item with its own latency."""
    bc, bg = _int_array(base_cost, "base_cost"), _float_array(base_gain, "base_gain")
    cc, cg = _int_array(cross_cost, "cross_cost"), _float_array(cross_gain, "cross_gain")
    parents = _int_array(np.reshape(cross_parents, (-1, 2)) if np.size(cross_parents) == 0
                         else cross_parents, "cross_parents", ndim=2)  # fmt: skip
    nb, nc = bc.shape[0], cc.shape[0]
    if bg.shape != (nb,) or cg.shape != (nc,) or parents.shape != (nc, 2):
        raise ValueError("costs, gains and parents do not have matching shapes")
    if nb > MAX_BASES or nc > MAX_CROSSES:
        raise ValueError(f"at most {MAX_BASES} base features and {MAX_CROSSES} crosses")
    if (bc < 0).any() or (cc < 0).any():
        raise ValueError("costs must be >= 0")
    if nc and (parents.min() < 0 or parents.max() >= nb or (parents[:, 0] == parents[:, 1]).any()):
        raise ValueError("each cross needs two distinct base features in [0, n_bases)")
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)):
        raise ValueError(f"budget must be an int, got {budget!r}")
    if not 0 <= budget <= MAX_BUDGET:
        raise ValueError(f"budget must lie in [0, {MAX_BUDGET}]")
    budget = int(budget)
    # items: the bases and the crosses, each with its own latency and gain
    cost = np.r_[bc, cc]
    value = np.r_[bg, cg]
    row = np.zeros(budget + 1)
    took = np.zeros((cost.size, budget + 1), dtype=bool)
    for i in range(cost.size):
        c = int(cost[i])
        if c > budget:
            continue
        taken = row[: budget + 1 - c] + value[i]
        better = taken > row[c:]
        took[i, c:] = better
        row[c:] = np.where(better, taken, row[c:])
    left, items = budget, []
    for i in range(cost.size - 1, -1, -1):
        if took[i, left]:
            items.append(i)
            left -= int(cost[i])
    chosen_bases, crosses = set(), []
    for i in items:
        if i < nb:
            chosen_bases.add(i)
        else:
            crosses.append(i - nb)
            chosen_bases.update(int(p) for p in parents[i - nb])
    bases = np.array(sorted(chosen_bases), dtype=np.int64)
    crosses = np.array(sorted(crosses), dtype=np.int64)
    gain = float(bg[bases].sum() + cg[crosses].sum())
    cost_total = int(bc[bases].sum() + cc[crosses].sum())
    return Selection(bases, crosses, gain, cost_total)


def hash_cross(a_values: Sequence[str], b_values: Sequence[str], table_size: int) -> np.ndarray:
    """Bucket of each (a, b) pair: BLAKE2b (8-byte digest, little-endian) of the UTF-8 bytes of
    ``a + "\\x1f" + b``, modulo ``table_size``; int64 array."""
    if isinstance(table_size, bool) or not isinstance(table_size, (int, np.integer)):
        raise ValueError(f"table_size must be an int, got {table_size!r}")
    if table_size < 1:
        raise ValueError("table_size must be >= 1")
    a_list, b_list = list(a_values), list(b_values)
    if len(a_list) != len(b_list):
        raise ValueError("a_values and b_values differ in length")
    out = np.empty(len(a_list), dtype=np.int64)
    for i, (a, b) in enumerate(zip(a_list, b_list, strict=True)):
        if not isinstance(a, str) or not isinstance(b, str):
            raise ValueError("cross values must be str")
        digest = hashlib.blake2b(f"{a}\x1f{b}".encode(), digest_size=8).digest()
        out[i] = int.from_bytes(digest, "little") % int(table_size)
    return out
