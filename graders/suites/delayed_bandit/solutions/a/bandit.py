"""Style A: stored float64 alpha/beta arrays updated in place; per-decision arm and 'rewarded'
flag kept in growable numpy buffers (capacity doubling); bincount updates."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _is_real(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


class DelayedThompsonBandit:
    """Beta-Bernoulli Thompson sampling whose rewards arrive late, keyed by decision id."""

    def __init__(self, n_arms: int, seed: int, prior_alpha: float = 1.0, prior_beta: float = 1.0):
        if not _is_int(n_arms) or n_arms < 1:
            raise ValueError("n_arms must be a positive int")
        for p in (prior_alpha, prior_beta):
            if not _is_real(p) or not (0.0 < float(p) < math.inf):
                raise ValueError("prior parameters must be positive numbers")
        self._n_arms = int(n_arms)
        self._alpha = np.full(self._n_arms, float(prior_alpha), dtype=np.float64)
        self._beta = np.full(self._n_arms, float(prior_beta), dtype=np.float64)
        self._rng = np.random.default_rng(seed)
        self._arm = np.empty(1024, dtype=np.int64)  # arm of each decision id
        self._done = np.zeros(1024, dtype=bool)  # reward recorded?
        self._issued = 0
        self._rewarded = 0

    def _grow(self, need: int) -> None:
        cap = self._arm.shape[0]
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        arm = np.empty(cap, dtype=np.int64)
        arm[: self._issued] = self._arm[: self._issued]
        done = np.zeros(cap, dtype=bool)
        done[: self._issued] = self._done[: self._issued]
        self._arm, self._done = arm, done

    def choose(self) -> tuple[int, int]:
        ids, arms = self.choose_batch(1)
        return int(ids[0]), int(arms[0])

    def choose_batch(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if not _is_int(k) or k < 0:
            raise ValueError("k must be a non-negative int")
        k = int(k)
        draws = self._rng.beta(self._alpha, self._beta, size=(k, self._n_arms))
        arms = np.argmax(draws, axis=1).astype(np.int64)  # first maximum: lowest arm
        start = self._issued
        self._grow(start + k)
        self._arm[start:start + k] = arms
        self._issued = start + k
        return np.arange(start, start + k, dtype=np.int64), arms

    def record_reward(self, decision_id: int, reward: int) -> None:
        self.record_rewards(np.array([decision_id]), np.array([reward]))

    def record_rewards(self, decision_ids, rewards) -> None:
        ids = np.asarray(decision_ids)
        rew = np.asarray(rewards)
        if ids.ndim != 1 or rew.ndim != 1 or ids.shape != rew.shape:
            raise ValueError("decision_ids and rewards must be 1-D arrays of one length")
        if ids.size == 0:
            return
        # ids: integers (integral floats tolerated); anything else was never issued
        if ids.dtype.kind in "iu":
            pass
        elif ids.dtype.kind == "f" and np.all(np.isfinite(ids)) and np.all(ids == np.floor(ids)):
            ids = ids.astype(np.int64)
        else:
            raise KeyError("decision ids must be integers that were issued")
        bad = (ids < 0) | (ids >= self._issued)
        if bad.any():
            raise KeyError(f"decision id {ids[bad][0]!r} was never issued")
        ids = ids.astype(np.int64, copy=False)
        if rew.dtype.kind not in "biuf" or not np.all((rew == 0) | (rew == 1)):
            raise ValueError("rewards must be 0 or 1")
        if np.unique(ids).size != ids.size:
            raise ValueError("a decision id is given twice")
        if self._done[ids].any():
            raise ValueError("a reward was already recorded for a decision")
        win = rew == 1
        arms = self._arm[ids]
        wins = np.bincount(arms[win], minlength=self._n_arms)
        losses = np.bincount(arms[~win], minlength=self._n_arms)
        self._alpha += wins
        self._beta += losses
        self._done[ids] = True
        self._rewarded += ids.size

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        return self._alpha.copy(), self._beta.copy()

    @property
    def pending(self) -> int:
        return int(self._issued - self._rewarded)


def ab_sample_size(p_control: float, p_treatment: float, alpha: float = 0.05,
                   power: float = 0.8) -> int:  # fmt: skip
    """Per-group size of a two-sided two-proportion z-test, rounded up."""
    for v in (p_control, p_treatment, alpha, power):
        if not _is_real(v) or not 0.0 < float(v) < 1.0:
            raise ValueError("every argument must be a number in (0, 1)")
    p1, p2 = float(p_control), float(p_treatment)
    if p1 == p2:
        raise ValueError("p_control and p_treatment must differ")
    z = NormalDist()
    z_a = z.inv_cdf(1.0 - float(alpha) / 2.0)
    z_b = z.inv_cdf(float(power))
    pbar = (p1 + p2) / 2.0
    n = (z_a * math.sqrt(2.0 * pbar * (1.0 - pbar))
         + z_b * math.sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2))) ** 2 / (p1 - p2) ** 2
    return int(math.ceil(n))
