"""Thompson sampling with delayed, out-of-order Bernoulli rewards, and A/B sample sizes.

Fill in the class and the function below. Read README.md first: it states the sampling
protocol, the decision-id rules, the errors to raise and the performance target.
Sources: Thompson (1933); Chapelle & Li (2011), "An Empirical Evaluation of Thompson Sampling";
Fleiss, Levin & Paik (2003) for the two-proportion sample size.
"""

from __future__ import annotations

import numpy as np


class DelayedThompsonBandit:
    """Beta-Bernoulli Thompson sampling whose rewards arrive late, keyed by decision id."""

    def __init__(self, n_arms: int, seed: int, prior_alpha: float = 1.0, prior_beta: float = 1.0):
        """Create the posteriors Beta(prior_alpha, prior_beta) and ``np.random.default_rng(seed)``.

        Raises:
            ValueError: n_arms not a positive int, or a prior parameter not positive.
        """
        raise NotImplementedError

    def choose(self) -> tuple[int, int]:
        """One decision: ``(decision_id, arm)`` as Python ints (``choose_batch(1)``)."""
        raise NotImplementedError

    def choose_batch(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``k`` decisions on the current posterior.

        Draws ``rng.beta(alpha, beta, size=(k, n_arms))`` once; each row's argmax (lowest index
        on ties) is that decision's arm.

        Returns:
            ``(decision_ids, arms)``: int64 arrays of shape (k,); ids consecutive from the next
            unused id.

        Raises:
            ValueError: k is not a non-negative int.
        """
        raise NotImplementedError

    def record_reward(self, decision_id: int, reward: int) -> None:
        """The reward (0 or 1) of one earlier decision. Errors as :meth:`record_rewards`."""
        raise NotImplementedError

    def record_rewards(self, decision_ids, rewards) -> None:
        """Rewards (0/1) of earlier decisions, in any order.

        Raises:
            KeyError: an id that was never issued.
            ValueError: an id already rewarded or repeated in the call, a reward not 0/1,
                mismatched shapes. Nothing changes when an error is raised.
        """
        raise NotImplementedError

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of ``(alpha, beta)``: float64 arrays of shape (n_arms,)."""
        raise NotImplementedError

    @property
    def pending(self) -> int:
        """Number of decisions whose reward has not been recorded yet."""
        raise NotImplementedError


def ab_sample_size(p_control: float, p_treatment: float, alpha: float = 0.05,
                   power: float = 0.8) -> int:  # fmt: skip
    """Per-group size of a two-sided two-proportion z-test (formula in README.md), rounded up.

    Raises:
        ValueError: an argument outside (0, 1), or p_control == p_treatment.
    """
    raise NotImplementedError
