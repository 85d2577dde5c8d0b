"""Hidden correctness tests of imbalanced_metrics.

Oracles are independent of the reference: scikit-learn (``roc_auc_score``,
``average_precision_score``, ``roc_curve``), scipy's Mann-Whitney U, and brute force over
pairs and over every random order of tied samples.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu
from sklearn.metrics import (
    auc,
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from graders.checks import assert_float, assert_float_fields


def _float(value, what):
    return assert_float(value, what=what)


def _close(got, expected, what, tol=1e-9, hint=""):
    _float(got, what)
    if not math.isclose(got, expected, rel_tol=tol, abs_tol=tol):
        raise AssertionError(f"{what} returned {got!r}, expected {expected!r}. {hint}".strip())


def _brute_auc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


TIES_AUC_HINT = (
    "With tied scores a positive/negative pair that ties is neither right nor wrong: it counts "
    "one half (Mann-Whitney U with average ranks, equivalently the trapezoid between distinct "
    "thresholds). Ordering tied samples by position or by a sort's tie-break makes the AUC "
    "depend on the order of the rows."
)


# -- roc_auc ------------------------------------------------------------------------------------


def test_roc_auc_matches_sklearn_without_ties(sol, smooth_sample, rng):
    """roc_auc on continuous scores equals sklearn's roc_auc_score."""
    y, s = smooth_sample(rng, 5000)
    _close(sol.roc_auc(y, s), roc_auc_score(y, s), "roc_auc(5000 continuous scores)")


def test_roc_auc_ties_count_half(sol, tied_sample, rng):
    """roc_auc on bucketed scores (many ties) equals sklearn, scipy's Mann-Whitney U / (P N)
    and the brute-force pair count with ties as one half."""
    y, s = tied_sample(rng, 3000)
    expected = roc_auc_score(y, s)
    u = mannwhitneyu(s[y == 1], s[y == 0], alternative="two-sided").statistic
    assert math.isclose(expected, u / ((y == 1).sum() * (y == 0).sum()), rel_tol=1e-12)
    assert math.isclose(expected, _brute_auc(y, s), rel_tol=1e-12)
    _close(sol.roc_auc(y, s), expected, "roc_auc(3000 bucketed scores, 20 levels)",
           hint=TIES_AUC_HINT)  # fmt: skip
    for y2 in ([1, 0], [0, 1]):  # one positive and one negative with the same score
        _close(sol.roc_auc(np.array(y2), np.array([0.5, 0.5])), 0.5,
               f"roc_auc(y_true={y2}, y_score=[0.5, 0.5])", hint=TIES_AUC_HINT)  # fmt: skip
    # the same data in another row order must give the same AUC
    perm = rng.permutation(y.shape[0])
    _close(sol.roc_auc(y[perm], s[perm]), expected, "roc_auc(same data, rows shuffled)",
           hint=TIES_AUC_HINT)  # fmt: skip


def test_roc_auc_constant_scores_is_half(sol, smooth_sample, rng):
    """Scores that are all equal carry no information: ROC-AUC 0.5."""
    y, _ = smooth_sample(rng, 200)
    _close(sol.roc_auc(y, np.full(200, 0.3)), 0.5, "roc_auc(200 equal scores)",
           hint=TIES_AUC_HINT)  # fmt: skip


def test_roc_auc_integer_bool_and_infinite_inputs(sol, tied_sample, rng):
    """Boolean labels, integer scores, lists and infinite scores are accepted."""
    y, s = tied_sample(rng, 400)
    s_int = (s * 4).astype(np.int64)
    expected = roc_auc_score(y, s_int)
    _close(sol.roc_auc(y.astype(bool), s_int), expected, "roc_auc(bool labels, int scores)")
    _close(sol.roc_auc(y.tolist(), s_int.tolist()), expected, "roc_auc(lists)")
    s_inf = s.copy()
    s_inf[np.argmax(y == 1)] = np.inf
    s_inf[np.argmax(y == 0)] = -np.inf
    _close(sol.roc_auc(y, s_inf), roc_auc_score(y, np.nan_to_num(s_inf)), "roc_auc(with +-inf)")


# -- average_precision ---------------------------------------------------------------------------

