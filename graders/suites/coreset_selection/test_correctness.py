"""Hidden correctness tests of coreset_selection.

Oracles: scipy's softmax and entropy; k-center greedy by brute force with direct float64
distances (conftest.py); the optimal k-center radius by enumeration for the 2-approximation
property; a pool with near-duplicate uncertain points for diversity.
"""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from graders.checks import assert_raises_value_error, assert_tensor


def _raises(what, call, rule):
    assert_raises_value_error(call, what, rule)


def _picks(out, k, call):
    if type(out) is not torch.Tensor or out.dtype != torch.int64 or out.shape != (k,):
        raise AssertionError(
            f"{call} returned {type(out).__name__} {getattr(out, 'dtype', '')} "
            f"{tuple(getattr(out, 'shape', ()))}; an int64 tensor of shape ({k},)"
        )
    return out.tolist()


@pytest.mark.rules("R1")
def test_entropy_values(sol, oracle, rng):
    """predictive_entropy matches scipy for random, saturated ([1000, 0]), masked (-inf) and
    single-class rows, as float64 without NaN; no rows give an empty float64 tensor."""
    rows = [rng.normal(0, 3, size=6) for _ in range(20)]
    rows += [np.array([1000.0, 0, 0, 0, 0, 0]), np.array([-800.0, 50, 50, 0, 0, 0])]
    rows += [np.array([0.0, -np.inf, 1.0, -np.inf, 2.0, 0.5]), np.full(6, 3.0)]
    logits = np.stack(rows)
    got = sol.predictive_entropy(torch.from_numpy(logits).float())
    want = oracle.entropy(logits.astype(np.float32).astype(np.float64))
    try:
        assert_tensor(
            got,
            torch.from_numpy(want),
            what="predictive_entropy(logits with [1000, 0 ...] and -inf)",
            rtol=1e-5,
        )
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; R1: H = -sum p log p with 0 log 0 = 0, also where a saturated or masked "
            f"class has p = 0"
        ) from None
    one = sol.predictive_entropy(torch.tensor([[4.0], [-3.0]]))
    assert type(one) is torch.Tensor and one.dtype == torch.float64 and one.tolist() == [0, 0], (
        f"predictive_entropy of single-class rows returned {one!r:.80}; R1: float64 zeros"
    )
    empty = sol.predictive_entropy(torch.zeros(0, 3))
    assert type(empty) is torch.Tensor and empty.dtype == torch.float64 and empty.shape == (0,), (
        f"predictive_entropy(zeros(0, 3)) returned {empty!r:.80}; R1: an empty float64 tensor"
    )


@pytest.mark.rules("R2")
def test_entropy_errors(sol):
    """Not 2-D floating, zero classes, NaN, +inf and a row of only -inf raise ValueError."""
    cases = [
        ("predictive_entropy(NaN)", lambda: sol.predictive_entropy(torch.tensor([[0.0, float("nan")]]))),
        ("predictive_entropy(+inf)", lambda: sol.predictive_entropy(torch.tensor([[0.0, 1.0], [math.inf, 0.0]]))),
        ("predictive_entropy(all -inf row)", lambda: sol.predictive_entropy(torch.tensor([[0.0, 1.0], [-math.inf, -math.inf]]))),
        ("predictive_entropy(1-D)", lambda: sol.predictive_entropy(torch.zeros(3))),
        ("predictive_entropy(int64 logits)", lambda: sol.predictive_entropy(torch.zeros(2, 3, dtype=torch.int64))),
        ("predictive_entropy(zero classes)", lambda: sol.predictive_entropy(torch.zeros(3, 0))),
    ]  # fmt: skip
    for label, call in cases:
        _raises(label, call, "R2")


@pytest.mark.rules("R3")
def test_k_center_exact_selection(sol, oracle, rng):
    """k_center_greedy picks exactly the greedy sequence (farthest from the nearest centre,
    first pick index 0) on continuous data, float32 and float64 features."""
    x = rng.normal(size=(300, 5)) * rng.uniform(0.5, 3, size=5)
    x[0] = x.mean(axis=0)  # index 0 is not the farthest point from anything
    for dtype in (torch.float64, torch.float32):
        feats = torch.from_numpy(x).to(dtype)
        call = f"k_center_greedy({dtype} features (300, 5), 25)"
        got = _picks(sol.k_center_greedy(feats, 25), 25, call)
        want = oracle.k_center(feats.double().numpy(), 25)
        if got != want:
            first = next(i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w)
            raise AssertionError(
                f"{call}: pick {first} (0-based) is not the point farthest from its nearest "
                f"centre; R3: with no labelled point the first pick is index 0, then each pick "
                f"is the point whose float64 distance to its nearest centre is the largest"
            )


