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
    if type(arr) is not np.ndarray or arr.dtype != np.int64 or arr.ndim != 1:
        raise AssertionError(
            f"{what} is {type(arr).__name__} {getattr(arr, 'dtype', '')}; R2: a 1-D int64 array"
        )
    return arr.tolist()


def _posterior(bandit, what):
    post = bandit.posterior()
    if not isinstance(post, tuple) or len(post) != 2:
        raise AssertionError(
            f"{what}.posterior() returned {type(post).__name__}; R3: (alpha, beta)"
        )
    for name, arr in zip(("alpha", "beta"), post, strict=True):
        if type(arr) is not np.ndarray or arr.dtype != np.float64:
            raise AssertionError(f"{what}.posterior() {name} is {type(arr).__name__} "
                                 f"{getattr(arr, 'dtype', '')}; R3: a float64 array")  # fmt: skip
    return post


def _pending(bandit, want, what):
    got = bandit.pending
    if type(got) is not int or got != want:
        raise AssertionError(
            f"pending is {type(got).__name__} {got!r} {what}; R5: the number of decisions still "
            f"awaiting a reward ({want} here), as an int"
        )


@pytest.mark.rules("R1", "R2", "R3", "R4", "R5")
def test_matches_thompson_oracle_with_delays(sol, oracle, rng):
    """Interleaved choose / choose_batch / out-of-order rewards give exactly the arms and
    posterior of the statement's protocol."""
    n_arms, seed = 4, int(rng.integers(2**31))
    bandit, want = sol.DelayedThompsonBandit(n_arms, seed, 1.0, 2.0), oracle(n_arms, seed, 1.0, 2.0)
    rates = rng.uniform(0.1, 0.6, n_arms)
    outstanding: list[int] = []
    issued = 0
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
        if ids != list(range(issued, issued + len(expected))):
            raise AssertionError(
                f"step {step}: decision ids {ids[:5]}... after {issued} decisions; R2: ids are "
                f"consecutive ints from 0 across choose and choose_batch"
            )
        issued += len(expected)
        if arms != expected:
            raise AssertionError(
                f"step {step} (a batch of {len(expected)} after {issued - len(expected)} "
                f"decisions and some delayed rewards): the arms differ from the statement's "
                f"sampling protocol; R1: one rng.beta(alpha, beta, size=(k, n_arms)) call per "
                f"batch on the current posterior, argmax per row; R3: the posterior moves only "
                f"when a reward arrives. {ON_DECISION_HINT}"
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
    if not (np.allclose(alpha, want.alpha) and np.allclose(beta, want.beta)):
        raise AssertionError(
            "the posterior after 40 steps of decisions and delayed, shuffled rewards is wrong; R3: "
            "each reward r adds r to alpha and 1 - r to beta of its own decision's arm; R4: "
            "rewards are matched to decisions by id"
        )
    _pending(bandit, len(outstanding), "after 40 steps")


@pytest.mark.rules("R3", "R5")
def test_posterior_unchanged_until_reward(sol, rng):
    """Decisions alone do not move the posterior; one reward moves only its own arm."""
    seed = int(rng.integers(2**31))
    bandit = sol.DelayedThompsonBandit(3, seed)
    ids, arms = bandit.choose_batch(500)
    alpha, beta = _posterior(bandit, "bandit")
    if not (np.array_equal(alpha, np.ones(3)) and np.array_equal(beta, np.ones(3))):
        raise AssertionError(
            f"after 500 decisions and no reward the posterior moved to alpha={alpha.tolist()}, "
            f"beta={beta.tolist()}; R3: it changes only when a reward arrives. {ON_DECISION_HINT}"
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
            f"alpha={alpha.tolist()}, beta={beta.tolist()}; R3: a reward of 1 adds 1 to alpha "
            f"of its own arm and nothing else. {ON_DECISION_HINT}"
        )
    _pending(bandit, 499, "after 500 decisions and one reward")


@pytest.mark.rules("R4")
def test_out_of_order_rewards_by_id(sol, rng):
    """Rewards delivered in reverse and shuffled order are credited to each decision's own arm."""
    bandit = sol.DelayedThompsonBandit(5, int(rng.integers(2**31)))
    ids, arms = bandit.choose_batch(300)
    ids, arms = np.asarray(ids), np.asarray(arms)
    rewards = (rng.random(300) < 0.5).astype(np.int64)
    rewards[arms == arms[-1]] = 1  # the last decision's arm always wins...
    rewards[arms != arms[-1]] = 0  # ...and no other arm ever does
    order = np.r_[np.arange(299, 149, -1), rng.permutation(150)]
    rule = "R4: delayed rewards arrive out of order and are matched to their decision by id"
    try:
        for i in order[:150]:  # one at a time, newest first
            bandit.record_reward(int(ids[i]), int(rewards[i]))
        bandit.record_rewards(ids[order[150:]], rewards[order[150:]])
    except Exception as exc:  # noqa: BLE001 - report it with the trap's explanation
        raise AssertionError(
            f"recording the rewards of 300 decisions newest-first, then shuffled, raised "
            f"{type(exc).__name__}: {exc}; every id was issued once and rewarded once. {rule}"
        ) from None
    alpha, beta = _posterior(bandit, "bandit")
    want_alpha = 1 + np.bincount(arms, weights=rewards, minlength=5)
    want_beta = 1 + np.bincount(arms, weights=1 - rewards, minlength=5)
    if not (np.array_equal(alpha, want_alpha) and np.array_equal(beta, want_beta)):
        raise AssertionError(
            f"after rewards delivered newest-first and shuffled (one arm always wins, the others "
            f"never) the posterior credits wins to the wrong arms; {rule}, never by arrival order"
        )


@pytest.mark.rules("R6", "R7")
def test_unknown_and_duplicate_ids_raise(sol, rng):
    """An id never issued raises KeyError; a second reward for a decision, an id repeated in
    one call, a reward not 0/1, mismatched shapes raise ValueError; a failing call changes
    nothing."""
    bandit = sol.DelayedThompsonBandit(2, int(rng.integers(2**31)))
    ids, _ = bandit.choose_batch(10)
    bandit.record_reward(int(ids[3]), 1)
    before = [a.copy() for a in bandit.posterior()]
    cases = [
        (KeyError, [10], [1], "id 10 (only 0..9 were issued)"),
        (KeyError, [-1], [0], "id -1"),
        (KeyError, [4, 5, 99], [1, 1, 1], "ids [4, 5, 99], 99 never issued"),
        (ValueError, [3], [0], "a second reward for decision 3"),
        (ValueError, [6, 7, 6], [1, 0, 1], "decision 6 twice in one call"),
        (ValueError, [4, 5, 3], [1, 1, 0], "ids [4, 5, 3], 3 already rewarded"),
        (ValueError, [8], [2], "reward 2"),
        (ValueError, [8, 9], [1], "2 ids and 1 reward"),
    ]
    for error, bad_ids, rewards, label in cases:
        call = f"record_rewards({label})"
        try:
            bandit.record_rewards(np.array(bad_ids, dtype=np.int64), np.array(rewards))
        except error:
            pass
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(
                f"{call} raised {type(exc).__name__}; R6: {error.__name__}"
            ) from None
        else:
            raise AssertionError(
                f"{call} returned instead of raising {error.__name__}; R6. A reward whose decision "
                f"is unknown or already rewarded signals a broken pipeline (replays, "
                f"cross-experiment ids); absorbing it silently skews the posterior."
            )
        after = bandit.posterior()
        if not all(np.array_equal(a, b) for a, b in zip(before, after, strict=True)):
            raise AssertionError(
                f"{call} raised but changed the posterior; R7: a call that raises changes nothing"
            )
        _pending(bandit, 9, f"after {call} raised (R7: a call that raises changes nothing)")
    try:
        bandit.record_reward(10, 1)
    except KeyError:
        pass
    else:
        raise AssertionError(
            "record_reward(10, 1) for an id never issued did not raise KeyError; R6"
        )
    _pending(bandit, 9, "after the failed calls")


@pytest.mark.rules("R1", "R2")
def test_choose_batch_equals_successive_choose(sol, rng):
    """choose_batch(k) decides exactly like k successive choose() calls with no reward between;
    choose returns two Python ints; choose_batch(0) uses no id."""
    seed = int(rng.integers(2**31))
    a, b = sol.DelayedThompsonBandit(6, seed), sol.DelayedThompsonBandit(6, seed)
    _, arms = a.choose_batch(50)
    singles = [b.choose() for _ in range(50)]
    if not all(type(d) is int and type(arm) is int for d, arm in singles):
        raise AssertionError("choose() returned something other than two Python ints; R2")
    if _ints(arms, "choose_batch(50) arms") != [arm for _, arm in singles]:
        raise AssertionError("choose_batch(50) decided differently from 50 successive choose(); R1")
    empty_ids, empty_arms = a.choose_batch(0)
    assert len(empty_ids) == 0 and len(empty_arms) == 0, "choose_batch(0) must return empty arrays"
    assert a.choose()[0] == 50, (
        "the id after 50 decisions and an empty batch is not 50; R2: ids are consecutive"
    )


@pytest.mark.rules("R8")
def test_constructor_and_batch_arguments(sol):
    """Bad n_arms, priors and batch sizes raise ValueError."""
    cases = [(f"DelayedThompsonBandit{args}", lambda args=args: sol.DelayedThompsonBandit(*args))
             for args in ((0, 1), (2.5, 1), (3, 1, 0.0, 1.0), (3, 1, 1.0, -1.0))]  # fmt: skip
    bandit = sol.DelayedThompsonBandit(2, 0)
    cases += [(f"choose_batch({k})", lambda k=k: bandit.choose_batch(k)) for k in (-1, 1.5)]
    for label, call in cases:
        try:
            call()
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"{label} raised {type(exc).__name__}; R8: ValueError") from None
        raise AssertionError(f"{label} returned instead of raising ValueError; R8")


