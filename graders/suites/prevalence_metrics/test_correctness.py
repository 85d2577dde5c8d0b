"""Hidden correctness tests of prevalence_metrics.

Oracles are independent of the reference: scikit-learn's precision/recall/F1 and
``precision_recall_curve`` with importance ``sample_weight`` (each class re-weighted to the
production prevalence), and a brute-force sweep over the distinct scores.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, precision_recall_curve, precision_score, recall_score

from graders.checks import assert_float, assert_raises_value_error

R4 = (
    "R4: the rates must be production's: the validation set's class balance is not production's, "
    "and counting TP and FP on it gives the precision and F1 of a world where {pv:.0%} of "
    "traffic is positive, not {pi:.2%}; within a class the validation sample is representative"
)
R5 = "R5: with nothing (correctly) flagged, precision and F1 are 0.0, never NaN"
R7 = (
    "R7: the candidate thresholds are the distinct scores (tied samples are flagged together), "
    "and the answer has the highest production F1"
)
R8 = "R8: among thresholds whose F1 equals the maximum up to rounding, the highest one"


def _raises(what, call, rule):
    assert_raises_value_error(call, what, rule)


def _oracle_rates(y, s, threshold, pi, weights):
    pred = (s >= threshold).astype(int)
    w = weights(y, pi)
    kw = {"sample_weight": w, "zero_division": 0.0}
    fpr = float(pred[y == 0].mean())
    return (precision_score(y, pred, **kw), recall_score(y, pred, **kw),
            f1_score(y, pred, **kw), fpr)  # fmt: skip


def _check_rates(got, expected, what, rule):
    names = ("precision", "recall", "f1", "fpr")
    if not isinstance(got, tuple) or len(got) != 4:
        raise AssertionError(f"{what} returned {type(got).__name__}; R6: a Rates named tuple")
    for name, g in zip(names, got, strict=True):
        assert_float(g, what=f"{what}.{name} (R6: Python floats)")
    for name, g, e in zip(names, got, expected, strict=True):
        if not math.isclose(g, float(e), rel_tol=1e-9, abs_tol=1e-12):
            raise AssertionError(f"{what} returned {name}={g!r}, which is wrong; {rule}")


@pytest.mark.rules("R4", "R6")
def test_production_metrics_match_weighted_sklearn(sol, rng, skewed_validation,
                                                    importance_weights):  # fmt: skip
    """production_metrics equals sklearn's precision/recall/F1 with the validation set
    re-weighted to the production prevalence, at several thresholds and prevalences."""
    y, s = skewed_validation(rng, 4000)
    pv = y.mean()
    for pi in (0.01, float(rng.uniform(0.001, 0.05)), 0.5):
        for threshold in (float(np.quantile(s, q)) for q in (0.5, 0.8, 0.95)):
            got = sol.production_metrics(y, s, threshold, pi)
            expected = _oracle_rates(y, s, threshold, pi, importance_weights)
            _check_rates(got, expected,
                         f"production_metrics(n=4000, validation prevalence {pv:.3f}, "
                         f"threshold={threshold:.4g}, prevalence={pi:.4g})",
                         R4.format(pv=pv, pi=pi))  # fmt: skip


@pytest.mark.rules("R4")
def test_production_metrics_at_validation_prevalence_are_plain(sol, rng, skewed_validation):
    """At the validation set's own prevalence the metrics are sklearn's unweighted ones."""
    y, s = skewed_validation(rng, 2000)
    pv = float(y.mean())
    threshold = float(np.median(s))
    pred = (s >= threshold).astype(int)
    expected = (precision_score(y, pred), recall_score(y, pred), f1_score(y, pred),
                float(pred[y == 0].mean()))  # fmt: skip
    _check_rates(sol.production_metrics(y, s, threshold, pv), expected,
                 f"production_metrics(prevalence = validation prevalence {pv:.4f})",
                 "R4: at the validation prevalence the rates are the plain counts")  # fmt: skip


@pytest.mark.rules("R5")
def test_nothing_flagged_is_zero_not_nan(sol, rng, skewed_validation):
    """A threshold above every score, or one that flags only negatives, gives precision 0.0
    and F1 0.0, not NaN."""
    y, s = skewed_validation(rng, 500)
    cases = {
        "above every score": float(s.max()) + 1.0,
        "flagging only the top negative": float(s.max()),
    }
    for label, threshold in cases.items():
        got = sol.production_metrics(y, s, threshold, 0.01)
        fpr = float((s[y == 0] >= threshold).mean())
        _check_rates(got, (0.0, 0.0, 0.0, fpr), f"production_metrics(threshold {label})",
                     f"{R5}: a NaN propagates silently into dashboards and threshold sweeps")  # fmt: skip


@pytest.mark.rules("R2")
def test_no_positive_raises(sol, rng):
    """y_true without a positive raises ValueError instead of returning NaN recall and F1."""
    s = rng.normal(size=100)
    y = np.zeros(100, dtype=np.int64)
    _raises("production_metrics(y_true with no positive, threshold 0.0, prevalence 0.01)",
            lambda: sol.production_metrics(y, s, 0.0, 0.01),
            "R2: recall is 0/0 there, and a silent NaN (or 0) F1 reads as a real measurement")  # fmt: skip
    _raises("f1_optimal_threshold(y_true with no positive, prevalence 0.01)",
            lambda: sol.f1_optimal_threshold(y, s, 0.01), "R2")  # fmt: skip


@pytest.mark.rules("R1")
def test_bad_inputs_raise(sol, rng):
    """No negative, prevalence outside (0, 1), NaN scores or threshold, bad shapes raise."""
    y = np.array([1, 0, 1, 0])
    s = np.array([0.9, 0.2, 0.5, 0.4])
    cases = [
        ("no negative", (np.ones(4, dtype=int), s, 0.5, 0.1)),
        ("prevalence 0", (y, s, 0.5, 0.0)),
        ("prevalence 1", (y, s, 0.5, 1.0)),
        ("prevalence 1.5", (y, s, 0.5, 1.5)),
        ("prevalence NaN", (y, s, 0.5, float("nan"))),
        ("prevalence True", (y, s, 0.5, True)),
        ("NaN score", (y, np.array([0.9, np.nan, 0.5, 0.4]), 0.5, 0.1)),
        ("NaN threshold", (y, s, float("nan"), 0.1)),
        ("label 2", (np.array([1, 0, 2, 0]), s, 0.5, 0.1)),
        ("length mismatch", (y, s[:3], 0.5, 0.1)),
        ("2-D", (y.reshape(2, 2), s.reshape(2, 2), 0.5, 0.1)),
        ("empty", (np.array([], dtype=int), np.array([]), 0.5, 0.1)),
    ]
    for label, args in cases:
        _raises(
            f"production_metrics({label})", lambda args=args: sol.production_metrics(*args), "R1"
        )
        if label != "NaN threshold":
            _raises(f"f1_optimal_threshold({label})",
                    lambda args=args: sol.f1_optimal_threshold(args[0], args[1], args[3]), "R1")  # fmt: skip


# -- the threshold sweep ------------------------------------------------------------------------


def _oracle_optimum(y, s, pi, weights):
    """Brute force over sklearn's weighted precision-recall curve: (threshold, f1, all f1)."""
    precision, recall, thresholds = precision_recall_curve(y, s, sample_weight=weights(y, pi))
    precision, recall = precision[:-1], recall[:-1]  # drop the (recall 0, precision 1) end
    total = precision + recall
    f1 = np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1), 0.0)
    top = f1.max()
    near = np.flatnonzero(f1 >= top - 1e-12 * top)
    return float(thresholds[near].max()), float(top), thresholds, f1