@pytest.mark.rules("R4")
def test_k_center_tie_break(sol, oracle, rng):
    """On integer grid points with duplicates (exact ties), ties go to the lowest index, and no
    point is picked twice even when every remaining point sits on a centre."""
    x = rng.integers(-3, 4, size=(60, 3)).astype(np.float64)
    x[30:] = x[:30]  # every point twice
    distinct = len({tuple(r) for r in x})
    for k in (10, distinct + 5):
        call = f"k_center_greedy(60 integer grid points, each twice, k={k})"
        got = _picks(sol.k_center_greedy(torch.from_numpy(x), k), k, call)
        if len(set(got)) != k:
            raise AssertionError(f"{call} picked a point twice; R4: a pick is never picked again")
        if got != oracle.k_center(x, k):
            raise AssertionError(
                f"{call} broke a tie between equally far points wrongly; R4: ties go to the "
                f"lowest index"
            )


@pytest.mark.rules("R5")
def test_labelled_points_are_centres(sol, oracle, rng):
    """With labelled points, the picks are farthest from the labelled set too, and never
    labelled; an empty labelled tensor is the same as None."""
    x = rng.normal(size=(250, 4))
    labelled = sorted(int(i) for i in rng.choice(250, size=15, replace=False))
    call = "k_center_greedy(x (250, 4), 12, labelled=15 indices)"
    got = _picks(
        sol.k_center_greedy(torch.from_numpy(x), 12, labelled=torch.tensor(labelled)), 12, call
    )
    if set(got) & set(labelled):
        raise AssertionError(
            f"{call} picked a labelled point; R4: labelled points are never picked"
        )
    if got != oracle.k_center(x, 12, labelled):
        raise AssertionError(
            f"{call} did not pick the points farthest from their nearest centre, labelled points "
            f"included; R5: the labelled points are centres from the start (a point next to an "
            f"already-labelled one adds almost nothing to the core-set)"
        )
    empty = torch.zeros(0, dtype=torch.int64)
    got = _picks(
        sol.k_center_greedy(torch.from_numpy(x), 5, labelled=empty),
        5,
        "k_center_greedy(labelled=[])",
    )
    assert got == oracle.k_center(x, 5), (
        "k_center_greedy(x, 5, labelled=empty int64 tensor) differs from labelled=None; R5"
    )


@pytest.mark.rules("R3")
@settings(max_examples=40, phases=(Phase.explicit, Phase.generate, Phase.shrink),
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    points=st.lists(st.tuples(st.integers(-20, 20), st.integers(-20, 20)), min_size=3, max_size=11),
    k=st.integers(1, 4),
)
def test_two_approximation_property(sol, points, k):
    """Property: the greedy covering radius is at most twice the optimal k-center radius
    (Gonzalez 1985), found by enumerating every set of k centres."""
    x = np.array(points, dtype=np.float64)
    k = min(k, len(points))
    picks = sol.k_center_greedy(torch.from_numpy(x), k).tolist()
    assert len(set(picks)) == k, f"k_center_greedy({len(points)} points, k={k}) repeated a pick; R4"
    dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    radius = dist[:, picks].min(axis=1).max()
    best = min(dist[:, list(c)].min(axis=1).max() for c in itertools.combinations(range(len(x)), k))
    assert radius <= 2 * best + 1e-9, (
        f"k_center_greedy({len(points)} integer points, k={k}) covers with radius {radius:.4g}, "
        f"more than twice the optimal; R3: the greedy farthest-point rule is a 2-approximation"
    )


@pytest.mark.rules("R7", "R8")
def test_select_batch_exact(sol, oracle, rng):
    """select_batch = k-center greedy over the pool_size highest-entropy unlabelled points (first
    pick the most uncertain), with and without labelled points."""
    n = 400
    logits = rng.normal(0, 2, size=(n, 5))
    x = rng.normal(size=(n, 6))
    labelled = sorted(int(i) for i in rng.choice(n, size=20, replace=False))
    cases = [
        ("no labelled, default pool", {}, 15, (), None),
        ("20 labelled, pool_size=120", {"labelled": torch.tensor(labelled), "pool_size": 120}, 15, labelled, 120),
        ("pool_size = k = 8", {"pool_size": 8}, 8, (), 8),
        ("20 labelled, k=50, default pool", {"labelled": torch.tensor(labelled)}, 50, labelled, None),
    ]  # fmt: skip
    for label, kwargs, k, lab, pool in cases:
        call = f"select_batch(400 points, {label})"
        try:
            out = sol.select_batch(torch.from_numpy(logits), torch.from_numpy(x), k, **kwargs)
        except ValueError as exc:
            raise AssertionError(
                f"{call} raised ValueError ({exc}); R7: pool_size defaults to "
                f"min(unlabelled points, 10 k)"
            ) from None
        got = _picks(out, k, call)
        want = oracle.select(logits, x, k, lab, pool)
        if got != want:
            raise AssertionError(
                f"{call} picked a different batch; R7: the candidates are the pool_size "
                f"highest-entropy unlabelled points (default min(unlabelled, 10 k)); R8: the "
                f"batch is k-center greedy over them, labelled points as initial centres, the "
                f"most uncertain candidate first when nothing is labelled"
            )


