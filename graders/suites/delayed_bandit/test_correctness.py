"""Hidden correctness tests of delayed_bandit.

Oracles are independent of the reference: the statement's sampling protocol written out
directly (``ThompsonOracle`` in conftest.py), a simulated environment with per-arm reward
delays and out-of-order delivery (regret bound), and the two-proportion sample-size closed form
with scipy's normal quantiles.
"""

import math

import numpy as np
import pytest
from scipy.stats import norm

ON_DECISION_HINT = (
    "The posterior may change only when a reward arrives. Counting a decision as a pull (or as "
    "a failure) when it is made treats every pending outcome as a loss: arms whose rewards "
    "arrive late look worse the more they are played, and the bandit abandons the best arm."
)
REGRET_BOUND = 300.0


def _ints(arr, what):
    arr = np.asarray(arr)
    if arr.dtype != np.int64:
        raise AssertionError(f"{what} returned dtype {arr.dtype}, expected int64")
    return arr.tolist()


def _posterior(bandit, what):
    post = bandit.posterior()
    if not isinstance(post, tuple) or len(post) != 2:
        raise AssertionError(f"{what}.posterior() returned {post!r}, expected (alpha, beta)")
    for name, arr in zip(("alpha", "beta"), post, strict=True):
        if type(arr) is not np.ndarray or arr.dtype != np.float64:
            raise AssertionError(f"{what}.posterior() {name} is {type(arr).__name__} "
                                 f"{getattr(arr, 'dtype', '')}, expected float64 ndarray")  # fmt: skip
    return post


def test_matches_thompson_oracle_with_delays(sol, oracle, rng):
    """Interleaved choose / choose_batch / out-of-order rewards give exactly the arms and
    posterior of the statement's protocol."""
    n_arms, seed = 4, int(rng.integers(2**31))
    bandit, want = sol.DelayedThompsonBandit(n_arms, seed, 1.0, 2.0), oracle(n_arms, seed, 1.0, 2.0)
    rates = rng.uniform(0.1, 0.6, n_arms)
    outstanding: list[int] = []
    for step in range(40):
        if step % 5 == 0:
            did, arm = bandit.choose()
            ids, arms = [did], [arm]
            expected = want.choose_batch(1)
        else:
            k = int(rng.integers(0, 30))
            got_ids, got_arms = bandit.choose_batch(k)
            ids, arms = _ints(got_ids, "choose_batch ids"), _ints(got_arms, "choose_batch arms")
            expected = want.choose_batch(k)
        if arms != expected:
            raise AssertionError(
                f"step {step}: decisions {ids[:8]} got arms {arms[:8]}, the protocol gives "
                f"{expected[:8]} (posterior before them: alpha={want.alpha.tolist()}, "
                f"beta={want.beta.tolist()}). {ON_DECISION_HINT}"
            )
        outstanding.extend(ids)
        # deliver a random subset of the outstanding rewards, in random order
        rng.shuffle(outstanding)
        take = int(rng.integers(0, len(outstanding) + 1)) if outstanding else 0
        deliver, outstanding = outstanding[:take], outstanding[take:]
        if deliver:
            rewards = [int(rng.random() < rates[want.arm_of[i]]) for i in deliver]
            bandit.record_rewards(np.array(deliver, dtype=np.int64), np.array(rewards))
            for i, r in zip(deliver, rewards, strict=True):
                want.reward(i, r)
    alpha, beta = _posterior(bandit, "bandit")
    assert np.allclose(alpha, want.alpha) and np.allclose(beta, want.beta), (
        f"posterior after 40 steps is alpha={alpha.tolist()}, beta={beta.tolist()}; expected "
        f"alpha={want.alpha.tolist()}, beta={want.beta.tolist()}"
    )
    assert bandit.pending == len(outstanding), (
        f"pending is {bandit.pending}, {len(outstanding)} decisions still await a reward"
    )


def test_posterior_unchanged_until_reward(sol, rng):
    """Decisions alone do not move the posterior; one reward moves only its own arm."""
    seed = int(rng.integers(2**31))
    bandit = sol.DelayedThompsonBandit(3, seed)
    ids, arms = bandit.choose_batch(500)
    alpha, beta = _posterior(bandit, "bandit")
    if not (np.array_equal(alpha, np.ones(3)) and np.array_equal(beta, np.ones(3))):
        raise AssertionError(
            f"after 500 decisions and no reward the posterior is alpha={alpha.tolist()}, "
            f"beta={beta.tolist()}; it must still be the prior Beta(1, 1). {ON_DECISION_HINT}"
        )
    target = int(rng.integers(0, 500))
    bandit.record_reward(int(ids[target]), 1)
    alpha, beta = _posterior(bandit, "bandit")
    arm = int(np.asarray(arms)[target])
    want_alpha = np.ones(3)
    want_alpha[arm] += 1
    if not (np.array_equal(alpha, want_alpha) and np.array_equal(beta, np.ones(3))):
        raise AssertionError(
            f"after one reward of 1 for decision {target} (arm {arm}) the posterior is "
            f"alpha={alpha.tolist()}, beta={beta.tolist()}; expected alpha={want_alpha.tolist()}, "
            f"beta=[1.0, 1.0, 1.0]. {ON_DECISION_HINT}"
        )
    assert bandit.pending == 499, f"pending is {bandit.pending}, expected 499"