TRAPEZOID_HINT = (
    "Average precision is the step-wise sum of precision times the recall gained at each "
    "distinct threshold (sklearn's average_precision_score); the trapezoidal area under the "
    "precision-recall curve interpolates linearly between points, which is a different "
    "(and typically optimistic) number (Davis & Goadrich 2006)."
)
TIES_AP_HINT = (
    "Tied scores are one threshold: all samples with the same score enter together, so the "
    "precision used for them is the one after the whole tie group; treating each sample as its "
    "own threshold makes AP depend on the row order."
)


def _ap_hint(sol_value, y, s):
    precision, recall, _ = precision_recall_curve(y, s)
    if math.isclose(sol_value, auc(recall, precision), rel_tol=1e-9):
        return TRAPEZOID_HINT
    return TRAPEZOID_HINT + " " + TIES_AP_HINT


def test_average_precision_matches_sklearn(sol, smooth_sample, rng):
    """average_precision on continuous scores equals sklearn's average_precision_score."""
    y, s = smooth_sample(rng, 5000)
    got = sol.average_precision(y, s)
    expected = average_precision_score(y, s)
    _float(got, "average_precision")
    _close(got, expected, "average_precision(5000 continuous scores)", hint=_ap_hint(got, y, s))


def test_average_precision_ties_one_threshold(sol, tied_sample, rng):
    """average_precision on bucketed scores equals sklearn, whatever the row order."""
    y, s = tied_sample(rng, 3000)
    expected = average_precision_score(y, s)
    for label, order in (("positives first", np.lexsort((-y, -s))),
                         ("negatives first", np.lexsort((y, -s)))):  # fmt: skip
        yy, ss = y[order], s[order]
        got = sol.average_precision(yy, ss)
        _float(got, "average_precision")
        _close(got, expected, f"average_precision(3000 bucketed scores, ties listed {label})",
               hint=TIES_AP_HINT)  # fmt: skip


def test_average_precision_single_positive(sol, rng):
    """With one positive, AP is the precision at its threshold (tie group included)."""
    n = 50
    y = np.zeros(n, dtype=np.int64)
    s = rng.normal(size=n)
    y[7] = 1
    s[3] = s[7]  # a negative tied with the only positive
    rank = int((s >= s[7]).sum())
    _close(sol.average_precision(y, s), 1 / rank, "average_precision(one positive, one tie)",
           hint=TIES_AP_HINT)  # fmt: skip


# -- operating_point_at_recall ----------------------------------------------------------------


def _oracle_point(y, s, recall):
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    p = int((y == 1).sum())
    tp = np.rint(tpr * p)
    i = int(np.argmax(tp / p >= recall))
    fp = np.rint(fpr * (y == 0).sum())
    return thr[i], tp[i] / p, fpr[i], tp[i] / (tp[i] + fp[i])


def _check_point(point, expected, what, hint=""):
    names = ("threshold", "tpr", "fpr", "precision")
    assert_float_fields(point, expected, names, what=what, hint=hint)


def test_operating_point_matches_roc_curve(sol, smooth_sample, tied_sample, rng):
    """operating_point_at_recall picks the first ROC point (highest threshold) with TPR >= recall,
    on continuous and on bucketed scores."""
    for y, s in (smooth_sample(rng, 4000), tied_sample(rng, 4000)):
        for recall in (0.5, 0.9, float(rng.uniform(0.05, 0.99)), 1.0):
            point = sol.operating_point_at_recall(y, s, recall)
            _check_point(point, _oracle_point(y, s, recall),
                         f"operating_point_at_recall(n=4000, recall={recall})")  # fmt: skip


