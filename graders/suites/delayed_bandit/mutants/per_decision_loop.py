# kills: test_perf.py::test_batch_decisions_and_rewards_vs_baseline
# breaks: R11
"""Mutant: correct, but one Beta draw call per decision and a Python loop per reward (a dict of pending decisions)."""

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
        self._waiting: dict[int, int] = {}
        self._next = 0

    @property
    def n_arms(self) -> int:
        return int(self._alpha.shape[0])

    def choose(self) -> tuple[int, int]:
        ids, arms = self.choose_batch(1)
        return int(ids[0]), int(arms[0])

    def choose_batch(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"k must be a non-negative int, got {k!r}")
        ids, arms = [], []
        for _ in range(int(k)):  # one decision at a time, as choose() would
            arm = int(np.argmax(self._rng.beta(self._alpha, self._beta)))
            self._waiting[self._next] = arm
            ids.append(self._next)
            arms.append(arm)
            self._next += 1
        return np.array(ids, dtype=np.int64), np.array(arms, dtype=np.int64)

    def record_reward(self, decision_id: int, reward: int) -> None:
        self.record_rewards([decision_id], [reward])

    def record_rewards(self, decision_ids, rewards) -> None:
        ids = [int(i) for i in decision_ids]
        rs = [int(r) for r in rewards]
        if len(ids) != len(rs):
            raise ValueError("ids and rewards differ in length")
        if len(set(ids)) != len(ids):
            raise ValueError("a decision id appears twice in one batch of rewards")
        for i, r in zip(ids, rs):
            if not 0 <= i < self._next:
                raise KeyError(f"unknown decision id {i}")
            if i not in self._waiting:
                raise ValueError(f"reward already recorded for decision {i}")
            if r not in (0, 1):
                raise ValueError("rewards must be 0 or 1")
        for i, r in zip(ids, rs):
            arm = self._waiting.pop(i)
            self._alpha[arm] += r
            self._beta[arm] += 1 - r

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        return self._alpha.copy(), self._beta.copy()

    @property
    def pending(self) -> int:
        return len(self._waiting)


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
    return math.ceil(root * root / (p1 - p2) ** 2)
