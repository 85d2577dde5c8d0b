"""Fixtures of the coreset_selection hidden suite: the modules and brute-force oracles written
with numpy and scipy (entropy, k-center greedy with direct float64 distances, the candidate
pool of select_batch)."""

import numpy as np
import pytest
from scipy import special, stats


def oracle_entropy(logits: np.ndarray) -> np.ndarray:
    """scipy's entropy (0 log 0 = 0) of scipy's softmax, per row."""
    return stats.entropy(special.softmax(logits.astype(np.float64), axis=1), axis=1)


def oracle_greedy(x: np.ndarray, k: int, init: np.ndarray | None = None) -> list[int]:
    """k-center greedy by brute force: squared distances by direct differences; ``init`` the
    squared distance of each row to the initial centres (None: the first pick is row 0);
    ties to the lowest index (np.argmax)."""
    x = x.astype(np.float64)
    n = x.shape[0]
    nearest = np.full(n, np.inf) if init is None else init.astype(np.float64).copy()
    taken = np.zeros(n, dtype=bool)
    picks = []
    for t in range(k):
        if t == 0 and init is None:
            i = 0
        else:
            i = int(np.argmax(np.where(taken, -1.0, nearest)))
        picks.append(i)
        taken[i] = True
        nearest = np.minimum(nearest, ((x - x[i]) ** 2).sum(axis=1))
    return picks


def oracle_k_center(x: np.ndarray, k: int, labelled=()) -> list[int]:
    """k_center_greedy over all rows with ``labelled`` as initial centres."""
    labelled = list(labelled)
    if not labelled:
        return oracle_greedy(x, k)
    keep = np.array([i for i in range(x.shape[0]) if i not in set(labelled)])
    init = np.min(((x[keep][:, None, :] - x[labelled][None, :, :]) ** 2).sum(-1), axis=1)
    return [int(keep[i]) for i in oracle_greedy(x[keep], k, init)]


def oracle_select(logits, x, k, labelled=(), pool_size=None) -> list[int]:
    """select_batch: top-pool_size entropy candidates (stable), then greedy over them."""
    labelled = list(labelled)
    h = oracle_entropy(logits)
    free = [i for i in np.argsort(-h, kind="stable") if i not in set(labelled)]
    pool = pool_size if pool_size is not None else min(len(free), 10 * k)
    cand = np.array(free[:pool])
    if not labelled:
        picks = oracle_greedy(x[cand], k)
    else:
        init = np.min(((x[cand][:, None, :] - x[labelled][None, :, :]) ** 2).sum(-1), axis=1)
        picks = oracle_greedy(x[cand], k, init)
    return [int(cand[i]) for i in picks]


@pytest.fixture(scope="session")
def oracle():
    """The oracles: entropy, greedy, k_center, select."""

    class Oracle:
        entropy = staticmethod(oracle_entropy)
        greedy = staticmethod(oracle_greedy)
        k_center = staticmethod(oracle_k_center)
        select = staticmethod(oracle_select)

    return Oracle
