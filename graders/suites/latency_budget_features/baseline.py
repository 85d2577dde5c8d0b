"""The bar of latency_budget_features' performance gate (baseline sandbox only): a plain
vectorised exact ``select_features``, as the statement asks for it and no more.

Every subset of base features is a row of one (2^B, budget + 1) table of best cross gains per
capacity; the crosses are 0/1 knapsack items applied one by one to the rows whose subset holds
both parents (boolean row selection, a copy per cross: no strided-view tuning). The best
subset is then re-solved alone to recover its crosses.
"""

from __future__ import annotations

import numpy as np


def select_features(base_cost, base_gain, cross_cost, cross_gain, cross_parents, budget):
    """Returns ``(bases, crosses, gain, cost)``."""
    bc = np.asarray(base_cost, dtype=np.int64)
    bg = np.asarray(base_gain, dtype=np.float64)
    cc = np.asarray(cross_cost, dtype=np.int64)
    cg = np.asarray(cross_gain, dtype=np.float64)
    parents = np.asarray(cross_parents, dtype=np.int64).reshape(-1, 2)
    nb = bc.size
    masks = np.arange(1 << nb)
    bits = (masks[:, None] >> np.arange(nb)) & 1
    subset_cost = bits @ bc
    subset_gain = bits @ bg
    need = (1 << parents[:, 0]) | (1 << parents[:, 1])
    table = np.zeros((masks.size, budget + 1))
    for j in range(cc.size):
        c = int(cc[j])
        if c > budget:
            continue
        rows = (masks & need[j]) == need[j]
        block = table[rows]
        block[:, c:] = np.maximum(block[:, c:], block[:, : budget + 1 - c] + cg[j])
        table[rows] = block
    feasible = np.flatnonzero(subset_cost <= budget)
    totals = subset_gain[feasible] + table[feasible, budget - subset_cost[feasible]]
    best = int(feasible[int(np.argmax(totals))])
    capacity = budget - int(subset_cost[best])
    enabled = [j for j in range(cc.size) if (need[j] & best) == need[j] and cc[j] <= capacity]
    row = np.zeros(capacity + 1)
    took = np.zeros((len(enabled), capacity + 1), dtype=bool)
    for i, j in enumerate(enabled):
        c = int(cc[j])
        taken = row[: capacity + 1 - c] + cg[j]
        took[i, c:] = taken > row[c:]
        row[c:] = np.maximum(row[c:], taken)
    chosen, left = [], capacity
    for i in range(len(enabled) - 1, -1, -1):
        if took[i, left]:
            chosen.append(enabled[i])
            left -= int(cc[enabled[i]])
    crosses = np.array(sorted(chosen), dtype=np.int64)
    bases = np.flatnonzero(bits[best]).astype(np.int64)
    return (
        bases,
        crosses,
        float(bg[bases].sum() + cg[crosses].sum()),
        int(bc[bases].sum() + cc[crosses].sum()),
    )
