"""Fixtures of the edge_upload_policy hidden suite: the modules and objective helpers."""

import numpy as np
import pytest


def _objective(levels: np.ndarray, chosen: np.ndarray) -> tuple[int, ...]:
    """Counts of chosen events per level, level 7 first (compared lexicographically)."""
    return tuple(int(c) for c in np.bincount(levels[chosen], minlength=8)[::-1])


def _brute_force(sizes, levels, budget):
    """Best objective over every subset of one window's events (exhaustive)."""
    n = len(sizes)
    best = None
    for bits in range(1 << n):
        sub = np.array([(bits >> j) & 1 for j in range(n)], dtype=bool)
        if sizes[sub].sum() > budget:
            continue
        key = _objective(levels, sub)
        if best is None or key > best:
            best = key
    return best


@pytest.fixture(scope="session")
def objective():
    """``objective(levels, mask)``: per-level counts, level 7 first."""
    return _objective


@pytest.fixture(scope="session")
def brute_force():
    """``brute_force(sizes, levels, budget)``: the best objective of one window, exhaustively."""
    return _brute_force


def _check_mask(mask, n, what):
    if type(mask) is not np.ndarray or mask.dtype != np.bool_ or mask.shape != (n,):
        raise AssertionError(
            f"{what} returned {type(mask).__name__} {getattr(mask, 'dtype', '')} "
            f"{getattr(mask, 'shape', '')}; R1: a bool numpy array of shape ({n},)"
        )


@pytest.fixture(scope="session")
def check_mask():
    """``check_mask(mask, n, what)``: a bool ndarray of shape (n,)."""
    return _check_mask
