"""Style B: integer win/loss counters per arm with the posterior derived on demand
(prior + counts); decisions kept as one int8 status-coded array per issued batch
(arm + 1 while pending, negated once rewarded), concatenated lazily."""

from __future__ import annotations

import math
import numbers
from statistics import NormalDist

import numpy as np


def _number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


class DelayedThompsonBandit:
    """Beta-Bernoulli Thompson sampling whose rewards arrive late, keyed by decision id."""

    def __init__(self, n_arms: int, seed: int, prior_alpha: float = 1.0, prior_beta: float = 1.0):
        if isinstance(n_arms, (bool, np.bool_)) or not isinstance(n_arms, numbers.Integral) or n_arms <= 0:
            raise ValueError("n_arms must be a positive int")
        if not (_number(prior_alpha) and _number(prior_beta)):
            raise ValueError("priors must be numbers")
        if not (0 < prior_alpha < math.inf and 0 < prior_beta < math.inf):
            raise ValueError("priors must be positive")
        self.n_arms = int(n_arms)
        self._prior = (float(prior_alpha), float(prior_beta))
        self._wins = np.zeros(self.n_arms, dtype=np.int64)
        self._losses = np.zeros(self.n_arms, dtype=np.int64)
        self._rng = np.random.default_rng(seed)
        # status code per decision: arm + 1 while pending, -(arm + 1) once rewarded
        # (int16 when there are many arms)
        self._code_dtype = np.int8 if self.n_arms < 127 else (np.int16 if self.n_arms < 32767 else np.int64)
        self._chunks: list[np.ndarray] = []
        self._codes = np.zeros(0, dtype=self._code_dtype)
        self._n_pending = 0

    # --- internal -------------------------------------------------------------------------
    def _status(self) -> np.ndarray:
        if self._chunks:
            self._codes = np.concatenate([self._codes, *self._chunks])
            self._chunks = []
        return self._codes

    def _alpha_beta(self):
        a0, b0 = self._prior
        return a0 + self._wins.astype(np.float64), b0 + self._losses.astype(np.float64)

    # --- decisions ------------------------------------------------------------------------
    def choose(self) -> tuple[int, int]:
        ids, arms = self.choose_batch(1)
        return int(ids[0]), int(arms[0])

    def choose_batch(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 0:
            raise ValueError("k must be a non-negative int")
        k = int(k)
        alpha, beta = self._alpha_beta()
        sample = self._rng.beta(alpha, beta, size=(k, self.n_arms))
        arms = sample.argmax(axis=1).astype(np.int64)
        first = self._n_issued()
        self._chunks.append((arms + 1).astype(self._code_dtype))
        self._n_pending += k
        return np.arange(first, first + k, dtype=np.int64), arms

    def _n_issued(self) -> int:
        return self._codes.shape[0] + sum(c.shape[0] for c in self._chunks)

    # --- rewards --------------------------------------------------------------------------
    def record_reward(self, decision_id: int, reward: int) -> None:
        self.record_rewards([decision_id], [reward])

    def record_rewards(self, decision_ids, rewards) -> None:
        ids = np.array(decision_ids)
        rewards = np.array(rewards)
        if ids.ndim != 1 or rewards.ndim != 1 or len(ids) != len(rewards):
            raise ValueError("mismatched shapes")
        if len(ids) == 0:
            return
        codes = self._status()
        issued = codes.shape[0]
        if ids.dtype.kind not in "iu":
            if ids.dtype.kind != "f" or not np.isfinite(ids).all() or (ids % 1 != 0).any():
                raise KeyError("unknown decision id")
        if ((ids < 0) | (ids >= issued)).any():
            raise KeyError("unknown decision id")
        ids = ids.astype(np.int64)
        if rewards.dtype.kind not in "biuf":
            raise ValueError("rewards must be 0/1")
        ones = rewards == 1
        if not (ones | (rewards == 0)).all():
            raise ValueError("rewards must be 0/1")
        sorted_ids = np.sort(ids)
        if (sorted_ids[1:] == sorted_ids[:-1]).any():
            raise ValueError("an id appears twice in the call")
        mine = codes[ids]
        if (mine < 0).any():
            raise ValueError("a reward was already recorded")
        arm = mine.astype(np.int64) - 1
        self._wins += np.bincount(arm, weights=ones, minlength=self.n_arms).astype(np.int64)
        self._losses += np.bincount(arm, weights=~ones, minlength=self.n_arms).astype(np.int64)
        codes[ids] = -mine
        self._n_pending -= len(ids)

    # --- state ----------------------------------------------------------------------------
    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        return self._alpha_beta()

    @property
    def pending(self) -> int:
        return int(self._n_pending)


def ab_sample_size(p_control: float, p_treatment: float, alpha: float = 0.05,
                   power: float = 0.8) -> int:  # fmt: skip
    """Per-group size of a two-sided two-proportion z-test, rounded up."""
    args = (p_control, p_treatment, alpha, power)
    if not all(_number(a) and 0 < a < 1 for a in args):
        raise ValueError("arguments must be numbers in (0, 1)")
    if p_control == p_treatment:
        raise ValueError("the two conversion rates must differ")
    p1, p2, a, pw = map(float, args)
    std = NormalDist(0.0, 1.0)
    pbar = 0.5 * (p1 + p2)
    null_sd = math.sqrt(2 * pbar * (1 - pbar))
    alt_sd = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    root = std.inv_cdf(1 - a / 2) * null_sd + std.inv_cdf(pw) * alt_sd
    return math.ceil(root * root / ((p1 - p2) * (p1 - p2)))
