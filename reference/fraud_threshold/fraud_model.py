"""The model layer of a fraud system: an imbalanced XGBoost classifier and a cost-optimal
decision threshold (reference solution).

- Inputs are only what is known when the transaction is authorised. ``chargeback_date`` is
  filed 30-60 days later (it is the label arriving late), so it is never an input; ids and
  raw timestamps are not inputs either.
- Class imbalance: ``scale_pos_weight = negatives / positives`` of the training rows
  (XGBoost's documented setting for imbalanced binary problems). This re-weights the loss, so
  the scores are no longer calibrated probabilities: the decision threshold cannot be the
  Bayes formula ``c_fp / (c_fp + c_fn)``, nor 0.5.
- The threshold minimises the cost ``c_fp * FP + c_fn * FN`` on the validation transactions
  (later ones, which the classifier did not see), swept over every distinct score in
  O(n log n): sort the scores once, then cumulative sums of positives and negatives give FN
  and FP for every cut.
- Models are compared by PR-AUC (average precision, as ``sklearn.metrics.
  average_precision_score``): with 1% positives accuracy and ROC-AUC flatter weak models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xgboost

LABEL = "is_fraud"
FEATURES = (
    "amount",
    "merchant_risk",
    "txn_count_1h",
    "distance_from_home_km",
    "account_age_days",
    "hour",
    "is_foreign",
    "new_device",
    "card_present",
)


@dataclass
class FraudModel:
    """A fitted model: the classifier, its input columns (in order) and the threshold.

    Attributes:
        classifier: the fitted ``xgboost.XGBClassifier``.
        features: the columns of a transaction frame it reads, in order.
        threshold: transactions scoring ``>= threshold`` are flagged.
    """

    classifier: Any
    features: list[str]
    threshold: float


def _matrix(df: pd.DataFrame, features) -> np.ndarray:
    return df[list(features)].to_numpy(dtype=np.float32)


def _labels(y) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype != bool:
        y = y.astype(np.int64) != 0
    return y


def expected_cost(y, flagged, cost_fp: float, cost_fn: float) -> float:
    """Mean cost per transaction: ``(cost_fp * FP + cost_fn * FN) / n``."""
    y, flagged = _labels(y), np.asarray(flagged, dtype=bool)
    if y.shape != flagged.shape or y.ndim != 1 or not len(y):
        raise ValueError("y and flagged must be non-empty 1-d arrays of the same length")
    fp = int(np.count_nonzero(flagged & ~y))
    fn = int(np.count_nonzero(~flagged & y))
    return (cost_fp * fp + cost_fn * fn) / len(y)


def choose_threshold(scores, y, cost_fp: float, cost_fn: float) -> float:
    """The threshold among the distinct scores (and +inf, flag nothing) that minimises
    ``cost_fp * FP + cost_fn * FN`` for ``flagged = scores >= t``; ties go to the largest."""
    scores = np.asarray(scores, dtype=np.float64)
    y = _labels(y)
    if scores.ndim != 1 or scores.shape != y.shape or not len(scores):
        raise ValueError("scores and y must be non-empty 1-d arrays of the same length")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN")
    order = np.argsort(-scores)  # the order inside a group of equal scores does not matter
    s, pos = scores[order], y[order]
    # cut after each group of equal scores: flag every score >= s[last of group]
    last = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(pos)[last]
    fp = np.cumsum(~pos)[last]
    n_pos = int(pos.sum())
    cost = np.r_[cost_fn * n_pos, cost_fp * fp + cost_fn * (n_pos - tp)]  # first: flag none
    candidates = np.r_[np.inf, s[last]]  # descending: the first minimum is the largest t
    return float(candidates[int(np.argmin(cost))])


def pr_auc(y, scores) -> float:
    """Average precision: ``sum_n (R_n - R_{n-1}) P_n`` over the distinct score cuts, as
    ``sklearn.metrics.average_precision_score``."""
    scores = np.asarray(scores, dtype=np.float64)
    y = _labels(y)
    if scores.shape != y.shape or scores.ndim != 1:
        raise ValueError("y and scores must be 1-d arrays of the same length")
    n_pos = int(y.sum())
    if n_pos == 0:
        raise ValueError("PR-AUC is undefined without positives")
    order = np.argsort(-scores, kind="stable")
    s, pos = scores[order], y[order]
    last = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(pos)[last].astype(np.float64)
    flagged = (np.flatnonzero(last) + 1).astype(np.float64)
    precision = tp / flagged
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def fit(
    train_df: pd.DataFrame,
    valid_df: pd.DataFrame,
    cost_fp: float,
    cost_fn: float,
    seed: int = 0,
) -> FraudModel:
    """Fit the classifier on ``train_df`` and choose the threshold on ``valid_df`` (later
    transactions the classifier did not see), see the module docstring."""
    for name, frame in (("train_df", train_df), ("valid_df", valid_df)):
        missing = [c for c in (*FEATURES, LABEL) if c not in frame.columns]
        if missing:
            raise KeyError(f"{name} lacks {missing}")
    y = _labels(train_df[LABEL].to_numpy())
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        raise ValueError("train_df needs both fraudulent and legitimate transactions")
    classifier = xgboost.XGBClassifier(
        n_estimators=200,
        max_depth=4,
        learning_rate=0.1,
        tree_method="hist",
        n_jobs=1,
        random_state=seed,
        scale_pos_weight=(len(y) - n_pos) / n_pos,
    )
    classifier.fit(_matrix(train_df, FEATURES), y)
    scores = classifier.predict_proba(_matrix(valid_df, FEATURES))[:, 1].astype(np.float64)
    threshold = choose_threshold(scores, valid_df[LABEL].to_numpy(), cost_fp, cost_fn)
    return FraudModel(classifier, list(FEATURES), threshold)


def predict_proba(model: FraudModel, df: pd.DataFrame) -> np.ndarray:
    """Fraud scores of the transactions of ``df`` (float64, shape ``(len(df),)``)."""
    return model.classifier.predict_proba(_matrix(df, model.features))[:, 1].astype(np.float64)


def flag(model: FraudModel, df: pd.DataFrame) -> np.ndarray:
    """Which transactions of ``df`` to flag: ``predict_proba >= model.threshold`` (bool)."""
    return predict_proba(model, df) >= model.threshold
