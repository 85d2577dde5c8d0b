# kills: test_correctness.py::test_optimal_vs_brute_force
# breaks: R3
"""Mutant: greedy by gain per unit of latency (a cross priced with the bases it still needs)."""

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
    """An int64 array of whole numbers: integer dtypes, or floats holding whole numbers
    (``[]`` is float64 for numpy, ``[40.0]`` is a latency of 40)."""
    arr = np.asarray(values)
    whole = arr.dtype.kind in "iu" or (
        arr.dtype.kind == "f"
        and bool(np.isfinite(arr).all())
        and bool((arr == np.round(arr)).all())
    )
    if arr.ndim != ndim or (arr.size and not whole):
        raise ValueError(
            f"{name} must be a {ndim}-D array of whole numbers, got {arr.dtype} {arr.shape}"
        )
    return arr.astype(np.int64)


def _float_array(values, name):
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or not np.isfinite(arr).all():
        raise ValueError(f"{name} must be a 1-D array of finite numbers")
    return arr


def select_features(base_cost, base_gain, cross_cost, cross_gain, cross_parents,
                    budget: int) -> Selection:  # fmt: skip
    """Greedy by gain per latency."""
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
    chosen_bases, crosses, spent = set(), [], 0
    while True:
        best, best_ratio = None, 0.0
        for i in range(nb):
            if i not in chosen_bases and bg[i] > 0 and spent + bc[i] <= budget:
                ratio = bg[i] / max(int(bc[i]), 1e-9)
                if ratio > best_ratio:
                    best, best_ratio = ("b", i, int(bc[i])), ratio
        for j in range(nc):
            if j in crosses:
                continue
            extra = int(cc[j]) + sum(int(bc[p]) for p in parents[j] if p not in chosen_bases)
            value = cg[j] + sum(bg[p] for p in parents[j] if p not in chosen_bases)
            if value > 0 and spent + extra <= budget and value / max(extra, 1e-9) > best_ratio:
                best, best_ratio = ("c", j, extra), value / max(extra, 1e-9)
        if best is None:
            break
        kind, i, extra = best
        spent += extra
        if kind == "b":
            chosen_bases.add(i)
        else:
            crosses.append(i)
            chosen_bases.update(int(p) for p in parents[i])
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