def test_out_of_order_rewards_by_id(sol, rng):
    """Rewards delivered in reverse and shuffled order are credited to each decision's own arm."""
    bandit = sol.DelayedThompsonBandit(5, int(rng.integers(2**31)))
    ids, arms = bandit.choose_batch(300)
    ids, arms = np.asarray(ids), np.asarray(arms)
    rewards = (rng.random(300) < 0.5).astype(np.int64)
    rewards[arms == arms[-1]] = 1  # the last decision's arm always wins...
    rewards[arms != arms[-1]] = 0  # ...and no other arm ever does
    order = np.r_[np.arange(299, 149, -1), rng.permutation(150)]
    hint = ("Delayed rewards arrive out of order: match each one to its decision by id, never "
            "by arrival order.")  # fmt: skip
    try:
        for i in order[:150]:  # one at a time, newest first
            bandit.record_reward(int(ids[i]), int(rewards[i]))
        bandit.record_rewards(ids[order[150:]], rewards[order[150:]])
    except Exception as exc:  # noqa: BLE001 - report it with the trap's explanation
        raise AssertionError(
            f"recording the rewards of 300 decisions newest-first, then shuffled, raised "
            f"{type(exc).__name__}: {exc}; every id was issued once and rewarded once. {hint}"
        ) from None
    alpha, beta = _posterior(bandit, "bandit")
    want_alpha = 1 + np.bincount(arms, weights=rewards, minlength=5)
    want_beta = 1 + np.bincount(arms, weights=1 - rewards, minlength=5)
    if not (np.array_equal(alpha, want_alpha) and np.array_equal(beta, want_beta)):
        raise AssertionError(
            f"after rewards delivered newest-first and shuffled the posterior is "
            f"alpha={alpha.tolist()}, beta={beta.tolist()}; crediting each reward to the arm "
            f"of its own decision id gives alpha={want_alpha.tolist()}, "
            f"beta={want_beta.tolist()}. {hint}"
        )


def test_unknown_and_duplicate_ids_raise(sol, rng):
    """An id never issued raises KeyError; a second reward for a decision, an id repeated in
    one call, a reward not 0/1 raise ValueError; a failing call changes nothing."""
    bandit = sol.DelayedThompsonBandit(2, int(rng.integers(2**31)))
    ids, _ = bandit.choose_batch(10)
    bandit.record_reward(int(ids[3]), 1)
    before = [a.copy() for a in bandit.posterior()]
    cases = [
        (KeyError, [10], [1], "id 10 (never issued: only 0..9 were)"),
        (KeyError, [-1], [0], "id -1"),
        (KeyError, [4, 5, 99], [1, 1, 1], "a batch holding the unknown id 99"),
        (ValueError, [3], [0], "a second reward for decision 3"),
        (ValueError, [6, 7, 6], [1, 0, 1], "decision 6 twice in one call"),
        (ValueError, [8], [2], "reward 2"),
    ]
    for error, bad_ids, rewards, label in cases:
        with pytest.raises(error):
            bandit.record_rewards(np.array(bad_ids, dtype=np.int64), np.array(rewards))
            pytest.fail(
                f"record_rewards with {label} returned instead of raising {error.__name__}: a "
                "reward whose decision is unknown or already rewarded signals a broken pipeline "
                "(replays, cross-experiment ids); absorbing it silently skews the posterior."
            )
        after = bandit.posterior()
        if not all(np.array_equal(a, b) for a, b in zip(before, after, strict=True)):
            raise AssertionError(
                f"record_rewards with {label} raised but changed the posterior from "
                f"{[b.tolist() for b in before]} to {[a.tolist() for a in after]}"
            )
    with pytest.raises(KeyError):
        bandit.record_reward(10, 1)
        pytest.fail("record_reward(10, 1) for an id never issued returned instead of raising")
    assert bandit.pending == 9, f"pending is {bandit.pending} after the failed calls, expected 9"


