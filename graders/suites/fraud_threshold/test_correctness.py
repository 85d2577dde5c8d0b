"""Hidden correctness tests of fraud_threshold.

Oracles: a brute-force cost scan over every candidate threshold, scikit-learn's
average_precision_score for PR-AUC, and for the model the generator's true fraud
probabilities (expected cost without label noise, the Bayes ranking's PR-AUC).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

LEAK_HINT = (
    "chargeback_date is filed 30-60 days after the transaction: at authorisation it is always "
    "empty. A model that reads it learns the label from the future (data leakage): perfect on "
    "historical data, blind in production. Use only what is known when the card is swiped."
)
COST_HINT = (
    "Choose the threshold that minimises cost_fp * FP + cost_fn * FN on the validation scores. "
    "0.5 is not it, and neither is the Bayes threshold cost_fp / (cost_fp + cost_fn): with "
    "scale_pos_weight the scores are no longer calibrated probabilities."
)
METRIC_HINT = (
    "PR-AUC is average precision, sum (R_n - R_{n-1}) P_n over the distinct score cuts; not "
    "ROC-AUC (which flatters rankers at 1% positives), not accuracy, not the trapezoid under "
    "the precision-recall curve."
)


def brute_threshold(scores, y, cost_fp, cost_fn) -> float:
    """The statement's rule by exhaustion: every candidate, cost computed directly."""
    y = np.asarray(y).astype(bool)
    best_t, best_c = math.inf, cost_fn * int(y.sum())
    for t in sorted(set(scores.tolist()), reverse=True):
        flagged = scores >= t
        c = cost_fp * int(np.sum(flagged & ~y)) + cost_fn * int(np.sum(~flagged & y))
        if c < best_c:  # strictly better only: on ties the larger t (seen first) stays
            best_t, best_c = t, c
    return best_t


def test_choose_threshold_matches_brute_force(sol, rng):
    """On random scores with ties and integer costs (so cost ties happen), choose_threshold
    returns the brute-force minimiser, the largest on ties."""
    for case in range(30):
        n = int(rng.integers(1, 400))
        scores = np.round(rng.random(n) ** 2, int(rng.integers(1, 4)))  # many equal scores
        y = rng.random(n) < rng.uniform(0.02, 0.5)
        cost_fp, cost_fn = float(rng.integers(1, 6)), float(rng.integers(1, 60))
        got = sol.choose_threshold(scores, y, cost_fp, cost_fn)
        want = brute_threshold(scores, y, cost_fp, cost_fn)
        if not isinstance(got, float) or got != want:
            flagged = scores >= want
            raise AssertionError(
                f"choose_threshold(case {case}: {n} scores, {int(y.sum())} frauds, cost_fp="
                f"{cost_fp}, cost_fn={cost_fn}) returned {got!r}, expected {want!r} (flags "
                f"{int(flagged.sum())}, cost {cost_fp * np.sum(flagged & ~y) + cost_fn * np.sum(~flagged & y):g}). "
                f"{COST_HINT} Ties go to the largest threshold."
            )
    # a forced tie: flagging down to the first fraud costs as much as flagging down to the
    # second one (m false positives in between, cost_fn = m); the larger threshold wins
    m = int(rng.integers(2, 20))
    scores = np.r_[0.9, np.full(m, 0.8), 0.7, rng.uniform(0.0, 0.5, 40)]
    y = np.r_[True, np.zeros(m, bool), True, np.zeros(40, bool)]
    perm = rng.permutation(len(scores))
    got = sol.choose_threshold(scores[perm], y[perm], 1.0, float(m))
    assert got == 0.9, (
        f"choose_threshold(scores 0.9 (fraud), {m} x 0.8 (legitimate), 0.7 (fraud), 40 lower "
        f"(legitimate); cost_fp=1, cost_fn={m}) returned {got!r}: thresholds 0.9 and 0.7 both "
        f"cost {m}, and ties go to the largest threshold, 0.9"
    )
    labels01 = (rng.random(50) < 0.3).astype(np.int64)  # 0/1 labels work like bools
    scores = rng.random(50)
    assert sol.choose_threshold(scores, labels01, 1.0, 9.0) == brute_threshold(
        scores, labels01, 1.0, 9.0
    )


