# kills: test_correctness.py::test_ab_sample_size_closed_form
"""Mutant: rounds the sample size to the nearest int instead of up (an under-powered test half the time)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np


class DelayedThompsonBandit:
    """Beta-Bernoulli Thompson sampling whose rewards arrive late, keyed by decision id."""

    def __init__(self, n_arms: int, seed: int, prior_alpha: float = 1.0, prior_beta: float = 1.0):
        if isinstance(n_arms, bool) or not isinstance(n_arms, int) or n_arms < 1:
            raise ValueError(f"n_arms must be a positive int, got {n_arms!r}")
        if not (prior_alpha > 0 and prior_beta > 0):
            raise ValueError("the Beta prior parameters must be positive")
        self._rng = np.random.default_rng(seed)
        self._alpha = np.full(n_arms, float(prior_alpha))
        self._beta = np.full(n_arms, float(prior_beta))
        self._arms = np.empty(1024, dtype=np.int64)  # arm of each decision id
        self._done = np.zeros(1024, dtype=bool)  # reward recorded
        self._next = 0
        self._pending = 0

    @property
    def n_arms(self) -> int:
        """Number of arms."""
        return int(self._alpha.shape[0])

    def _grow(self, extra: int) -> None:
        need = self._next + extra
        if need <= self._arms.shape[0]:
            return
        size = max(need, 2 * self._arms.shape[0])
        arms = np.empty(size, dtype=np.int64)
        arms[: self._next] = self._arms[: self._next]
        done = np.zeros(size, dtype=bool)
        done[: self._next] = self._done[: self._next]
        self._arms, self._done = arms, done

    def choose(self) -> tuple[int, int]:
        """One decision: ``(decision_id, arm)``."""
        ids, arms = self.choose_batch(1)
        return int(ids[0]), int(arms[0])

    def choose_batch(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``k`` decisions on the current posterior: ``(decision_ids, arms)``, int64 (k,)."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"k must be a non-negative int, got {k!r}")
        k = int(k)
        draws = self._rng.beta(self._alpha, self._beta, size=(k, self.n_arms))
        arms = np.argmax(draws, axis=1).astype(np.int64)
        self._grow(k)
        ids = np.arange(self._next, self._next + k, dtype=np.int64)
        self._arms[self._next : self._next + k] = arms
        self._next += k
        self._pending += k
        return ids, arms

    def record_reward(self, decision_id: int, reward: int) -> None:
        """The reward (0 or 1) of one earlier decision."""
        self.record_rewards(np.array([decision_id]), np.array([reward]))

    def record_rewards(self, decision_ids, rewards) -> None:
        """Rewards of earlier decisions, in any order; all-or-nothing on error."""
        ids = np.asarray(decision_ids)
        r = np.asarray(rewards)
        if ids.ndim != 1 or r.shape != ids.shape:
            raise ValueError(f"need 1-D ids and rewards of one length, got {ids.shape}, {r.shape}")
        if ids.size == 0:
            return
        if ids.dtype.kind not in "iu":
            raise KeyError(f"decision ids must be ints, got dtype {ids.dtype}")
        if r.dtype == np.bool_:
            r = r.astype(np.int64)
        if r.dtype.kind not in "iu" or ((r != 0) & (r != 1)).any():
            raise ValueError("rewards must be 0 or 1")
        unknown = (ids < 0) | (ids >= self._next)
        if unknown.any():
            raise KeyError(f"unknown decision id {int(ids[np.argmax(unknown)])}")
        if self._done[ids].any():
            raise ValueError(f"reward already recorded for decision {int(ids[self._done[ids]][0])}")
        if np.unique(ids).size != ids.size:
            raise ValueError("a decision id appears twice in one batch of rewards")
        arms = self._arms[ids]
        wins = np.bincount(arms, weights=r, minlength=self.n_arms)
        pulls = np.bincount(arms, minlength=self.n_arms)
        self._alpha += wins
        self._beta += pulls - wins
        self._done[ids] = True
        self._pending -= ids.size

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the posterior parameters ``(alpha, beta)``, float64 (n_arms,)."""
        return self._alpha.copy(), self._beta.copy()

    @property
    def pending(self) -> int:
        """Decisions whose reward has not arrived yet."""
        return self._pending


def ab_sample_size(p_control: float, p_treatment: float, alpha: float = 0.05,
                   power: float = 0.8) -> int:  # fmt: skip
    """Per-group size of a two-sided two-proportion z-test at level ``alpha`` and ``power``.

    n = (z_{1-alpha/2} sqrt(2 pbar (1 - pbar)) + z_{power} sqrt(p1 (1 - p1) + p2 (1 - p2)))^2
        / (p1 - p2)^2, pbar = (p1 + p2) / 2, rounded up.
    """
    for name, value in (("p_control", p_control), ("p_treatment", p_treatment),
                        ("alpha", alpha), ("power", power)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number, got {value!r}")
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must lie in (0, 1), got {value!r}")
    if p_control == p_treatment:
        raise ValueError("p_control and p_treatment must differ")
    p1, p2 = float(p_control), float(p_treatment)
    z_alpha = NormalDist().inv_cdf(1.0 - alpha / 2.0)
    z_power = NormalDist().inv_cdf(power)
    pbar = (p1 + p2) / 2.0
    root = z_alpha * math.sqrt(2.0 * pbar * (1.0 - pbar)) + z_power * math.sqrt(
        p1 * (1.0 - p1) + p2 * (1.0 - p2)
    )
    return round(root * root / (p1 - p2) ** 2)