def _check_optimum(got, y, s, pi, weights, what, rule):
    if not isinstance(got, tuple) or len(got) != 2:
        raise AssertionError(f"{what} returned {type(got).__name__}; R6: an Optimum(threshold, f1)")
    assert_float(got[0], what=f"{what}.threshold (R6: Python floats)")
    assert_float(got[1], what=f"{what}.f1 (R6: Python floats)")
    thr, f1, thresholds, all_f1 = _oracle_optimum(y, s, pi, weights)
    if got[0] == thr and math.isclose(got[1], f1, rel_tol=1e-9):
        return
    at = all_f1[thresholds == got[0]]
    if not at.size:
        detail = "which is not one of the distinct scores"
    elif not math.isclose(got[1], float(at[0]), rel_tol=1e-9):
        detail = "and an F1 that is not the production F1 of that threshold"
    elif at[0] >= f1 * (1 - 1e-12):
        detail = "which reaches the highest F1 but is not the highest such threshold"
    else:
        detail = "whose production F1 is below the best threshold's"
    raise AssertionError(f"{what} returned threshold {got[0]!r}, {detail}; {rule}")


@pytest.mark.rules("R4", "R7")
def test_f1_optimal_threshold_matches_sweep(sol, rng, skewed_validation, importance_weights):
    """f1_optimal_threshold equals the brute-force sweep of weighted F1 over the distinct
    scores, for continuous and tied scores and several production prevalences."""
    for decimals in (None, 2):
        y, s = skewed_validation(rng, 3000, decimals)
        pv = y.mean()
        for pi in (0.01, float(rng.uniform(0.002, 0.05))):
            got = sol.f1_optimal_threshold(y, s, pi)
            kind = "tied" if decimals else "continuous"
            _check_optimum(got, y, s, pi, importance_weights,
                           f"f1_optimal_threshold(n=3000, {kind} scores, validation prevalence "
                           f"{pv:.3f}, prevalence={pi:.4g})",
                           f"{R7}; " + R4.format(pv=pv, pi=pi) + ". The F1-optimal threshold "
                           "moves with the prevalence.")  # fmt: skip


