# kills: test_correctness.py::test_hash_cross_matches_spec
"""Mutant: reads the 8-byte digest as a signed int64 (numpy), so half the buckets differ."""

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
    """The feature set of maximal total gain whose total latency is <= budget."""
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

    masks = np.arange(1 << nb, dtype=np.int64)
    bits = (masks[:, None] >> np.arange(nb)) & 1  # (2^nb, nb)
    subset_cost = bits @ bc
    subset_gain = bits.astype(np.float64) @ bg
    need = (np.int64(1) << parents[:, 0]) | (np.int64(1) << parents[:, 1])

    # table[m, c]: the best cross gain with capacity c using crosses enabled by subset m
    table = np.zeros((masks.size, budget + 1))
    for j in range(nc):
        rows = np.flatnonzero((masks & need[j]) == need[j])
        c = int(cc[j])
        if c > budget:
            continue
        block = table[rows]
        taken = block[:, : budget + 1 - c] + cg[j]
        block[:, c:] = np.maximum(block[:, c:], taken)
        table[rows] = block

    feasible = np.flatnonzero(subset_cost <= budget)
    totals = subset_gain[feasible] + table[feasible, budget - subset_cost[feasible]]
    best = int(feasible[int(np.argmax(totals))])
    capacity = budget - int(subset_cost[best])

    # recover the crosses of the best subset: the same knapsack, one row, with its choices
    enabled = np.flatnonzero((need & best) == need)
    row = np.zeros(capacity + 1)
    took = np.zeros((enabled.size, capacity + 1), dtype=bool)
    for i, j in enumerate(enabled):
        c = int(cc[j])
        if c > capacity:
            continue
        taken = row[: capacity + 1 - c] + cg[j]
        better = taken > row[c:]
        took[i, c:] = better
        row[c:] = np.where(better, taken, row[c:])
    chosen, left = [], capacity
    for i in range(enabled.size - 1, -1, -1):
        if took[i, left]:
            chosen.append(int(enabled[i]))
            left -= int(cc[enabled[i]])
    crosses = np.array(sorted(chosen), dtype=np.int64)
    bases = np.flatnonzero(bits[best]).astype(np.int64)
    gain = float(bg[bases].sum() + cg[crosses].sum())
    cost = int(bc[bases].sum() + cc[crosses].sum())
    return Selection(bases, crosses, gain, cost)


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
        out[i] = int(np.frombuffer(digest, dtype="<i8")[0]) % int(table_size)
    return out