def test_choose_batch_equals_successive_choose(sol, rng):
    """choose_batch(k) decides exactly like k successive choose() calls with no reward between."""
    seed = int(rng.integers(2**31))
    a, b = sol.DelayedThompsonBandit(6, seed), sol.DelayedThompsonBandit(6, seed)
    _, arms = a.choose_batch(50)
    singles = [b.choose()[1] for _ in range(50)]
    assert _ints(arms, "choose_batch arms") == singles, "choose_batch(50) != 50 x choose()"
    empty_ids, empty_arms = a.choose_batch(0)
    assert len(empty_ids) == 0 and len(empty_arms) == 0, "choose_batch(0) must return empty arrays"
    assert a.choose()[0] == 50, "the id after 50 decisions and an empty batch must be 50"


def test_constructor_and_batch_arguments(sol):
    """Bad n_arms, priors and batch sizes raise ValueError."""
    for args in ((0, 1), (2.5, 1), (3, 1, 0.0, 1.0), (3, 1, 1.0, -1.0)):
        with pytest.raises(ValueError):
            sol.DelayedThompsonBandit(*args)
            pytest.fail(f"DelayedThompsonBandit{args} returned instead of raising ValueError")
    bandit = sol.DelayedThompsonBandit(2, 0)
    for k in (-1, 1.5):
        with pytest.raises(ValueError):
            bandit.choose_batch(k)
            pytest.fail(f"choose_batch({k}) returned instead of raising ValueError")


def test_regret_bound_delayed_environment(sol, simulate, rng):
    """In a simulated environment (4 arms, the best one's rewards ~30 batches late, delivered
    out of order) the pseudo-regret over 40,000 decisions, averaged over 4 runs, stays under
    300."""
    seeds = [int(s) for s in rng.integers(2**31, size=4)]
    runs = [simulate(sol.DelayedThompsonBandit, seed) for seed in seeds]
    regret = float(np.mean([r for r, _ in runs]))
    share = float(np.mean([s for _, s in runs]))
    if not regret <= REGRET_BOUND:
        raise AssertionError(
            f"simulated delayed environment (seeds {seeds}): mean pseudo-regret {regret:.1f} "
            f"over 40000 decisions (runs: {[round(r) for r, _ in runs]}), bound "
            f"{REGRET_BOUND:.0f}; the best arm got {share:.1%} of the traffic. "
            f"{ON_DECISION_HINT}"
        )


# -- ab_sample_size -----------------------------------------------------------------------------


def _closed_form(p1, p2, alpha, power):
    pbar = (p1 + p2) / 2
    root = norm.ppf(1 - alpha / 2) * math.sqrt(2 * pbar * (1 - pbar)) + norm.ppf(power) * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return root**2 / (p1 - p2) ** 2


def test_ab_sample_size_closed_form(sol, rng):
    """ab_sample_size equals the rounded-up two-sided two-proportion closed form."""
    cases = [(0.10, 0.12, 0.05, 0.8), (0.5, 0.55, 0.01, 0.9)]
    for _ in range(25):
        p1 = float(rng.uniform(0.01, 0.6))
        p2 = p1 * float(rng.uniform(1.05, 1.5))
        cases.append((p1, p2, float(rng.choice([0.01, 0.05, 0.1])), float(rng.uniform(0.6, 0.95))))
    for p1, p2, alpha, power in cases:
        exact = _closed_form(p1, p2, alpha, power)
        got = sol.ab_sample_size(p1, p2, alpha, power)
        ok = {math.ceil(exact - 1e-9), math.ceil(exact + 1e-9)}
        if type(got) is not int or got not in ok:
            raise AssertionError(
                f"ab_sample_size({p1:.4f}, {p2:.4f}, alpha={alpha}, power={power:.3f}) returned "
                f"{got!r}; the closed form gives {exact:.3f} per group, rounded up to "
                f"{math.ceil(exact)} (two-sided: z(1 - alpha/2) = {norm.ppf(1 - alpha / 2):.4f})"
            )
    assert sol.ab_sample_size(0.12, 0.10) == sol.ab_sample_size(0.10, 0.12), "not symmetric"


def test_ab_sample_size_rejects_bad_arguments(sol):
    """Rates, alpha and power outside (0, 1), and equal rates, raise ValueError."""
    cases = [(0.0, 0.1), (0.1, 1.0), (0.1, 0.1), (0.1, 0.2, 0.0), (0.1, 0.2, 0.05, 1.0),
             (0.1, 0.2, 1.5), (-0.1, 0.2)]  # fmt: skip
    for args in cases:
        with pytest.raises(ValueError):
            sol.ab_sample_size(*args)
            pytest.fail(f"ab_sample_size{args} returned instead of raising ValueError")
