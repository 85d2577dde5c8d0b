"""Public examples for fraud_threshold: they show the API, not every rule.

The hidden suite checks much more (see README.md) on larger generated data; passing these is a
start, not a grade.
"""

import math

import numpy as np
import pandas as pd
import pytest
from fraud_model import (
    FraudModel,
    choose_threshold,
    expected_cost,
    fit,
    flag,
    pr_auc,
    predict_proba,
)


def transactions(rng, n, start="2024-01-01"):
    """A small synthetic transactions frame with the statement's columns."""
    risk = rng.beta(2, 8, n)
    new_device = rng.random(n) < 0.1
    logit = -7.0 + 6.0 * risk + 2.5 * new_device
    fraud = rng.random(n) < 1 / (1 + np.exp(-logit))
    ts = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(
        np.sort(rng.integers(0, 86400 * 30, n)), unit="s"
    )
    chargeback = pd.Series(ts + pd.Timedelta(days=40)).where(fraud)
    return pd.DataFrame(
        {
            "txn_id": [f"tx{i}" for i in range(n)],
            "timestamp": ts,
            "amount": np.round(rng.lognormal(3.5, 1.0, n), 2),
            "merchant_risk": risk,
            "txn_count_1h": rng.poisson(1.0, n),
            "distance_from_home_km": rng.exponential(40, n),
            "account_age_days": rng.integers(0, 3000, n),
            "hour": rng.integers(0, 24, n),
            "is_foreign": rng.random(n) < 0.08,
            "new_device": new_device,
            "card_present": rng.random(n) < 0.6,
            "chargeback_date": chargeback,
            "is_fraud": fraud,
        }
    )


def test_expected_cost():
    """Mean cost per transaction from false positives and false negatives."""
    y = np.array([True, False, False, True])
    flagged = np.array([True, True, False, False])
    assert expected_cost(y, flagged, 10.0, 40.0) == pytest.approx((10.0 + 40.0) / 4)


def test_choose_threshold_small_example():
    """The threshold is one of the scores (flag scores >= it), or inf to flag nothing."""
    scores = np.array([0.1, 0.2, 0.6, 0.7, 0.9])
    y = np.array([0, 0, 1, 1, 1])
    assert choose_threshold(scores, y, 1.0, 5.0) == 0.6
    assert choose_threshold(scores, np.zeros(5, dtype=bool), 1.0, 5.0) == math.inf


def test_pr_auc_of_a_perfect_ranking():
    """Every fraud scored above every legitimate transaction gives PR-AUC 1."""
    assert pr_auc(np.array([0, 1, 0, 1]), np.array([0.2, 0.9, 0.1, 0.8])) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        pr_auc(np.zeros(3, dtype=bool), np.array([0.1, 0.2, 0.3]))


def test_fit_and_flag():
    """fit returns a FraudModel; predict_proba gives float64 scores, flag booleans."""
    rng = np.random.default_rng(0)
    train, valid, new = (
        transactions(rng, 4000),
        transactions(rng, 4000, "2024-02-01"),
        transactions(rng, 500, "2024-03-01"),
    )
    model = fit(train, valid, cost_fp=10.0, cost_fn=40.0, seed=0)
    assert isinstance(model, FraudModel)
    assert isinstance(model.threshold, float)
    scores = predict_proba(model, new.drop(columns="is_fraud"))
    assert scores.dtype == np.float64 and scores.shape == (500,)
    assert ((scores >= 0) & (scores <= 1)).all()
    decisions = flag(model, new.drop(columns="is_fraud"))
    assert decisions.dtype == bool
    np.testing.assert_array_equal(decisions, scores >= model.threshold)
