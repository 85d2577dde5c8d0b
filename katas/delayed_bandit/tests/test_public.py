"""Public examples for delayed_bandit: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import numpy as np
import pytest
from bandit import DelayedThompsonBandit, ab_sample_size


def test_decisions_and_ids():
    """Ids are consecutive from 0 across choose and choose_batch; arms are valid."""
    bandit = DelayedThompsonBandit(3, seed=7)
    first_id, arm = bandit.choose()
    assert (first_id, type(first_id), type(arm)) == (0, int, int)
    assert 0 <= arm < 3
    ids, arms = bandit.choose_batch(4)
    assert ids.tolist() == [1, 2, 3, 4]
    assert arms.dtype == np.int64 and ((arms >= 0) & (arms < 3)).all()
    assert bandit.pending == 5


def test_first_decision_follows_the_protocol():
    """The first decision is the argmax of one Beta(1, 1) draw per arm from default_rng(seed)."""
    draws = np.random.default_rng(11).beta(np.ones(4), np.ones(4), size=(1, 4))
    _, arm = DelayedThompsonBandit(4, seed=11).choose()
    assert arm == int(np.argmax(draws[0]))


def test_rewards_update_the_posterior():
    """Once every reward is in, each arm's posterior counts its wins and losses."""
    bandit = DelayedThompsonBandit(2, seed=3)
    ids, arms = bandit.choose_batch(10)
    rewards = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0, 1])
    bandit.record_rewards(ids, rewards)
    alpha, beta = bandit.posterior()
    for a in (0, 1):
        mine = arms == a
        assert alpha[a] == 1 + rewards[mine].sum()
        assert beta[a] == 1 + (1 - rewards[mine]).sum()
    assert bandit.pending == 0


def test_ab_sample_size_example():
    """Detecting 10% -> 12% at alpha 0.05 and power 0.8 takes about 3,841 users per group."""
    assert ab_sample_size(0.10, 0.12) == 3841
    with pytest.raises(ValueError):
        ab_sample_size(0.1, 0.1)
