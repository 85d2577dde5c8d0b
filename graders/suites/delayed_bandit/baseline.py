"""The bar of the delayed_bandit performance gate: a plain vectorised bandit (one Beta draw per
batch, arms kept in a numpy array grown by concatenation, rewards checked with np.unique and
credited with np.bincount), with the statement's checks. Visible only in the baseline sandbox."""

import numpy as np


class DelayedThompsonBandit:
    def __init__(self, n_arms, seed, prior_alpha=1.0, prior_beta=1.0):
        if n_arms < 1 or prior_alpha <= 0 or prior_beta <= 0:
            raise ValueError("bad arguments")
        self.rng = np.random.default_rng(seed)
        self.alpha = np.full(n_arms, float(prior_alpha))
        self.beta = np.full(n_arms, float(prior_beta))
        self.arms = np.zeros(0, dtype=np.int64)
        self.done = np.zeros(0, dtype=bool)

    def choose_batch(self, k):
        if k < 0:
            raise ValueError("k")
        draws = self.rng.beta(self.alpha, self.beta, size=(k, self.alpha.size))
        arms = draws.argmax(axis=1)
        ids = np.arange(self.arms.size, self.arms.size + k)
        self.arms = np.concatenate([self.arms, arms])
        self.done = np.concatenate([self.done, np.zeros(k, dtype=bool)])
        return ids, arms

    def record_rewards(self, decision_ids, rewards):
        ids = np.asarray(decision_ids)
        r = np.asarray(rewards)
        if ids.ndim != 1 or r.shape != ids.shape:
            raise ValueError("shapes")
        if ((ids < 0) | (ids >= self.arms.size)).any():
            raise KeyError("unknown id")
        if not np.isin(r, (0, 1)).all() or np.unique(ids).size != ids.size or self.done[ids].any():
            raise ValueError("bad rewards")
        arms = self.arms[ids]
        self.alpha += np.bincount(arms, weights=r, minlength=self.alpha.size)
        self.beta += np.bincount(arms, weights=1 - r, minlength=self.alpha.size)
        self.done[ids] = True

    def posterior(self):
        return self.alpha.copy(), self.beta.copy()
