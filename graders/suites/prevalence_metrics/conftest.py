"""Fixtures of the prevalence_metrics hidden suite: the modules and a skewed validation set."""

import numpy as np
import pytest


def _skewed_validation(rng: np.random.Generator, n: int, decimals: int | None = 2):
    """A curated validation set: about 30% positives (production has ~1%), scores with
    ``decimals`` decimals (ties) or continuous, the top-scored sample always a negative."""
    y = (rng.random(n) < 0.3).astype(np.int64)
    y[:2] = [1, 0]
    s = 1.0 / (1.0 + np.exp(-(rng.normal(size=n) + 1.6 * y)))
    if decimals is not None:
        s = np.round(s, decimals)
    s[1] = s.max() + 0.5  # a negative above everything: TP = 0 at the top threshold
    perm = rng.permutation(n)
    return y[perm], s[perm]


@pytest.fixture(scope="session")
def skewed_validation():
    """``skewed_validation(rng, n, decimals=2)``: labels and scores of a curated sample."""
    return _skewed_validation


def _weights(y: np.ndarray, pi: float) -> np.ndarray:
    pv = y.mean()
    return np.where(y == 1, pi / pv, (1 - pi) / (1 - pv))


@pytest.fixture(scope="session")
def importance_weights():
    """``importance_weights(y, pi)``: sample weights that turn the validation class balance
    into the production one (positives pi / pi_val, negatives (1 - pi) / (1 - pi_val))."""
    return _weights
