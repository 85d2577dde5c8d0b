"""Fixtures of the fraud_threshold hidden suite: the modules, a synthetic transaction generator
with known fraud probabilities, and one fitted candidate model shared by the model tests."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

COST_FP, COST_FN = 10.0, 40.0


def make_transactions(rng, n: int, *, start: str = "2024-01-01", days: int = 60,
                      chargebacks: bool = True) -> tuple[pd.DataFrame, np.ndarray]:  # fmt: skip
    """``n`` transactions with the statement's columns, and each one's true fraud probability.

    Fraud follows a fixed logistic model with interactions (merchant risk, velocity, distance,
    new device on a young account, foreign, card-not-present at night, amount); about 1% of
    transactions are fraudulent. ``chargeback_date`` is filled 30-60 days after the transaction
    for 92% of frauds and 0.3% of legitimate ones (disputes); with ``chargebacks=False`` it is
    NaT everywhere, as for transactions being authorised now.
    """
    amount = np.round(rng.lognormal(3.5, 1.0, n), 2)
    risk = rng.beta(2, 8, n)
    velocity = rng.poisson(1.0, n)
    distance = rng.exponential(40, n)
    age = rng.integers(0, 3000, n)
    hour = rng.integers(0, 24, n)
    foreign = rng.random(n) < 0.08
    new_device = rng.random(n) < 0.1
    present = rng.random(n) < 0.6
    night = ((hour < 6) | (hour >= 23)).astype(float)
    logit = -12.8 + 2.0 * (
        5.0 * risk + 0.9 * np.minimum(velocity, 8) + 2.0 * (distance > 150)
        + 2.2 * new_device * (age < 90) + 1.4 * foreign + 1.6 * night * (1 - present)
        + 0.7 * np.log1p(amount / 100) - 1.5 * present
    )  # fmt: skip
    p = 1.0 / (1.0 + np.exp(-logit))
    fraud = rng.random(n) < p
    ts = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(
        np.sort(rng.integers(0, days * 86400, n)), unit="s"
    )
    filed = (fraud & (rng.random(n) < 0.92)) | (~fraud & (rng.random(n) < 0.003))
    delay = pd.to_timedelta(rng.integers(30 * 86400, 60 * 86400, n), unit="s")
    chargeback = pd.Series(ts + delay).where(filed & chargebacks).astype("datetime64[ns, UTC]")
    frame = pd.DataFrame(
        {
            "txn_id": pd.Series([f"tx{i:07d}" for i in rng.permutation(n)]).astype("str"),
            "timestamp": pd.Series(ts).astype("datetime64[ns, UTC]"),
            "amount": amount,
            "merchant_risk": risk,
            "txn_count_1h": velocity.astype(np.int64),
            "distance_from_home_km": distance,
            "account_age_days": age.astype(np.int64),
            "hour": hour.astype(np.int64),
            "is_foreign": foreign,
            "new_device": new_device,
            "card_present": present,
            "chargeback_date": chargeback,
            "is_fraud": fraud,
        }
    )
    return frame, p


def true_expected_cost(
    p: np.ndarray, flagged: np.ndarray, cost_fp=COST_FP, cost_fn=COST_FN
) -> float:
    """Expected cost per transaction under the true fraud probabilities ``p``."""
    return float(np.mean(np.where(flagged, cost_fp * (1.0 - p), cost_fn * p)))


def best_expected_cost(
    p: np.ndarray, scores: np.ndarray, cost_fp=COST_FP, cost_fn=COST_FN
) -> tuple[float, float]:
    """The lowest expected cost any threshold on ``scores`` achieves, and that threshold."""
    order = np.argsort(-scores, kind="stable")
    s, q = scores[order], p[order]
    last = np.r_[s[1:] != s[:-1], True]
    cost = (cost_fp * np.cumsum(1.0 - q) + cost_fn * (q.sum() - np.cumsum(q)))[last]
    costs = np.r_[cost_fn * q.sum(), cost]
    k = int(np.argmin(costs))
    return float(costs[k] / len(p)), float(np.r_[np.inf, s[last]][k])


@dataclass
class World:
    """Training, validation and holdout transactions, and the holdout's true probabilities."""

    train: pd.DataFrame
    valid: pd.DataFrame
    holdout: pd.DataFrame
    holdout_p: np.ndarray


@pytest.fixture(scope="module")
def world(kata_seed) -> World:
    """50,000 training and 200,000 validation transactions (historical: chargebacks filled in),
    and 300,000 later holdout transactions being authorised (no chargeback yet)."""
    rng = np.random.default_rng([kata_seed, zlib.crc32(b"fraud_threshold/world")])
    train, _ = make_transactions(rng, 50_000, start="2024-01-01")
    valid, _ = make_transactions(rng, 200_000, start="2024-03-01")
    holdout, p = make_transactions(rng, 300_000, start="2024-05-01", chargebacks=False)
    return World(train, valid, holdout, p)


@pytest.fixture(scope="module")
def fitted(sol, world):
    """The candidate's model, fitted once on the world (a failure is replayed in each test)."""
    try:
        return sol.fit(world.train.copy(), world.valid.copy(), COST_FP, COST_FN, seed=7)
    except Exception as exc:  # noqa: BLE001 - every test that needs the model reports it
        return exc


def need_model(fitted):
    """The fitted model, or a failure naming what fit raised."""
    if isinstance(fitted, Exception):
        raise AssertionError(
            f"fit(train 50,000 rows, valid 200,000 rows, cost_fp={COST_FP}, cost_fn={COST_FN}) "
            f"raised {type(fitted).__name__}: {fitted}"
        )
    return fitted


@pytest.fixture(scope="session")
def ft():
    """The suite's helpers (test files cannot import conftest under --import-mode=importlib)."""
    return SimpleNamespace(
        COST_FP=COST_FP, COST_FN=COST_FN, make_transactions=make_transactions,
        true_expected_cost=true_expected_cost, best_expected_cost=best_expected_cost,
        need_model=need_model,
    )  # fmt: skip
