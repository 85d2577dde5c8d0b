"""Style B: np.unique + np.bincount histograms of positives/negatives per distinct score, swept
with reversed cumulative sums; the classifier is fit on a pandas DataFrame of the leak-free
columns (booleans cast to int) with an explicit XGBoost parameter dict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from xgboost import XGBClassifier

LABEL = "is_fraud"

_NUMERIC = ["amount", "merchant_risk", "txn_count_1h", "distance_from_home_km",
            "account_age_days", "hour"]
_FLAGS = ["is_foreign", "new_device", "card_present"]
# chargeback_date is only known weeks after the transaction (and is set exactly for the
# frauds): using it would be label leakage; txn_id and the raw timestamp carry no signal
# that generalises to later transactions.
_INPUTS = _NUMERIC + _FLAGS

_XGB_PARAMS = dict(
    n_estimators=200,
    max_depth=4,
    learning_rate=0.1,
    tree_method="hist",
    subsample=1.0,
    min_child_weight=1.0,
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


def expected_cost(y, flagged, cost_fp: float, cost_fn: float) -> float:
    """Mean cost per transaction, ``(cost_fp * FP + cost_fn * FN) / n``."""
    truth = np.asarray(y) != 0
    flags = np.asarray(flagged) != 0
    if truth.ndim != 1 or truth.shape != flags.shape or truth.size == 0:
        raise ValueError("y and flagged must be non-empty 1-d arrays of one length")
    n_fp = np.sum(flags & ~truth)
    n_fn = np.sum(truth & ~flags)
    return (cost_fp * float(n_fp) + cost_fn * float(n_fn)) / truth.size


def _histograms(scores, y):
    """Distinct scores ascending, and the count of positives / negatives at each."""
    s = np.asarray(scores, dtype=float)
    lab = np.asarray(y)
    if s.ndim != 1 or lab.ndim != 1 or len(s) != len(lab):
        raise ValueError("scores and y must be 1-d arrays of one length")
    if len(s) == 0:
        raise ValueError("empty input")
    if np.isnan(s).any():
        raise ValueError("NaN score")
    pos = lab != 0
    distinct, idx = np.unique(s, return_inverse=True)
    idx = idx.reshape(-1)
    n_pos_at = np.bincount(idx, weights=pos, minlength=len(distinct)).astype(np.int64)
    n_all_at = np.bincount(idx, minlength=len(distinct))
    return distinct, n_pos_at, n_all_at - n_pos_at


def choose_threshold(scores, y, cost_fp: float, cost_fn: float) -> float:
    """The cost-minimising threshold among the distinct scores and ``inf``; largest on ties."""
    distinct, pos_at, neg_at = _histograms(scores, y)
    total_pos = int(pos_at.sum())
    # flagged at threshold distinct[i] = everything at index >= i: suffix sums
    fp_at = np.cumsum(neg_at[::-1])[::-1]
    tp_at = np.cumsum(pos_at[::-1])[::-1]
    fn_at = total_pos - tp_at
    if np.isposinf(distinct[-1]):  # a score of +inf: the "inf" candidate is already there
        thresholds, fps, fns = distinct, fp_at, fn_at
    else:
        thresholds = np.append(distinct, np.inf)
        fps = np.append(fp_at, 0)
        fns = np.append(fn_at, total_pos)
    costs = cost_fp * fps.astype(float) + cost_fn * fns.astype(float)
    # thresholds ascend: the largest minimiser is the first minimum of the reversed costs
    last = len(costs) - 1 - int(np.argmin(costs[::-1]))
    return float(thresholds[last])


def pr_auc(y, scores) -> float:
    """Average precision (``sklearn.metrics.average_precision_score``'s definition)."""
    lab = np.asarray(y)
    if not np.any(lab != 0):
        raise ValueError("average precision needs at least one positive")
    distinct, pos_at, neg_at = _histograms(scores, lab)
    # walk from the highest distinct score down
    tp = np.cumsum(pos_at[::-1])
    fp = np.cumsum(neg_at[::-1])
    precision = tp / (tp + fp)
    recall_gain = pos_at[::-1] / tp[-1]  # R_n - R_{n-1}
    return float(np.dot(recall_gain, precision))


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    absent = [c for c in _INPUTS if c not in df.columns]
    if absent:
        raise KeyError(absent[0] if len(absent) == 1 else tuple(absent))
    x = df.loc[:, _INPUTS].copy()
    for c in _FLAGS:
        x[c] = x[c].astype(np.int8)
    return x.astype({c: np.float64 for c in _NUMERIC})


def fit(
    train_df: pd.DataFrame,
    valid_df: pd.DataFrame,
    cost_fp: float,
    cost_fn: float,
    seed: int = 0,
) -> FraudModel:
    """Train the classifier on ``train_df``, choose the threshold on ``valid_df``."""
    for name, frame in (("train_df", train_df), ("valid_df", valid_df)):
        if LABEL not in frame.columns:
            raise KeyError(f"{name} has no {LABEL!r} column")
    x_tr = _frame(train_df)
    x_va = _frame(valid_df)
    y_tr = train_df[LABEL].to_numpy() != 0
    y_va = valid_df[LABEL].to_numpy() != 0
    frauds = int(np.count_nonzero(y_tr))
    legit = len(y_tr) - frauds
    if frauds == 0 or legit == 0:
        raise ValueError("train_df must hold both classes")
    clf = XGBClassifier(**_XGB_PARAMS, scale_pos_weight=legit / frauds, random_state=seed, n_jobs=1)
    clf.fit(x_tr, y_tr)
    valid_scores = clf.predict_proba(x_va)[:, 1].astype(np.float64)
    threshold = choose_threshold(valid_scores, y_va, cost_fp, cost_fn)
    return FraudModel(classifier=clf, features=list(_INPUTS), threshold=float(threshold))


def predict_proba(model: FraudModel, df: pd.DataFrame) -> np.ndarray:
    """Fraud scores of the transactions of ``df``: float64, shape ``(len(df),)``."""
    x = _frame(df)[model.features]
    if len(x) == 0:
        return np.empty(0, dtype=np.float64)
    return np.asarray(model.classifier.predict_proba(x)[:, 1], dtype=np.float64)


def flag(model: FraudModel, df: pd.DataFrame) -> np.ndarray:
    """Decisions for the transactions of ``df``: bool, ``score >= model.threshold``."""
    scores = predict_proba(model, df)
    return np.asarray(scores >= model.threshold, dtype=bool)
