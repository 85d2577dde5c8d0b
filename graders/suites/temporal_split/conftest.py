"""Fixtures of the temporal_split hidden suite: the modules and a pandas oracle."""

import numpy as np
import pandas as pd
import pytest


def _oracle_splits(timestamps, user_ids, test_starts, test_duration, gap):
    """The statement's rules, written with pandas boolean indexing."""
    df = pd.DataFrame({"t": timestamps, "user": user_ids})
    folds = []
    for start in test_starts:
        test = df[(df.t >= start) & (df.t < start + test_duration)]
        train = df[(df.t < start - gap) & ~df.user.isin(set(test.user))]
        folds.append((train.index.to_numpy(np.int64), test.index.to_numpy(np.int64)))
    return folds


@pytest.fixture(scope="session")
def oracle_splits():
    """``oracle_splits(timestamps, user_ids, test_starts, test_duration, gap)``."""
    return _oracle_splits


def _shuffled_log(rng: np.random.Generator, n: int, users: int, horizon: int = 100_000):
    """A log of ``n`` rows in random order: timestamps in [0, horizon), ``users`` users."""
    t = rng.integers(0, horizon, size=n).astype(np.int64)
    u = rng.integers(0, users, size=n).astype(np.int64)
    return t, u


@pytest.fixture(scope="session")
def shuffled_log():
    """``shuffled_log(rng, n, users, horizon=100_000)``: timestamps and users, rows unsorted."""
    return _shuffled_log
