"""Sandbox-side drivers of the fraud_threshold hidden suite (they hold no solution).

The fitted classifier is an object of the sandbox: these report what it is, as plain data, for
the judge to check.
"""

from __future__ import annotations


def describe_classifier(classifier) -> dict:
    """The classifier's class, whether it is an ``xgboost.XGBClassifier``, and its
    ``scale_pos_weight``, ``random_state`` and ``n_jobs`` parameters."""
    import xgboost

    cls = type(classifier)
    params = classifier.get_params() if hasattr(classifier, "get_params") else {}
    weight = params.get("scale_pos_weight")
    return {
        "type": f"{cls.__module__}.{cls.__qualname__}",
        "is_xgb": isinstance(classifier, xgboost.XGBClassifier),
        "scale_pos_weight": None if weight is None else float(weight),
        "random_state": _plain(params.get("random_state")),
        "n_jobs": _plain(params.get("n_jobs")),
    }


def _plain(value):
    """An integer (Python or numpy) as an int; anything else (a Generator, None) as its repr."""
    import numbers

    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return repr(value)