@pytest.mark.rules("R8")
def test_select_batch_diversity(sol, rng):
    """With 60 near-duplicates of one maximally uncertain sample in the pool, the batch holds at
    most one of them and spreads over the other uncertain samples."""
    n, d, C = 400, 8, 4
    x = rng.normal(size=(n, d)) * 3
    logits = rng.normal(0, 0.6, size=(n, C))
    dup = rng.choice(n, size=60, replace=False)
    x[dup] = x[dup[0]] + 1e-3 * rng.normal(size=(60, d))
    logits[dup] = 0.0  # uniform: the largest entropy there is
    got = _picks(
        sol.select_batch(torch.from_numpy(logits), torch.from_numpy(x), 10, pool_size=200),
        10,
        "select_batch(k=10, pool_size=200)",
    )
    from_dup = len(set(got) & {int(i) for i in dup})
    if from_dup > 1:
        raise AssertionError(
            f"select_batch(k=10, pool_size=200) put {from_dup} near-duplicates of the same sample "
            f"in the batch: the annotators label the same confusing case {from_dup} times; R8: "
            f"the batch is the k-center greedy selection over the candidates. The most uncertain "
            f"samples cluster."
        )


@pytest.mark.rules("R6")
def test_k_center_errors(sol):
    """Bad k, labelled indices and features raise ValueError in k_center_greedy."""
    x = torch.randn(10, 3)
    cases = [
        ("k_center_greedy(x (10, 3), 0)", lambda: sol.k_center_greedy(x, 0)),
        ("k_center_greedy(x (10, 3), 11)", lambda: sol.k_center_greedy(x, 11)),
        ("k_center_greedy(x (10, 3), True)", lambda: sol.k_center_greedy(x, True)),
        ("k_center_greedy(x (10, 3), 2.0)", lambda: sol.k_center_greedy(x, 2.0)),
        ("k_center_greedy(x (10, 3), 9, labelled=[0, 1])", lambda: sol.k_center_greedy(x, 9, labelled=torch.tensor([0, 1]))),
        ("k_center_greedy(x (10, 3), 2, labelled=[10])", lambda: sol.k_center_greedy(x, 2, labelled=torch.tensor([10]))),
        ("k_center_greedy(x (10, 3), 2, labelled=[-1])", lambda: sol.k_center_greedy(x, 2, labelled=torch.tensor([-1]))),
        ("k_center_greedy(x (10, 3), 2, labelled=[1, 1])", lambda: sol.k_center_greedy(x, 2, labelled=torch.tensor([1, 1]))),
        ("k_center_greedy(x (10, 3), 2, labelled=[1.0])", lambda: sol.k_center_greedy(x, 2, labelled=torch.tensor([1.0]))),
        ("k_center_greedy(1-D features)", lambda: sol.k_center_greedy(torch.randn(10), 2)),
        ("k_center_greedy(int64 features)", lambda: sol.k_center_greedy(torch.zeros(10, 3, dtype=torch.int64), 2)),
    ]  # fmt: skip
    for label, call in cases:
        _raises(label, call, "R6")


@pytest.mark.rules("R9")
def test_select_batch_errors(sol):
    """Mismatched n, bad k, labelled set and pool_size raise ValueError in select_batch."""
    x = torch.randn(10, 3)
    logits = torch.randn(10, 4)
    two = torch.tensor([0, 1])
    cases = [
        ("select_batch(logits of 9 rows, features of 10)", lambda: sol.select_batch(logits[:9], x, 2)),
        ("select_batch(k=0)", lambda: sol.select_batch(logits, x, 0)),
        ("select_batch(k=9, labelled=[0, 1])", lambda: sol.select_batch(logits, x, 9, labelled=two)),
        ("select_batch(k=2, labelled=[1, 1])", lambda: sol.select_batch(logits, x, 2, labelled=torch.tensor([1, 1]))),
        ("select_batch(k=3, pool_size=2)", lambda: sol.select_batch(logits, x, 3, pool_size=2)),
        ("select_batch(k=3, pool_size=11)", lambda: sol.select_batch(logits, x, 3, pool_size=11)),
        ("select_batch(k=3, labelled=[0, 1], pool_size=9)", lambda: sol.select_batch(logits, x, 3, labelled=two, pool_size=9)),
        ("select_batch(k=3, pool_size=5.0)", lambda: sol.select_batch(logits, x, 3, pool_size=5.0)),
    ]  # fmt: skip
    for label, call in cases:
        _raises(label, call, "R9")
