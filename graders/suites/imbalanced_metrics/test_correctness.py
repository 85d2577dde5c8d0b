"""Hidden correctness tests of imbalanced_metrics.

Oracles are independent of the reference: scikit-learn (``roc_auc_score``,
``average_precision_score``), scipy's Mann-Whitney U, and brute force over pairs, over every
distinct threshold and over every random order of tied samples. Every trap is built into the
inputs (ties across the classes, a recall whose float product lands above TP, thresholds that
share the fewest false positives, models that tie on FPR), not left to the seed.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu
from sklearn.metrics import average_precision_score, roc_auc_score

from graders.checks import assert_float, assert_raises_value_error


def _close(got, expected, what, rule, tol=1e-9):
    assert_float(got, what=f"{what} (R3: a Python float)")
    if not math.isclose(got, expected, rel_tol=tol, abs_tol=tol):
        raise AssertionError(
            f"{what} returned {got!r}, which is wrong by more than {tol:g}; {rule}"
        )


def _raises(what, call, rule="R1"):
    assert_raises_value_error(call, what, rule)


def _brute_auc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


R4 = (
    "R4: tied scores are one threshold, so no result may depend on the order of the rows "
    "(a sort's tie-break is not information)"
)
R5 = (
    "R5: ROC-AUC is the probability that a random positive outscores a random negative, a tied "
    "pair counting one half"
)
R6 = (
    "R6: average precision is the step-wise sum over distinct thresholds, as sklearn's "
    "average_precision_score; a trapezoidal area under the precision-recall curve interpolates "
    "between points and is a different (typically optimistic) number"
)


# -- roc_auc ------------------------------------------------------------------------------------


@pytest.mark.rules("R3", "R5")
def test_roc_auc_matches_sklearn_without_ties(sol, smooth_sample, rng):
    """roc_auc on continuous scores equals sklearn's roc_auc_score, as a Python float."""
    y, s = smooth_sample(rng, 5000)
    _close(sol.roc_auc(y, s), roc_auc_score(y, s), "roc_auc(5000 continuous scores)", R5)


@pytest.mark.rules("R4", "R5")
def test_roc_auc_ties_count_half(sol, tied_sample, rng):
    """roc_auc on bucketed scores (many ties) equals sklearn, scipy's Mann-Whitney U / (P N)
    and the brute-force pair count with ties as one half, in any row order."""
    y, s = tied_sample(rng, 3000)
    expected = roc_auc_score(y, s)
    u = mannwhitneyu(s[y == 1], s[y == 0], alternative="two-sided").statistic
    assert math.isclose(expected, u / ((y == 1).sum() * (y == 0).sum()), rel_tol=1e-12)
    assert math.isclose(expected, _brute_auc(y, s), rel_tol=1e-12)
    for y2 in ([1, 0], [0, 1]):  # one positive and one negative with the same score
        _close(sol.roc_auc(np.array(y2), np.array([0.5, 0.5])), 0.5,
               f"roc_auc(y_true={y2}, y_score=[0.5, 0.5])", R5)  # fmt: skip
    for label, order in (("positives first", np.lexsort((-y, -s))),
                         ("negatives first", np.lexsort((y, -s))),
                         ("shuffled", rng.permutation(y.shape[0]))):  # fmt: skip
        _close(sol.roc_auc(y[order], s[order]), expected,
               f"roc_auc(3000 bucketed scores, 12 levels, ties listed {label})",
               f"{R5}; {R4}")  # fmt: skip


@pytest.mark.rules("R5")
def test_roc_auc_constant_scores_is_half(sol, smooth_sample, rng):
    """Scores that are all equal carry no information: ROC-AUC 0.5."""
    y, _ = smooth_sample(rng, 200)
    _close(sol.roc_auc(y, np.full(200, 0.3)), 0.5, "roc_auc(200 equal scores)", R5)


