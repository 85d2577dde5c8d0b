"""Fixtures of the delayed_bandit hidden suite: the modules, a Thompson oracle and a simulated
environment with delayed, out-of-order rewards."""

import numpy as np
import pytest


class ThompsonOracle:
    """The statement's protocol, written out directly: the expected arms and posterior."""

    def __init__(self, n_arms, seed, prior_alpha=1.0, prior_beta=1.0):
        self.rng = np.random.default_rng(seed)
        self.alpha = np.full(n_arms, float(prior_alpha))
        self.beta = np.full(n_arms, float(prior_beta))
        self.arm_of = []

    def choose_batch(self, k):
        draws = self.rng.beta(self.alpha, self.beta, size=(k, self.alpha.shape[0]))
        arms = [int(np.argmax(row)) for row in draws]
        self.arm_of.extend(arms)
        return arms

    def reward(self, decision_id, r):
        arm = self.arm_of[decision_id]
        self.alpha[arm] += r
        self.beta[arm] += 1 - r


@pytest.fixture(scope="session")
def oracle():
    """``oracle(n_arms, seed, prior_alpha=1, prior_beta=1)``: a :class:`ThompsonOracle`."""
    return ThompsonOracle


# The environment of the regret test: the best arm converts most but its rewards arrive
# ~30 batches late; the others report within ~2 batches.
RATES = np.array([0.08, 0.06, 0.05, 0.04])
MEAN_DELAY = np.array([30.0, 2.0, 2.0, 2.0])  # in batches (geometric)
DECISIONS, BATCH = 40_000, 200


def _simulate(bandit_cls, seed: int, rates=RATES, mean_delay=MEAN_DELAY):
    """Run a bandit for DECISIONS decisions in batches of BATCH against Bernoulli arms whose
    rewards arrive after a geometric number of batches (per-arm mean), shuffled within each
    delivery. Returns the pseudo-regret sum(max(rates) - rates[arm]) and the best arm's share.
    Deterministic for a seed: the bandit gets ``seed``, the environment ``[seed, 1]``."""
    env = np.random.default_rng([seed, 1])
    bandit = bandit_cls(len(rates), seed)
    inbox: dict[int, list] = {}
    regret, best = 0.0, 0
    steps = DECISIONS // BATCH
    step = 0
    while step < steps or inbox:
        if step < steps:
            ids, arms = bandit.choose_batch(BATCH)
            arms = np.asarray(arms)
            regret += float(np.sum(rates.max() - rates[arms]))
            best += int(np.count_nonzero(arms == int(np.argmax(rates))))
            rewards = (env.random(BATCH) < rates[arms]).astype(np.int64)
            delays = env.geometric(1.0 / mean_delay[arms])
            for d in np.unique(delays):
                sel = delays == d
                inbox.setdefault(step + int(d), []).append((np.asarray(ids)[sel], rewards[sel]))
        arrived = inbox.pop(step, [])
        if arrived:
            ids_in = np.concatenate([a[0] for a in arrived])
            r_in = np.concatenate([a[1] for a in arrived])
            order = env.permutation(ids_in.size)
            bandit.record_rewards(ids_in[order], r_in[order])
        step += 1
    return regret, best / DECISIONS


@pytest.fixture(scope="session")
def simulate():
    """``simulate(bandit_cls, seed) -> (regret, best_arm_share)`` (see :func:`_simulate`)."""
    return _simulate
