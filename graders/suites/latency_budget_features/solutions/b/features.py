"""Style B: subset-doubling DP. Subsets are built base by base: the block of subsets whose top
base is q starts as a copy of the lower block, then only the crosses whose higher parent is q
are added (keeping, per cross, its boolean take-table for exact backtracking); numpy for the
hash via np.frombuffer on the concatenated little-endian digests."""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class Selection(NamedTuple):
    """The chosen features, their summed gain and their total latency."""

    bases: np.ndarray  # int64, ascending indices of the computed base features
    crosses: np.ndarray  # int64, ascending indices of the selected crosses
    gain: float
    cost: int


def _as_index(v, what):
    if isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{what} must be an int, not a bool")
    try:
        return operator.index(v)
    except TypeError as exc:
        raise ValueError(f"{what} must be an int") from exc


def _integers(x, what):
    a = np.asarray(x)
    if a.size == 0:
        return a.astype(np.int64)
    if np.issubdtype(a.dtype, np.integer):
        return a.astype(np.int64)
    if np.issubdtype(a.dtype, np.floating):
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(a).all() and (a == np.trunc(a)).all()
        if ok:
            return a.astype(np.int64)
    raise ValueError(f"{what}: expected integer values")


def _gains(x, what):
    a = np.asarray(x)
    if a.size and not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ValueError(f"{what}: expected numbers")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{what}: gains must be finite")
    return a


def select_features(base_cost, base_gain, cross_cost, cross_gain, cross_parents,
                    budget: int) -> Selection:  # fmt: skip
    """The feature set of maximal total gain whose total latency is <= ``budget``."""
    b_cost = _integers(base_cost, "base_cost")
    b_gain = _gains(base_gain, "base_gain")
    x_cost = _integers(cross_cost, "cross_cost")
    x_gain = _gains(cross_gain, "cross_gain")
    parents = _integers(cross_parents, "cross_parents")
    if b_cost.ndim != 1 or b_gain.shape != b_cost.shape:
        raise ValueError("base arrays: shapes differ")
    if x_cost.ndim != 1 or x_gain.shape != x_cost.shape:
        raise ValueError("cross arrays: shapes differ")
    n_b, n_x = len(b_cost), len(x_cost)
    if parents.size == 0 and n_x == 0:
        parents = parents.reshape(0, 2)
    if parents.shape != (n_x, 2):
        raise ValueError("cross_parents must have shape (C, 2)")
    if n_b > 10:
        raise ValueError("more than 10 base features")
    if n_x > 200:
        raise ValueError("more than 200 crosses")
    if b_cost.size and b_cost.min() < 0 or x_cost.size and x_cost.min() < 0:
        raise ValueError("negative latency")
    if n_x:
        if parents.min() < 0 or parents.max() >= n_b:
            raise ValueError("parent index out of range")
        if np.any(parents[:, 0] == parents[:, 1]):
            raise ValueError("a cross has twice the same parent")
    cap = _as_index(budget, "budget")
    if cap < 0 or cap > 1000:
        raise ValueError("budget must be in 0..1000")

    lo = np.minimum(parents[:, 0], parents[:, 1]) if n_x else np.zeros(0, np.int64)
    hi = np.maximum(parents[:, 0], parents[:, 1]) if n_x else np.zeros(0, np.int64)
    W = cap + 1

    # best[S, w]: max cross gain with crosses inside S, cross cost <= w
    best = np.zeros((1 << n_b, W))
    # takes[j] = (bool table over the subsets of its block that contain lo, capacities)
    takes: dict[int, np.ndarray] = {}
    block_order: list[list[int]] = []
    for q in range(n_b):
        half = 1 << q
        block = best[half : 2 * half]
        block[:] = best[:half]  # subsets whose highest base is q, before q's crosses
        js = [j for j in range(n_x) if hi[j] == q and x_gain[j] > 0 and x_cost[j] <= cap]
        block_order.append(js)
        # rows of the block (offset within block) whose subset contains the lower parent
        offsets = np.arange(half)
        for j in js:
            rows = offsets[((offsets >> lo[j]) & 1) == 1]
            c, g = int(x_cost[j]), float(x_gain[j])
            cur = block[rows]
            cand = np.full_like(cur, -np.inf)
            cand[:, c:] = cur[:, : W - c] + g
            better = cand > cur
            takes[j] = better
            block[rows] = np.where(better, cand, cur)

    # evaluate every base subset
    subsets = np.arange(1 << n_b)
    member = ((subsets[:, None] >> np.arange(n_b)) & 1).astype(bool)
    s_cost = (member * b_cost).sum(axis=1)
    s_gain = (member * b_gain).sum(axis=1)
    value = np.where(
        s_cost <= cap, s_gain + best[subsets, np.clip(cap - s_cost, 0, cap)], -np.inf
    )
    S = int(np.argmax(value))
    w = cap - int(s_cost[S])

    # backtrack: walk the blocks from the top base of S downwards
    chosen = []
    sub = S
    while sub:
        q = sub.bit_length() - 1
        off = sub - (1 << q)
        for j in reversed(block_order[q]):
            if (off >> lo[j]) & 1:
                # row index of `off` among the block offsets that contain lo[j]
                rows_before = np.count_nonzero(((np.arange(off) >> lo[j]) & 1) == 1)
                if takes[j][rows_before, w]:
                    chosen.append(j)
                    w -= int(x_cost[j])
        sub = off  # the block started as a copy of subset `off`
    crosses = np.array(sorted(chosen), dtype=np.int64)
    bases = np.flatnonzero(member[S]).astype(np.int64)
    total_cost = int(b_cost[bases].sum()) + int(x_cost[crosses].sum())
    total_gain = float(b_gain[bases].sum()) + float(x_gain[crosses].sum())
    return Selection(bases, crosses, total_gain, total_cost)


def hash_cross(a_values: Sequence[str], b_values: Sequence[str], table_size: int) -> np.ndarray:
    """Bucket of each (a, b) pair in a table of ``table_size`` rows (int64 array)."""
    size = _as_index(table_size, "table_size")
    if size < 1:
        raise ValueError("table_size must be >= 1")
    if len(a_values) != len(b_values):
        raise ValueError("a_values and b_values differ in length")
    chunks = []
    for a, b in zip(a_values, b_values):
        if not (isinstance(a, str) and isinstance(b, str)):
            raise ValueError("every value must be a str")
        chunks.append(hashlib.blake2b(f"{a}\x1f{b}".encode(), digest_size=8).digest())
    raw = np.frombuffer(b"".join(chunks), dtype="<u8")
    if size >= 1 << 64:
        buckets = raw  # every 64-bit value is already below table_size
    else:
        buckets = raw % np.uint64(size)
    return buckets.astype(np.int64)