@pytest.mark.rules("R5")
def test_roc_auc_integer_bool_and_infinite_inputs(sol, tied_sample, rng):
    """Boolean labels, integer scores, lists and infinite scores are accepted."""
    y, s = tied_sample(rng, 400)
    s_int = (s * 4).astype(np.int64)
    expected = roc_auc_score(y, s_int)
    _close(sol.roc_auc(y.astype(bool), s_int), expected, "roc_auc(bool labels, int scores)", R5)
    _close(sol.roc_auc(y.tolist(), s_int.tolist()), expected, "roc_auc(lists)", R5)
    s_inf = s.copy()
    s_inf[np.argmax(y == 1)] = np.inf
    s_inf[np.argmax(y == 0)] = -np.inf
    _close(sol.roc_auc(y, s_inf), roc_auc_score(y, np.nan_to_num(s_inf)), "roc_auc(with +-inf)",
           "R5: +-inf rank above/below every finite score")  # fmt: skip


# -- average_precision ---------------------------------------------------------------------------


@pytest.mark.rules("R6")
def test_average_precision_matches_sklearn(sol, smooth_sample, rng):
    """average_precision on continuous scores equals sklearn's average_precision_score."""
    y, s = smooth_sample(rng, 5000)
    _close(sol.average_precision(y, s), average_precision_score(y, s),
           "average_precision(5000 continuous scores)", R6)  # fmt: skip


@pytest.mark.rules("R4", "R6")
def test_average_precision_ties_one_threshold(sol, tied_sample, rng):
    """average_precision on bucketed scores equals sklearn, whatever the row order."""
    y, s = tied_sample(rng, 3000)
    expected = average_precision_score(y, s)
    for label, order in (("positives first", np.lexsort((-y, -s))),
                         ("negatives first", np.lexsort((y, -s)))):  # fmt: skip
        _close(sol.average_precision(y[order], s[order]), expected,
               f"average_precision(3000 bucketed scores, ties listed {label})", R4)  # fmt: skip


@pytest.mark.rules("R4", "R6")
def test_average_precision_single_positive(sol, rng):
    """With one positive, AP is the precision at its threshold (tie group included)."""
    n = 50
    y = np.zeros(n, dtype=np.int64)
    s = rng.normal(size=n)
    y[7] = 1
    s[3] = s[7]  # a negative tied with the only positive, listed before it
    rank = int((s >= s[7]).sum())
    _close(sol.average_precision(y, s), 1 / rank, "average_precision(one positive, one tie)", R4)


# -- operating_point_at_recall ----------------------------------------------------------------


def _oracle_point(y, s, recall):
    """Brute force over every distinct threshold: fewest FP among TP / P >= recall, then most TP."""
    p, n = int((y == 1).sum()), int((y == 0).sum())
    best = None
    for t in np.unique(s):
        pred = s >= t
        tp = int(y[pred].sum())
        fp = int(pred.sum()) - tp
        if tp / p >= recall and (best is None or (fp, -tp) < best[0]):
            best = ((fp, -tp), float(t), tp, fp)
    _, t, tp, fp = best
    return t, tp / p, fp / n, tp / (tp + fp)


def _check_point(point, expected, what, rule):
    names = ("threshold", "tpr", "fpr", "precision")
    if not isinstance(point, tuple) or len(point) != 4:
        raise AssertionError(f"{what} returned {point!r}; R3: an OperatingPoint of 4 floats")
    for name, g in zip(names, point, strict=True):
        assert_float(g, what=f"{what}.{name} (R3: Python floats)")
    for name, g, e in zip(names, point, expected, strict=True):
        if not math.isclose(g, e, rel_tol=1e-9, abs_tol=1e-12):
            raise AssertionError(f"{what} returned {name}={g!r}, which is wrong; {rule}")