def test_choose_threshold_edge_cases(sol):
    """No fraud gives inf, all fraud flags everything, one element works; empty, mismatched or
    NaN inputs raise ValueError."""
    s = np.array([0.3, 0.9, 0.1])
    assert sol.choose_threshold(s, np.zeros(3, bool), 1.0, 10.0) == math.inf
    assert sol.choose_threshold(s, np.ones(3, bool), 1.0, 10.0) == 0.1
    assert sol.choose_threshold(np.array([0.5]), np.array([True]), 1.0, 10.0) == 0.5
    assert sol.choose_threshold(np.array([0.5]), np.array([False]), 1.0, 10.0) == math.inf
    for bad in ((np.array([]), np.array([], bool)), (s, np.zeros(2, bool)),
                (np.array([0.1, np.nan, 0.3]), np.zeros(3, bool))):  # fmt: skip
        with pytest.raises(ValueError):
            sol.choose_threshold(bad[0], bad[1], 1.0, 10.0)
            pytest.fail(f"choose_threshold{bad} returned instead of raising ValueError")


def test_expected_cost_formula(sol, rng):
    """expected_cost is (cost_fp * FP + cost_fn * FN) / n."""
    for _ in range(10):
        n = int(rng.integers(1, 300))
        y, flagged = rng.random(n) < 0.2, rng.random(n) < 0.3
        cost_fp, cost_fn = float(rng.uniform(0.5, 20)), float(rng.uniform(5, 60))
        want = (cost_fp * np.sum(flagged & ~y) + cost_fn * np.sum(~flagged & y)) / n
        got = sol.expected_cost(y, flagged, cost_fp, cost_fn)
        assert isinstance(got, float) and abs(got - want) <= 1e-12 * max(1.0, want), (
            f"expected_cost(n={n}, FP={int(np.sum(flagged & ~y))}, FN={int(np.sum(~flagged & y))}, "
            f"cost_fp={cost_fp:.3f}, cost_fn={cost_fn:.3f}) returned {got!r}, expected {want!r}"
        )


def test_pr_auc_matches_average_precision(sol, rng):
    """pr_auc equals sklearn's average_precision_score on random data with tied scores and
    rare positives."""
    for case in range(25):
        n = int(rng.integers(2, 3000))
        y = rng.random(n) < rng.uniform(0.005, 0.3)
        y[int(rng.integers(n))] = True
        scores = np.round(rng.random(n) + 0.8 * y * rng.random(n), int(rng.integers(1, 5)))
        got = sol.pr_auc(y, scores)
        want = float(average_precision_score(y, scores))
        if not (isinstance(got, float) and abs(got - want) <= 1e-9):
            raise AssertionError(
                f"pr_auc(case {case}: {n} scores, {int(y.sum())} positives) returned {got!r}, "
                f"average precision is {want!r}. {METRIC_HINT}"
            )


def test_pr_auc_without_positives_raises(sol):
    """PR-AUC of labels without a positive raises ValueError."""
    with pytest.raises(ValueError):
        sol.pr_auc(np.zeros(5, bool), np.linspace(0, 1, 5))
        pytest.fail("pr_auc with no positive returned instead of raising ValueError")


# -- the fitted model ----------------------------------------------------------------------------


def test_scale_pos_weight_from_class_ratio(sol, ft, world, fitted):
    """The classifier is an XGBClassifier whose scale_pos_weight is negatives / positives of
    the training transactions."""
    import xgboost

    model = ft.need_model(fitted)
    assert isinstance(model.classifier, xgboost.XGBClassifier), (
        f"model.classifier is a {type(model.classifier).__name__}, expected xgboost.XGBClassifier"
    )
    y = world.train["is_fraud"].to_numpy()
    want = float((~y).sum() / y.sum())
    got = model.classifier.get_params().get("scale_pos_weight")
    assert got is not None and abs(float(got) - want) <= 0.01 * want, (
        f"the classifier's scale_pos_weight is {got!r}; the training data has {int((~y).sum())} "
        f"legitimate and {int(y.sum())} fraudulent transactions, so it must be {want:.2f} "
        f"(the seed's 10 assumes 1 fraud in 11; here it is about 1 in 100)"
    )


