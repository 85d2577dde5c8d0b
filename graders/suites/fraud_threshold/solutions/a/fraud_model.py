"""Style A: argsort-based sweeps (scores sorted descending, cumulative TP/FP at the end of each
run of equal scores); the classifier is fed a float32 numpy matrix of the leak-free columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

LABEL = "is_fraud"

# Columns known at authorisation time. Left out on purpose: txn_id (an identifier),
# timestamp (drifts between train, validation and production), chargeback_date (filed weeks
# later: it leaks the label and is never there when a transaction is scored) and the label.
FEATURES = [
    "amount",
    "merchant_risk",
    "txn_count_1h",
    "distance_from_home_km",
    "account_age_days",
    "hour",
    "is_foreign",
    "new_device",
    "card_present",
]


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


def _labels(y) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError("labels must be 1-d")
    return arr.astype(bool)


def expected_cost(y, flagged, cost_fp: float, cost_fn: float) -> float:
    """Mean cost per transaction, ``(cost_fp * FP + cost_fn * FN) / n``."""
    yy = _labels(y)
    ff = np.asarray(flagged).astype(bool)
    if ff.shape != yy.shape or yy.size == 0:
        raise ValueError("y and flagged must be non-empty and of one length")
    fp = int(np.count_nonzero(ff & ~yy))
    fn = int(np.count_nonzero(~ff & yy))
    return float((cost_fp * fp + cost_fn * fn) / yy.size)


def _sorted_runs(scores, y):
    """Scores sorted descending; cumulative positives/negatives at the end of each run."""
    s = np.asarray(scores, dtype=np.float64)
    yy = _labels(y)
    if s.ndim != 1 or s.shape != yy.shape or s.size == 0:
        raise ValueError("scores and y must be non-empty 1-d arrays of one length")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    order = np.argsort(-s)  # stability is not needed: equal scores form one run
    s_sorted = s[order]
    y_sorted = yy[order]
    tp = np.cumsum(y_sorted)
    fp = np.arange(1, s.size + 1) - tp
    run_end = np.empty(s.size, dtype=bool)
    run_end[:-1] = s_sorted[1:] != s_sorted[:-1]
    run_end[-1] = True
    return s_sorted[run_end], tp[run_end], fp[run_end], int(tp[-1]), int(fp[-1])


def choose_threshold(scores, y, cost_fp: float, cost_fn: float) -> float:
    """The cost-minimising threshold among the distinct scores and ``inf``; largest on ties."""
    values, tp, fp, n_pos, _ = _sorted_runs(scores, y)
    # candidates in decreasing threshold order: inf first, then the distinct scores
    if values[0] == np.inf:
        cand_t = values
        cand_fp, cand_fn = fp, n_pos - tp
    else:
        cand_t = np.concatenate([[np.inf], values])
        cand_fp = np.concatenate([[0], fp])
        cand_fn = np.concatenate([[n_pos], n_pos - tp])
    cost = cost_fp * cand_fp.astype(np.float64) + cost_fn * cand_fn.astype(np.float64)
    best = int(np.argmin(cost))  # first minimum = largest threshold
    return float(cand_t[best])


def pr_auc(y, scores) -> float:
    """Average precision (``sklearn.metrics.average_precision_score``'s definition)."""
    yy = _labels(y)
    if not yy.any():
        raise ValueError("y has no positive")
    _, tp, fp, n_pos, _ = _sorted_runs(scores, yy)
    precision = tp / (tp + fp)
    recall = tp / n_pos
    gains = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(gains * precision))


def _matrix(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"missing columns: {missing}")
    return np.column_stack([df[c].to_numpy(dtype=np.float32) for c in columns]) if len(df) else (
        np.zeros((0, len(columns)), dtype=np.float32)
    )


def _target(df: pd.DataFrame) -> np.ndarray:
    if LABEL not in df.columns:
        raise KeyError(f"missing column: {LABEL!r}")
    return df[LABEL].to_numpy().astype(bool)


def fit(
    train_df: pd.DataFrame,
    valid_df: pd.DataFrame,
    cost_fp: float,
    cost_fn: float,
    seed: int = 0,
) -> FraudModel:
    """Train the classifier on ``train_df``, choose the threshold on ``valid_df``."""
    x_train = _matrix(train_df, FEATURES)
    y_train = _target(train_df)
    x_valid = _matrix(valid_df, FEATURES)
    y_valid = _target(valid_df)
    n_pos = int(y_train.sum())
    n_neg = int(y_train.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        raise ValueError("train_df needs both fraudulent and legitimate transactions")
    clf = xgb.XGBClassifier(
        n_estimators=200,
        max_depth=4,
        learning_rate=0.1,
        tree_method="hist",
        objective="binary:logistic",
        scale_pos_weight=n_neg / n_pos,
        random_state=seed,
        n_jobs=1,
    )
    clf.fit(x_train, y_train.astype(np.int32))
    model = FraudModel(clf, list(FEATURES), float("inf"))
    model.threshold = choose_threshold(predict_proba(model, valid_df), y_valid, cost_fp, cost_fn)
    return model


def predict_proba(model: FraudModel, df: pd.DataFrame) -> np.ndarray:
    """Fraud scores of the transactions of ``df``: float64, shape ``(len(df),)``."""
    x = _matrix(df, model.features)
    if x.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    return model.classifier.predict_proba(x)[:, 1].astype(np.float64)


def flag(model: FraudModel, df: pd.DataFrame) -> np.ndarray:
    """Decisions for the transactions of ``df``: bool, ``score >= model.threshold``."""
    return predict_proba(model, df) >= model.threshold