R7 = (
    "R7: among the thresholds whose TPR = TP / P (as a float) is >= the recall, equality "
    "included, the one with the fewest false positives"
)
R8 = (
    "R8: among the thresholds reaching the recall with the fewest false positives, the one with "
    "the most true positives (the lowest of them)"
)


@pytest.mark.rules("R3", "R7", "R8")
def test_operating_point_matches_brute_force(sol, smooth_sample, tied_sample, rng):
    """operating_point_at_recall equals a brute force over the distinct thresholds, on
    continuous and on bucketed scores."""
    for y, s in (smooth_sample(rng, 3000), tied_sample(rng, 3000)):
        for recall in (0.5, 0.9, float(rng.uniform(0.05, 0.99)), 1.0):
            point = sol.operating_point_at_recall(y, s, recall)
            _check_point(point, _oracle_point(y, s, recall),
                         f"operating_point_at_recall(n=3000, recall={recall})", f"{R7}; {R8}")  # fmt: skip


def _float_trap_sample(rng, p, targets, n_neg=1500):
    """p positives and n_neg negatives with distinct scores, and a negative scored between the
    tp-th and (tp + 1)-th positive (from the top) for every tp in ``targets``."""
    pos = np.sort(rng.normal(1.5, 1.0, size=p))[::-1]
    neg = rng.normal(0.0, 1.0, size=n_neg)
    for i, tp in enumerate(targets):
        neg[i] = (pos[tp - 1] + pos[tp]) / 2
    y = np.r_[np.ones(p, dtype=np.int64), np.zeros(n_neg, dtype=np.int64)]
    s = np.r_[pos, neg]
    perm = rng.permutation(y.shape[0])
    return y[perm], s[perm]


@pytest.mark.rules("R7")
def test_operating_point_exact_recall(sol, rng):
    """A recall reached exactly (TP / P == recall) is enough, also where recall * P, as a
    float, lands just above TP (TP = 7, 14, 28 of P = 41 or 50)."""
    for p, targets in ((41, (7, 14, 23, 28)), (50, (7, 14, 28))):
        assert all((tp / p) * p > tp for tp in targets)  # the float trap is in the input
        y, s = _float_trap_sample(rng, p, targets)
        for tp in targets:
            recall = tp / p
            point = sol.operating_point_at_recall(y, s, recall)
            _check_point(point, _oracle_point(y, s, recall),
                         f"operating_point_at_recall(P={p}, recall={tp}/{p})",
                         f"{R7}: a threshold whose TPR equals the recall already meets it")  # fmt: skip
    y, s = _float_trap_sample(rng, 41, (40,))
    point = sol.operating_point_at_recall(y, s, 1.0)
    _check_point(point, _oracle_point(y, s, 1.0), "operating_point_at_recall(recall=1.0)", R7)


