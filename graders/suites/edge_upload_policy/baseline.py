"""The bar of edge_upload_policy's performance gate (baseline sandbox only): a plain vectorised
O(n log n) ``choose_uploads``, as the statement asks for it and no more.

One ``lexsort`` by (window, level descending, size); then, level by level (8 passes), the
events of that level in sorted order, a cumulative sum of their sizes restarted at each window
(the running total minus its value before the window's first event), compared with what is left
of each window's budget.
"""

from __future__ import annotations

import numpy as np


def choose_uploads(timestamps_ms, sizes, levels, window_ms, budget_bytes):
    t = np.asarray(timestamps_ms, dtype=np.int64)
    size = np.asarray(sizes, dtype=np.int64)
    level = np.asarray(levels, dtype=np.int64)
    chosen = np.zeros(t.size, dtype=bool)
    if t.size == 0:
        return chosen
    window = t // window_ms
    order = np.lexsort((size, -level, window))
    windows, window_id = np.unique(window, return_inverse=True)
    left = np.full(windows.size, budget_bytes, dtype=np.int64)
    level_sorted = level[order]
    for lvl in range(7, -1, -1):
        idx = order[level_sorted == lvl]  # this level's events, by window, then size
        if idx.size == 0:
            continue
        gid, s = window_id[idx], size[idx]
        csum = np.cumsum(s)
        first = np.r_[True, gid[1:] != gid[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(s.size), 0))
        run = csum - csum[start] + s[start]  # cumulative size within the window
        take = run <= left[gid]
        chosen[idx[take]] = True
        left -= np.bincount(gid[take], weights=s[take], minlength=left.size).astype(np.int64)
    return chosen
