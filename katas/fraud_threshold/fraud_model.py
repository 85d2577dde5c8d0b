"""The model layer of a fraud system: an imbalanced XGBoost classifier, a cost-optimal
decision threshold, and PR-AUC.

Fill in the functions below. Read README.md first: it describes the data, the exact threshold
rule and tie-break, the metric, the errors to raise and the performance targets.
``FraudModel`` and ``LABEL`` are given; keep them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

LABEL = "is_fraud"


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
    """Mean cost per transaction, ``(cost_fp * FP + cost_fn * FN) / n``.

    Args:
        y: 1-d bool (or 0/1) labels, True = fraud.
        flagged: 1-d bool decisions of the same length.
        cost_fp: cost of flagging a legitimate transaction.
        cost_fn: cost of letting a fraud through (a chargeback).
    """
    raise NotImplementedError


def choose_threshold(scores, y, cost_fp: float, cost_fn: float) -> float:
    """The cost-minimising threshold among the distinct scores and ``inf``.

    Args:
        scores: 1-d float scores.
        y: 1-d bool (or 0/1) labels of the same length.
        cost_fp, cost_fn: costs of a false positive and of a false negative.

    Returns:
        The candidate ``t`` minimising ``cost_fp * FP + cost_fn * FN`` for
        ``flagged = scores >= t``; the largest one on ties.

    Raises:
        ValueError: empty or mismatched arrays, NaN scores.
    """
    raise NotImplementedError


def pr_auc(y, scores) -> float:
    """Average precision (``sklearn.metrics.average_precision_score``'s definition).

    Raises:
        ValueError: ``y`` has no positive.
    """
    raise NotImplementedError


def fit(
    train_df: pd.DataFrame,
    valid_df: pd.DataFrame,
    cost_fp: float,
    cost_fn: float,
    seed: int = 0,
) -> FraudModel:
    """Train the classifier on ``train_df``, choose the threshold on ``valid_df``.

    Args:
        train_df: historical transactions (see README.md for the columns).
        valid_df: later historical transactions, for the threshold.
        cost_fp, cost_fn: costs of a false positive and of a false negative.
        seed: ``random_state`` of the classifier.

    Returns:
        A :class:`FraudModel`.

    Raises:
        KeyError: a needed column is missing.
        ValueError: ``train_df`` lacks one of the two classes.
    """
    raise NotImplementedError


def predict_proba(model: FraudModel, df: pd.DataFrame) -> np.ndarray:
    """Fraud scores of the transactions of ``df``: float64, shape ``(len(df),)``."""
    raise NotImplementedError


def flag(model: FraudModel, df: pd.DataFrame) -> np.ndarray:
    """Decisions for the transactions of ``df``: bool, ``score >= model.threshold``."""
    raise NotImplementedError