@pytest.mark.rules("R8")
def test_operating_point_fp_tie_most_tp(sol, rng):
    """When the first threshold reaching the recall is followed by more positives before the
    next negative, the answer is the lowest of those thresholds (same FP, most TP)."""
    point = sol.operating_point_at_recall([1, 0, 1, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5], 0.5)
    _check_point(point, (0.6, 1.0, 0.5, 0.75),
                 "operating_point_at_recall([1, 0, 1, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5], 0.5)", R8)  # fmt: skip
    n = 2000
    labels = (rng.random(n) < 0.1).astype(np.int64)  # in rank order, highest score first
    j = int(np.flatnonzero(labels)[int(labels.sum()) // 3])
    labels[j + 1 : j + 4] = 1
    labels[j + 4] = 0
    labels[:2] = [1, 0]
    scores = np.sort(rng.normal(size=n))[::-1]
    tied = scores.copy()
    tied[j + 2 : j + 4] = tied[j + 1]  # the run of positives also as one tie group
    recall = int(labels[: j + 1].sum()) / int(labels.sum())
    for label, s in (("distinct scores", scores), ("a tied run of positives", tied)):
        perm = rng.permutation(n)
        y, ss = labels[perm], s[perm]
        point = sol.operating_point_at_recall(y, ss, recall)
        _check_point(point, _oracle_point(y, ss, recall),
                     f"operating_point_at_recall(n={n}, {label}, recall={recall:.4f}) where the "
                     f"first threshold reaching the recall is followed by 3 more positives", R8)  # fmt: skip


# -- precision_at_k -----------------------------------------------------------------------------


def _brute_precision_at_k(y, s, k):
    """Average of precision@k over every way to fill the cut-off from the tied group."""
    kth = np.sort(s)[::-1][k - 1]
    above, tied = np.flatnonzero(s > kth), np.flatnonzero(s == kth)
    slots = k - above.size
    base = y[above].sum()
    combos = list(itertools.combinations(tied.tolist(), slots))
    return float(np.mean([(base + y[list(c)].sum()) / k for c in combos]))


R9 = (
    "R9: the expected share of positives in the top k over a random order of the samples tied "
    "at the cut-off"
)


@pytest.mark.rules("R9")
def test_precision_at_k_without_ties(sol, smooth_sample, rng):
    """precision_at_k on distinct scores is the share of positives in the top k."""
    y, s = smooth_sample(rng, 2000)
    for k in (1, 10, 137, 2000):
        expected = y[np.argsort(-s)[:k]].mean()
        _close(sol.precision_at_k(y, s, k), float(expected), f"precision_at_k(k={k})", R9)


@pytest.mark.rules("R9")
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
        _close(sol.precision_at_k(y, s, k), _brute_precision_at_k(y, s, k),
               f"precision_at_k(k={k}, {g} samples tied across the cut-off, 1 of them positive)",
               f"{R9}: which tied samples make the top k is arbitrary, and a sort's tie-break "
               f"is not information")  # fmt: skip


# -- select_model: the blindspot -----------------------------------------------------------------


def _blindspot_models(rng, n_pos=300, n_neg=20000):
    """Model A: most positives far above every negative, a tail of positives lost among the
    negatives (high ROC-AUC and AP, floods false positives at high recall). Model B: every
    positive in the top 40% of the negatives (lower ROC-AUC and AP, fewer false positives at
    high recall)."""
    y = np.r_[np.ones(n_pos, dtype=np.int64), np.zeros(n_neg, dtype=np.int64)]
    lost = n_pos // 10
    a_pos = np.r_[rng.uniform(2, 3, n_pos - lost), rng.uniform(0, 0.5, lost)]
    b_pos = rng.uniform(0.6, 1.0, n_pos)
    return y, np.r_[a_pos, rng.uniform(0, 1, n_neg)], np.r_[b_pos, rng.uniform(0, 1, n_neg)]


@pytest.mark.rules("R10")
def test_select_model_by_operating_point(sol, rng):
    """select_model ships the model with fewer false positives at the required recall, even
    when the other model has the higher ROC-AUC, the higher AP and the smaller name."""
    y, a, b = _blindspot_models(rng)
    recall = 0.97
    auc_a, auc_b = roc_auc_score(y, a), roc_auc_score(y, b)
    ap_a, ap_b = average_precision_score(y, a), average_precision_score(y, b)
    fpr_a, fpr_b = _oracle_point(y, a, recall)[2], _oracle_point(y, b, recall)[2]
    assert auc_a > auc_b + 0.05 and ap_a > ap_b and fpr_a > fpr_b + 0.1, (auc_a, auc_b, fpr_a)
    ratio = int((y == 0).sum() // (y == 1).sum())
    got = sol.select_model(y, {"model_a": a, "model_b": b}, recall)
    if got != "model_b":
        raise AssertionError(
            f"select_model(recall={recall}) returned {got!r}: model_a has ROC-AUC {auc_a:.3f} but "
            f"about {fpr_a * 20000:.0f} false alarms at recall {recall}, model_b ROC-AUC "
            f"{auc_b:.3f} and {fpr_b * 20000:.0f}. R10: the lowest FPR at the required recall wins. "
            f"ROC-AUC averages over every threshold; with {ratio} negatives per positive its huge "
            f"true-negative count hides a false-positive rate that floods production."
        )
    _raises("select_model(y, {}, 0.5)", lambda: sol.select_model(y, {}, 0.5))


def _ranked_scores(rng, pos_ids, neg_ids, labels_in_rank_order):
    """Scores that rank the samples in the given label order (highest first); which positive
    (negative) takes which positive (negative) slot is random."""
    pos, neg = list(rng.permutation(pos_ids)), list(rng.permutation(neg_ids))
    scores = np.empty(len(pos_ids) + len(neg_ids))
    values = np.sort(rng.uniform(0, 1, size=scores.shape[0]))[::-1]
    for value, label in zip(values, labels_in_rank_order, strict=True):
        scores[(pos if label else neg).pop()] = value
    return scores


@pytest.mark.rules("R11")
def test_select_model_tie_breaks(sol, rng):
    """Equal FPR at the recall: the higher average precision wins (here against the higher
    ROC-AUC, the smaller name and the first listed), then the smallest name."""
    y = np.r_[np.ones(10, dtype=np.int64), np.zeros(20, dtype=np.int64)]
    pos_ids, neg_ids = np.arange(10), np.arange(10, 30)
    # "zulu": 4 positives on top, 5 lost at the bottom (better AP, worse ROC-AUC);
    # "alpha": 4 negatives on top, then positives (worse AP, better ROC-AUC). At recall 0.5 both
    # have 4 false positives.
    zulu = _ranked_scores(rng, pos_ids, neg_ids, [1, 1, 1, 1, 0, 0, 0, 0, 1] + [0] * 16 + [1] * 5)
    alpha = _ranked_scores(
        rng, pos_ids, neg_ids, [0, 0, 0, 0, 1, 1, 1, 1, 1] + [1, 0] * 4 + [1] + [0] * 12
    )
    recall = 0.5
    assert _oracle_point(y, zulu, recall)[2] == _oracle_point(y, alpha, recall)[2] == 4 / 20
    assert average_precision_score(y, zulu) > average_precision_score(y, alpha) + 0.1
    assert roc_auc_score(y, zulu) < roc_auc_score(y, alpha) - 0.1
    got = sol.select_model(y, {"alpha": alpha, "zulu": zulu}, recall)
    assert got == "zulu", (
        f"select_model(recall=0.5) of two models with 4 false positives each at that recall "
        f"returned {got!r}; R11: equal FPR is broken by the higher average precision (the two "
        f"models rank differently by average precision, by ROC-AUC and by name)"
    )
    same = 3.0 * alpha + 1.0  # the same ranking: every metric equal
    got = sol.select_model(y, {"beta": alpha, "alpha": same}, recall)
    assert got == "alpha", (
        f"select_model of two models with the same ranking ('beta' listed first, then 'alpha') "
        f"returned {got!r}; R11: equal FPR and AP are broken by the smallest name"
    )


# -- input rules ---------------------------------------------------------------------------------


@pytest.mark.rules("R1")
@pytest.mark.parametrize("fn", ["roc_auc", "average_precision", "operating_point_at_recall",
                                "precision_at_k"])  # fmt: skip
def test_bad_inputs_raise(sol, fn):
    """Non-1-D, mismatched, empty, non-0/1 labels and NaN scores raise ValueError."""
    extra = {"operating_point_at_recall": (0.5,), "precision_at_k": (1,)}.get(fn, ())
    cases = {
        "2-D scores": ([0, 1], np.array([[0.1, 0.2]])),
        "length mismatch": ([0, 1, 1], [0.1, 0.2]),
        "empty float arrays": (np.array([]), np.array([])),
        "empty int labels": (np.array([], dtype=np.int64), np.array([], dtype=np.float64)),
        "label 2": ([0, 2, 1], [0.1, 0.2, 0.3]),
        "label -1": (np.array([0, -1, 1]), np.array([0.1, 0.2, 0.3])),
        "NaN score": ([0, 1, 1], [0.1, np.nan, 0.3]),
    }
    for label, (y, s) in cases.items():
        _raises(f"{fn}({label})", lambda y=y, s=s: getattr(sol, fn)(np.asarray(y), np.asarray(s, dtype=float), *extra))  # fmt: skip


@pytest.mark.rules("R1")
def test_metric_specific_errors(sol, smooth_sample, rng):
    """One class for roc_auc, no positive for average_precision, a bad recall or a missing
    class for operating_point_at_recall, a bad k for precision_at_k raise ValueError."""
    y, s = smooth_sample(rng, 20)
    _raises("roc_auc(all positive)", lambda: sol.roc_auc(np.ones(5, dtype=int), s[:5]))
    _raises("roc_auc(all negative)", lambda: sol.roc_auc(np.zeros(5, dtype=int), s[:5]))
    _raises("average_precision(no positive)",
            lambda: sol.average_precision(np.zeros(5, dtype=int), s[:5]))  # fmt: skip
    for bad in (0.0, -0.1, 1.01, float("nan"), True):
        _raises(f"operating_point_at_recall(recall={bad!r})",
                lambda bad=bad: sol.operating_point_at_recall(y, s, bad))  # fmt: skip
    _raises("operating_point_at_recall(no negatives)",
            lambda: sol.operating_point_at_recall(np.ones(10, dtype=int), s[:10], 0.5))  # fmt: skip
    for bad in (0, 21, -1, 2.5, True):
        _raises(f"precision_at_k(n=20, k={bad!r})", lambda bad=bad: sol.precision_at_k(y, s, bad))


@pytest.mark.rules("R2")
def test_inputs_not_modified(sol, tied_sample, smooth_sample, rng):
    """No function modifies its arguments (int and bool labels, bucketed and continuous
    float64 scores with infinities; values and order): the bridge writes any in-place change
    made in the submission's process back to the caller's arrays."""
    y1, s1 = tied_sample(rng, 500)
    y2, s2 = smooth_sample(rng, 500)
    s2[:2] = [np.inf, -np.inf]
    calls = (("roc_auc", ()), ("average_precision", ()), ("operating_point_at_recall", (0.8,)),
             ("precision_at_k", (50,)))  # fmt: skip
    for y, s in ((y1, s1), (y2.astype(bool), s2)):
        y0, s0 = y.copy(), s.copy()
        changed = []
        for name, extra in calls:
            getattr(sol, name)(y, s, *extra)
            if not (np.array_equal(y, y0) and np.array_equal(s, s0)):
                changed.append(name)
                break
        sol.select_model(y, {"m": s}, 0.8)
        if changed or not (np.array_equal(y, y0) and np.array_equal(s, s0)):
            raise AssertionError(
                f"{', '.join(changed) or 'a metric'} changed the caller's labels or scores "
                f"(their values or their order); R2: inputs are never modified"
            )


@pytest.mark.rules("R4", "R5", "R6", "R9")
@settings(max_examples=60, phases=(Phase.explicit, Phase.generate, Phase.shrink),
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
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
    _close(sol.roc_auc(y, s), roc_auc_score(y, s), f"roc_auc(y={y.tolist()}, s={s.tolist()})", R5)
    _close(sol.average_precision(y, s), average_precision_score(y, s),
           f"average_precision(y={y.tolist()}, s={s.tolist()})", f"{R6}; {R4}")  # fmt: skip
    _close(sol.precision_at_k(y, s, k), _brute_precision_at_k(y, s, k),
           f"precision_at_k(y={y.tolist()}, s={s.tolist()}, k={k})", R9)  # fmt: skip