@pytest.mark.rules("R7")
def test_f1_tie_group_is_one_threshold(sol, rng):
    """A tie group at the top score whose first and last rows are the only positives: the only
    operating points are whole groups, so the optimum is the group's F1 (1/3), not 2/3."""
    top = float(rng.uniform(0.6, 0.99))
    s = np.r_[np.full(10, top), rng.uniform(0.0, 0.5, 90)]
    y = np.zeros(100, dtype=np.int64)
    y[[0, 9]] = 1
    got = sol.f1_optimal_threshold(y, s, 0.02)  # the validation prevalence: plain counts
    if not (isinstance(got, tuple) and len(got) == 2 and got[0] == top
            and math.isclose(got[1], 1 / 3, rel_tol=1e-9)):  # fmt: skip
        raise AssertionError(
            f"f1_optimal_threshold(10 rows tied at the top score, 2 of them positive, then 90 "
            f"negatives below, prevalence 0.02 = the validation prevalence) returned F1 "
            f"{got[1] if isinstance(got, tuple) and len(got) == 2 else got!r}; {R7}. A cut inside "
            f"a tie group (by row order) is not an operating point any threshold can reach."
        )


@pytest.mark.rules("R8")
def test_f1_optimal_ties_go_to_highest_threshold(sol, rng):
    """When two thresholds reach the same F1, f1_optimal_threshold returns the higher one."""
    # at the validation prevalence F1 = 2TP / (2TP + FP + FN), P = 4: the top two positives
    # (TP 2, FP 0, FN 2) and, two negatives later, the third (TP 3, FP 2, FN 1) both give 2/3;
    # every other threshold less. Shuffled, with a random affine change of the scores.
    s = np.array([10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1])
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 1])
    scale, shift = rng.uniform(0.5, 2.0), rng.uniform(-5, 5)
    perm = rng.permutation(s.shape[0])
    y, s = y[perm], s[perm] * scale + shift
    got = sol.f1_optimal_threshold(y, s, float(y.mean()))
    _check_optimum(got, y, s, float(y.mean()), lambda yy, pi: np.ones(yy.shape[0]),
                   "f1_optimal_threshold(10 samples, two thresholds with equal F1)", R8)  # fmt: skip


@pytest.mark.rules("R5", "R7")
def test_f1_optimum_never_nan(sol, rng, skewed_validation):
    """The top threshold flags only a negative (F1 0/0 there): the sweep still returns the
    real optimum, with a finite F1."""
    y, s = skewed_validation(rng, 1000)
    got = sol.f1_optimal_threshold(y, s, 0.02)
    if not isinstance(got, tuple) or len(got) != 2 or not all(math.isfinite(v) for v in got):
        raise AssertionError(
            f"f1_optimal_threshold returned {got!r} on data whose top-scored sample is a "
            f"negative (precision = recall = 0 there); {R5}. A NaN wins np.argmax (NaN compares "
            f"as the maximum) and the sweep returns garbage."
        )
    top = float(s.max())
    assert got[0] != top, (
        f"f1_optimal_threshold returned the top score, where F1 is 0 (only a negative flagged); {R7}"
    )


@pytest.mark.rules("R7", "R8")
@settings(max_examples=50, phases=(Phase.explicit, Phase.generate, Phase.shrink),
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_small_inputs_property(sol, importance_weights, data):
    """Property: on any small input with integer scores (ties everywhere) and any prevalence,
    f1_optimal_threshold agrees with the brute-force weighted sweep."""
    n = data.draw(st.integers(2, 14), label="n")
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n), label="y"))
    s = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n), label="s"),
                 dtype=float)  # fmt: skip
    if y.min() == y.max():
        y[0] = 1 - y[0]
    pi = data.draw(st.sampled_from([0.001, 0.01, 0.1, 0.5, 0.9]), label="prevalence")
    got = sol.f1_optimal_threshold(y, s, pi)
    _check_optimum(got, y, s, pi, importance_weights,
                   f"f1_optimal_threshold(y={y.tolist()}, s={s.tolist()}, prevalence={pi})",
                   f"{R7}; {R8}")  # fmt: skip


@pytest.mark.rules("R3")
def test_inputs_not_modified(sol, rng, skewed_validation):
    """Neither function modifies its arguments (values or order): the bridge writes any in-place
    change made in the submission's process back to the caller's arrays."""
    y, s = skewed_validation(rng, 300)
    y0, s0 = y.copy(), s.copy()
    threshold = float(np.median(s))
    changed = []
    for name, args in (("production_metrics", [y, s, threshold, 0.01]),
                       ("f1_optimal_threshold", [y, s, 0.01])):  # fmt: skip
        getattr(sol, name)(*args)
        if not (np.array_equal(y, y0) and np.array_equal(s, s0)):
            changed.append(name)
            break
    if changed or not (np.array_equal(y, y0) and np.array_equal(s, s0)):
        raise AssertionError(
            f"{', '.join(changed) or 'a function'} changed the caller's labels or scores (their "
            f"values or their order); R3: inputs are never modified"
        )
