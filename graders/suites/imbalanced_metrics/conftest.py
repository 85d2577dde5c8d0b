"""Fixtures of the imbalanced_metrics hidden suite: the modules and input makers."""

import numpy as np
import pytest


def _tied_sample(rng: np.random.Generator, n: int, rate: float = 0.1, levels: int = 12):
    """Imbalanced labels and bucketed scores (few distinct values, so many ties), with at least
    one score shared by a positive and a negative and both classes present."""
    y = (rng.random(n) < rate).astype(np.int64)
    y[:3] = [1, 1, 0]
    score = rng.integers(0, levels, size=n) + 2 * y
    score[1] = score[2]  # a positive tied with a negative
    perm = rng.permutation(n)
    return y[perm], (score[perm] / 4.0).astype(np.float64)


def _smooth_sample(rng: np.random.Generator, n: int, rate: float = 0.05):
    """Imbalanced labels and continuous scores (no ties)."""
    y = (rng.random(n) < rate).astype(np.int64)
    y[:2] = [1, 0]
    score = rng.normal(size=n) + 1.5 * y
    perm = rng.permutation(n)
    return y[perm], score[perm]


@pytest.fixture(scope="session")
def tied_sample():
    """``tied_sample(rng, n)``: labels and bucketed scores with ties across the classes."""
    return _tied_sample


@pytest.fixture(scope="session")
def smooth_sample():
    """``smooth_sample(rng, n)``: labels and continuous scores."""
    return _smooth_sample