@pytest.mark.rules("R3")
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
            f"simulated delayed environment (4 runs): mean pseudo-regret {regret:.1f} over 40000 "
            f"decisions, bound {REGRET_BOUND:.0f}; the best arm got {share:.1%} of the traffic; "
            f"R3: the posterior moves only when a reward arrives. {ON_DECISION_HINT}"
        )


# -- ab_sample_size -----------------------------------------------------------------------------


def _closed_form(p1, p2, alpha, power):
    pbar = (p1 + p2) / 2
    root = norm.ppf(1 - alpha / 2) * math.sqrt(2 * pbar * (1 - pbar)) + norm.ppf(power) * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return root**2 / (p1 - p2) ** 2


@pytest.mark.rules("R9")
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
                f"{got!r}; R9: the two-sided two-proportion size per group (pooled variance under "
                f"the null), rounded up to an int"
            )
    assert sol.ab_sample_size(0.12, 0.10) == sol.ab_sample_size(0.10, 0.12), (
        "ab_sample_size(0.12, 0.10) != ab_sample_size(0.10, 0.12); R9: the formula is symmetric"
    )


@pytest.mark.rules("R10")
def test_ab_sample_size_rejects_bad_arguments(sol):
    """Rates, alpha and power outside (0, 1), and equal rates, raise ValueError."""
    cases = [(0.0, 0.1), (0.1, 1.0), (0.1, 0.1), (0.1, 0.2, 0.0), (0.1, 0.2, 0.05, 1.0),
             (0.1, 0.2, 1.5), (-0.1, 0.2)]  # fmt: skip
    for args in cases:
        try:
            out = sol.ab_sample_size(*args)
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(
                f"ab_sample_size{args} raised {type(exc).__name__}; R10: ValueError"
            ) from None
        raise AssertionError(
            f"ab_sample_size{args} returned {out!r} instead of raising ValueError; R10"
        )