def test_operating_point_exact_recall(sol, smooth_sample, rng):
    """A recall reached exactly (TP / P == recall) is enough: no extra threshold step."""
    y, s = smooth_sample(rng, 3000)
    p = int(y.sum())
    for tp in (1, max(2, p // 3), p - 1):
        recall = tp / p
        point = sol.operating_point_at_recall(y, s, recall)
        _check_point(point, _oracle_point(y, s, recall),
                     f"operating_point_at_recall(P={p}, recall={tp}/{p})",
                     hint="TPR >= recall includes equality: the threshold whose TPR equals the "
                          "required recall already meets it.")  # fmt: skip


def test_operating_point_rejects_bad_recall(sol, smooth_sample, rng):
    """recall outside (0, 1] and a missing class raise ValueError."""
    y, s = smooth_sample(rng, 100)
    for bad in (0.0, -0.1, 1.01, float("nan")):
        with pytest.raises(ValueError):
            sol.operating_point_at_recall(y, s, bad)
            pytest.fail(f"operating_point_at_recall(recall={bad}) returned instead of raising")
    with pytest.raises(ValueError):
        sol.operating_point_at_recall(np.ones(10, dtype=int), s[:10], 0.5)
        pytest.fail("operating_point_at_recall with no negatives returned instead of raising")


# -- precision_at_k -----------------------------------------------------------------------------


def _brute_precision_at_k(y, s, k):
    """Average of precision@k over every way to fill the cut-off from the tied group."""
    kth = np.sort(s)[::-1][k - 1]
    above, tied = np.flatnonzero(s > kth), np.flatnonzero(s == kth)
    slots = k - above.size
    base = y[above].sum()
    combos = list(itertools.combinations(tied.tolist(), slots))
    return float(np.mean([(base + y[list(c)].sum()) / k for c in combos]))


def test_precision_at_k_without_ties(sol, smooth_sample, rng):
    """precision_at_k on distinct scores is the share of positives in the top k."""
    y, s = smooth_sample(rng, 2000)
    for k in (1, 10, 137, 2000):
        expected = y[np.argsort(-s)[:k]].mean()
        _close(sol.precision_at_k(y, s, k), float(expected), f"precision_at_k(k={k})")


def test_precision_at_k_ties_at_cutoff(sol, smooth_sample, rng):
    """When a tie group straddles the cut-off, precision_at_k is the expectation over every
    random order of the tied samples (brute force over all choices)."""
    n = 300
    y, s = smooth_sample(rng, n)
    order = np.argsort(-s)
    g = int(rng.integers(3, 7))  # tie group size
    start = int(rng.integers(5, 40))
    group = order[start : start + g]
    s[group] = s[order[start]]
    y[group] = 0
    y[group[int(rng.integers(0, g))]] = 1  # exactly one positive: any fixed pick is wrong
    for m in range(1, g):
        k = start + m
        expected = _brute_precision_at_k(y, s, k)
        _close(sol.precision_at_k(y, s, k), expected,
               f"precision_at_k(k={k}, {g} samples tied across the cut-off, 1 of them positive)",
               hint="Which tied samples make the top k is arbitrary: a sort's tie-break (row "
                    "order) is not information. The statement asks for the expectation over a "
                    "random order of the tied samples.")  # fmt: skip


def test_precision_at_k_rejects_bad_k(sol, smooth_sample, rng):
    """k must be an int in [1, n]."""
    y, s = smooth_sample(rng, 20)
    for bad in (0, 21, -1, 2.5):
        with pytest.raises(ValueError):
            sol.precision_at_k(y, s, bad)
            pytest.fail(f"precision_at_k(k={bad!r}) returned instead of raising ValueError")


# -- select_model: the blindspot -----------------------------------------------------------------


def _blindspot_models(rng, n_pos=300, n_neg=20000):
    """Model A: most positives far above every negative, a tail of positives lost among the
    negatives (high ROC-AUC, floods false positives at high recall). Model B: every positive
    in the top 40% of the negatives (lower ROC-AUC, fewer false positives at high recall)."""
    y = np.r_[np.ones(n_pos, dtype=np.int64), np.zeros(n_neg, dtype=np.int64)]
    lost = n_pos // 10
    a_pos = np.r_[rng.uniform(2, 3, n_pos - lost), rng.uniform(0, 0.5, lost)]
    b_pos = rng.uniform(0.6, 1.0, n_pos)
    return y, np.r_[a_pos, rng.uniform(0, 1, n_neg)], np.r_[b_pos, rng.uniform(0, 1, n_neg)]


def test_select_model_by_operating_point(sol, rng):
    """select_model ships the model with fewer false positives at the required recall, even
    when the other model has the higher ROC-AUC."""
    y, a, b = _blindspot_models(rng)
    recall = 0.97
    auc_a, auc_b = roc_auc_score(y, a), roc_auc_score(y, b)
    fpr_a, fpr_b = _oracle_point(y, a, recall)[2], _oracle_point(y, b, recall)[2]
    assert auc_a > auc_b + 0.05 and fpr_a > fpr_b + 0.1, (auc_a, auc_b, fpr_a, fpr_b)
    ratio = int((y == 0).sum() // (y == 1).sum())
    got = sol.select_model(y, {"model_a": a, "model_b": b}, recall)
    if got != "model_b":
        raise AssertionError(
            f"select_model(recall={recall}) returned {got!r}, expected 'model_b': model_a has "
            f"ROC-AUC {auc_a:.3f} but FPR {fpr_a:.3f} at recall {recall} (about "
            f"{fpr_a * 20000:.0f} false alarms), model_b has ROC-AUC {auc_b:.3f} and FPR "
            f"{fpr_b:.3f}. ROC-AUC averages over every threshold; with {ratio} negatives per "
            "positive its huge true-negative count hides a false-positive rate that floods "
            "production. Judge the model at the operating point the product needs."
        )


def test_select_model_tie_breaks(sol, smooth_sample, rng):
    """Equal FPR at the recall: the higher average precision wins, then the smallest name."""
    y, s = smooth_sample(rng, 1000)
    recall = 0.5
    order = np.argsort(-s)
    first_pos = int(np.argmax(y[order] == 1))
    later_neg = first_pos + 1 + int(np.argmax(y[order][first_pos + 1 :] == 0))
    worse = s.copy()  # swap the top positive below a negative: lower AP, same operating point
    i, j = order[first_pos], order[later_neg]
    worse[i], worse[j] = s[j], s[i]
    assert _oracle_point(y, s, recall)[2] == _oracle_point(y, worse, recall)[2]
    assert average_precision_score(y, worse) < average_precision_score(y, s)
    got = sol.select_model(y, {"a_worse": worse, "b_better": s}, recall)
    assert got == "b_better", (
        f"select_model with equal FPR at recall {recall} returned {got!r}, expected 'b_better' "
        "(the higher average precision)"
    )
    got = sol.select_model(y, {"zeta": s, "alpha": s.copy()}, recall)
    assert got == "alpha", f"select_model with identical models returned {got!r}, expected 'alpha'"
    with pytest.raises(ValueError):
        sol.select_model(y, {}, recall)
        pytest.fail("select_model({}) returned instead of raising ValueError")


# -- input rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["roc_auc", "average_precision", "operating_point_at_recall",
                                "precision_at_k"])  # fmt: skip
def test_bad_inputs_raise(sol, fn):
    """Non-1-D, mismatched, empty, non-0/1 labels and NaN scores raise ValueError."""
    extra = {"operating_point_at_recall": (0.5,), "precision_at_k": (1,)}.get(fn, ())
    cases = {
        "2-D scores": ([0, 1], [[0.1, 0.2]]),
        "length mismatch": ([0, 1, 1], [0.1, 0.2]),
        "empty": ([], []),
        "label 2": ([0, 2, 1], [0.1, 0.2, 0.3]),
        "NaN score": ([0, 1, 1], [0.1, np.nan, 0.3]),
    }
    for label, (y, s) in cases.items():
        with pytest.raises(ValueError):
            getattr(sol, fn)(np.asarray(y), np.asarray(s, dtype=float), *extra)
            pytest.fail(f"{fn} with {label} returned instead of raising ValueError")


def test_inputs_not_modified(sol, tied_sample, rng):
    """No function modifies its arguments."""
    y, s = tied_sample(rng, 500)
    y0, s0 = y.copy(), s.copy()
    sol.roc_auc(y, s)
    sol.average_precision(y, s)
    sol.operating_point_at_recall(y, s, 0.8)
    sol.precision_at_k(y, s, 50)
    assert np.array_equal(y, y0) and np.array_equal(s, s0), "a metric modified its inputs"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_small_inputs_property(sol, data):
    """Property: on any small input with integer scores (ties everywhere), roc_auc and
    average_precision equal sklearn and precision_at_k the brute force."""
    n = data.draw(st.integers(2, 12), label="n")
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n), label="y"))
    s = np.array(data.draw(st.lists(st.integers(-2, 2), min_size=n, max_size=n), label="s"),
                 dtype=float)  # fmt: skip
    if y.min() == y.max():
        y[0] = 1 - y[0]
    k = data.draw(st.integers(1, n), label="k")
    _close(sol.roc_auc(y, s), roc_auc_score(y, s), f"roc_auc(y={y.tolist()}, s={s.tolist()})",
           hint=TIES_AUC_HINT)  # fmt: skip
    _close(sol.average_precision(y, s), average_precision_score(y, s),
           f"average_precision(y={y.tolist()}, s={s.tolist()})", hint=TIES_AP_HINT)  # fmt: skip
    _close(sol.precision_at_k(y, s, k), _brute_precision_at_k(y, s, k),
           f"precision_at_k(y={y.tolist()}, s={s.tolist()}, k={k})")  # fmt: skip