def test_model_does_not_read_chargeback_date(sol, ft, world, fitted):
    """Scores of transactions being authorised do not change when chargeback_date is filled
    in or emptied: the model does not read a column from the future."""
    model = ft.need_model(fitted)
    assert "chargeback_date" not in list(model.features), (
        f"model.features = {list(model.features)} includes chargeback_date. {LEAK_HINT}"
    )
    sample = world.holdout.iloc[:20_000].copy()
    base = sol.predict_proba(model, sample)
    filled = sample.copy()
    filled["chargeback_date"] = filled["timestamp"] + np.timedelta64(40, "D")
    changed = sol.predict_proba(model, filled)
    assert np.array_equal(base, changed), (
        f"filling in chargeback_date changed {int(np.sum(base != changed))} of 20,000 scores. "
        f"{LEAK_HINT}"
    )


def test_holdout_cost_within_5pct_of_best(sol, ft, world, fitted):
    """On 300,000 later transactions the model's decisions cost (in expectation, under the true
    fraud probabilities) at most 5% more than the best threshold on its own scores."""
    model = ft.need_model(fitted)
    scores = sol.predict_proba(model, world.holdout)
    decisions = sol.flag(model, world.holdout)
    got = ft.true_expected_cost(world.holdout_p, np.asarray(decisions, dtype=bool))
    best, best_t = ft.best_expected_cost(world.holdout_p, np.asarray(scores, dtype=np.float64))
    assert got <= 1.05 * best, (
        f"expected cost on the holdout is {got:.4f} per transaction with threshold "
        f"{model.threshold!r} ({int(np.sum(decisions))} of {len(decisions)} flagged); the best "
        f"threshold on the same scores ({best_t:.4f}) gives {best:.4f}: {got / best:.2f}x, the "
        f"bound is 1.05x. {COST_HINT}"
    )


def test_holdout_pr_auc(sol, ft, world, fitted):
    """The model's PR-AUC on the holdout reaches at least 0.65x that of the true fraud
    probabilities (the best possible ranking)."""
    model = ft.need_model(fitted)
    y = world.holdout["is_fraud"].to_numpy()
    scores = np.asarray(sol.predict_proba(model, world.holdout), dtype=np.float64)
    got = float(average_precision_score(y, scores))
    ceiling = float(average_precision_score(y, world.holdout_p))
    assert got >= 0.65 * ceiling, (
        f"PR-AUC on 300,000 holdout transactions is {got:.3f}; the true probabilities reach "
        f"{ceiling:.3f}, the bound is 0.65x = {0.65 * ceiling:.3f}. {LEAK_HINT}"
    )


def test_predict_proba_and_flag_outputs(sol, ft, world, fitted):
    """predict_proba gives float64 scores in [0, 1] of shape (n,), flag gives bools equal to
    score >= threshold (a score equal to the threshold is flagged), without the label column."""
    model = ft.need_model(fitted)
    frame = world.holdout.iloc[:5000].drop(columns="is_fraud")
    scores = sol.predict_proba(model, frame)
    assert (
        isinstance(scores, np.ndarray) and scores.dtype == np.float64 and scores.shape == (5000,)
    ), (
        f"predict_proba returned {type(scores).__name__} {getattr(scores, 'dtype', '')} "
        f"{getattr(scores, 'shape', '')}, expected float64 ndarray of shape (5000,)"
    )
    assert ((scores >= 0) & (scores <= 1)).all(), "predict_proba returned scores outside [0, 1]"
    k = int(np.argsort(scores)[len(scores) // 2])
    at = sol.FraudModel(model.classifier, list(model.features), float(scores[k]))
    decisions = sol.flag(at, frame)
    assert isinstance(decisions, np.ndarray) and decisions.dtype == bool, (
        f"flag returned {type(decisions).__name__} {getattr(decisions, 'dtype', '')}, expected a "
        f"bool ndarray"
    )
    assert np.array_equal(decisions, scores >= float(scores[k])), (
        f"flag with threshold {float(scores[k])!r} (a score of row {k}) differs from "
        f"scores >= threshold in {int(np.sum(decisions != (scores >= scores[k])))} rows"
    )


def test_fit_errors(sol, ft, world):
    """fit raises KeyError for a missing input or label column and ValueError when the
    training data has a single class."""
    small, valid = world.train.iloc[:3000], world.valid.iloc[:3000]
    with pytest.raises(KeyError):
        sol.fit(small.drop(columns="is_fraud"), valid, ft.COST_FP, ft.COST_FN)
        pytest.fail("fit without the is_fraud column returned instead of raising KeyError")
    legit = small[~small["is_fraud"]]
    with pytest.raises(ValueError):
        sol.fit(legit, valid, ft.COST_FP, ft.COST_FN)
        pytest.fail("fit on training data without any fraud returned instead of ValueError")
