"""The bar of fraud_threshold's performance gates (baseline sandbox only): plain solutions of
the complexity the statement asks for, no tuning.

- ``choose_threshold``: sort the scores once, cumulative sums of frauds and legitimate
  transactions give FN and FP at the end of every run of equal scores, ``argmin``.
- ``fit``: one ``XGBClassifier`` of 200 trees of depth 4 (``hist``, one thread) on the
  frame's columns known at authorisation, then the sweep on the validation scores.
"""

from __future__ import annotations

import numpy as np
import xgboost

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


def choose_threshold(scores, y, cost_fp, cost_fn) -> float:
    """The O(n log n) sweep: sort once, cumulative sums give FP and FN at every cut."""
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores)
    s, pos = scores[order], np.asarray(y, dtype=bool)[order]
    last = np.r_[s[1:] != s[:-1], True]
    tp, fp = np.cumsum(pos)[last], np.cumsum(~pos)[last]
    n_pos = int(pos.sum())
    cost = np.r_[cost_fn * n_pos, cost_fp * fp + cost_fn * (n_pos - tp)]
    return float(np.r_[np.inf, s[last]][int(np.argmin(cost))])


def fit(train_df, valid_df, cost_fp, cost_fn, seed=0):
    """A plain fit: the classifier on the training frame, the threshold on the validation
    scores. Returns the threshold."""
    y = train_df["is_fraud"].to_numpy(dtype=bool)
    n_pos = int(y.sum())
    classifier = xgboost.XGBClassifier(
        n_estimators=200,
        max_depth=4,
        learning_rate=0.1,
        tree_method="hist",
        n_jobs=1,
        random_state=seed,
        scale_pos_weight=(len(y) - n_pos) / n_pos,
    )
    classifier.fit(train_df[FEATURES], y)
    scores = classifier.predict_proba(valid_df[FEATURES])[:, 1].astype(np.float64)
    return choose_threshold(scores, valid_df["is_fraud"].to_numpy(), cost_fp, cost_fn)
