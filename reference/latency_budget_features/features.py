"""Feature selection under an inference latency SLA, with crosses that share the cost of
their base features, and hashed crosses of fixed memory (reference solution).

Selection. Computing a base feature costs its latency once, however many crosses use it; a
cross costs its own latency and needs both of its base features computed. Maximising the
summed offline gain under the SLA is a precedence-constrained knapsack (Johnson & Niemi 1983,
"On knapsacks, partitions, and a new dynamic programming technique for trees"). With few base
features the shared costs are handled exactly by enumerating the subsets of base features
(at most 2^10); for every subset the crosses it enables are independent 0/1 knapsack items over
the budget left after the bases (Bellman's dynamic programme over integer costs, Kellerer,
Pferschy & Pisinger 2004, "Knapsack Problems", ch. 2). All subsets advance together, one cross
at a time, as rows of one (2^B, budget + 1) table: O(C 2^B budget) vectorised work, each cross
touching the quarter of the rows that hold both its parents through a strided view.

Hashed crosses. The hashing trick (Weinberger et al. 2009, "Feature hashing for large scale
multitask learning") maps a cross's value pair into a table of fixed size, so memory does not
grow with the vocabulary. The hash must be stable across processes and machines (Python's
``hash`` of a str is salted per process), and the pair must be encoded without ambiguity
(a separator byte), so the bucket is BLAKE2b-64 of ``a + "\\x1f" + b`` modulo the table size.
"""

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

    # table[m, c]: the best cross gain with capacity c using crosses enabled by subset m.
    # Seen as a (2,) * nb + (budget + 1,) array (axis nb - 1 - i is base i's bit), the subsets
    # that contain both parents of a cross are a strided view: updated in place, no copies.
    table = np.zeros((masks.size, budget + 1))
    cube = table.reshape((2,) * nb + (budget + 1,))
    for j in range(nc):
        c = int(cc[j])
        if c > budget:
            continue
        index = [slice(None)] * nb
        index[nb - 1 - int(parents[j, 0])] = 1
        index[nb - 1 - int(parents[j, 1])] = 1
        view = cube[tuple(index)]
        np.maximum(view[..., c:], view[..., : budget + 1 - c] + cg[j], out=view[..., c:])

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
        out[i] = int.from_bytes(digest, "little") % int(table_size)
    return out
