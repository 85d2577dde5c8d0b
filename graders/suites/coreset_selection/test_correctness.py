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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.checks import assert_tensor


def _picks(out, k, call):
    if type(out) is not torch.Tensor or out.dtype != torch.int64 or out.shape != (k,):
        raise AssertionError(
            f"{call} returned {out!r:.100}, expected an int64 tensor of shape ({k},)"
        )
    return out.tolist()


def test_entropy_values(sol, oracle, rng):
    """predictive_entropy matches scipy for random, saturated ([1000, 0]), masked (-inf) and
    single-class rows, as float64 without NaN."""
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
            f"{exc}. Compute log p with log_softmax and take p * log p as 0 where p = 0: "
            f"softmax(...).log() underflows to log(0) = -inf for saturated or masked classes, "
            f"and 0 * -inf is NaN."
        ) from None
    one = sol.predictive_entropy(torch.tensor([[4.0], [-3.0]]))
    assert torch.equal(one, torch.zeros(2, dtype=torch.float64)), (
        f"single-class entropy is {one}, expected 0"
    )


def test_k_center_exact_selection(sol, oracle, rng):
    """k_center_greedy picks exactly the greedy sequence (farthest from the nearest centre,
    first pick index 0) on continuous data, float32 and float64 features."""
    x = rng.normal(size=(300, 5)) * rng.uniform(0.5, 3, size=5)
    for dtype in (torch.float64, torch.float32):
        feats = torch.from_numpy(x).to(dtype)
        got = _picks(sol.k_center_greedy(feats, 25), 25, f"k_center_greedy({dtype} (300, 5), 25)")
        want = oracle.k_center(feats.double().numpy(), 25)
        assert got == want, f"k_center_greedy({dtype} (300, 5), 25) picked {got}, expected {want}"


def test_k_center_tie_break(sol, oracle, rng):
    """On integer grid points with duplicates (exact ties), ties go to the lowest index, and no
    point is picked twice even when every remaining point sits on a centre."""
    x = rng.integers(-3, 4, size=(60, 3)).astype(np.float64)
    x[30:] = x[:30]  # every point twice
    distinct = len({tuple(r) for r in x})
    for k in (10, distinct + 5):
        got = _picks(sol.k_center_greedy(torch.from_numpy(x), k), k, f"k_center_greedy(grid, {k})")
        want = oracle.k_center(x, k)
        if got != want:
            raise AssertionError(
                f"k_center_greedy(integer grid with duplicates, k={k}) picked {got}, expected "
                f"{want}: among points at the same distance the lowest index wins"
            )
        assert len(set(got)) == k, f"k_center_greedy picked a point twice: {got}"


def test_labelled_points_are_centres(sol, oracle, rng):
    """With labelled points, the picks are farthest from the labelled set too, and never
    labelled."""
    x = rng.normal(size=(250, 4))
    labelled = sorted(int(i) for i in rng.choice(250, size=15, replace=False))
    got = _picks(
        sol.k_center_greedy(torch.from_numpy(x), 12, labelled=torch.tensor(labelled)),
        12,
        "k_center_greedy(labelled=15)",
    )
    want = oracle.k_center(x, 12, labelled)
    if got != want:
        raise AssertionError(
            f"k_center_greedy(x (250, 4), 12, labelled={labelled[:5]}...) picked {got}, expected "
            f"{want}. The labelled points are the initial centres (Sener & Savarese 2018): a point "
            f"next to an already-labelled one adds almost nothing to the core-set."
        )


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
    assert len(set(picks)) == k
    dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    radius = dist[:, picks].min(axis=1).max()
    best = min(dist[:, list(c)].min(axis=1).max() for c in itertools.combinations(range(len(x)), k))
    assert radius <= 2 * best + 1e-9, (
        f"k_center_greedy(points {points}, k={k}) covers with radius {radius:.4g}, more than twice "
        f"the optimal {best:.4g}: not the greedy farthest-point rule"
    )


def test_select_batch_exact(sol, oracle, rng):
    """select_batch = k-center greedy over the pool_size highest-entropy unlabelled points (first
    pick the most uncertain), with and without labelled points."""
    n = 400
    logits = rng.normal(0, 2, size=(n, 5))
    x = rng.normal(size=(n, 6))
    labelled = sorted(int(i) for i in rng.choice(n, size=20, replace=False))
    cases = [
        ("no labelled, default pool", {}, 15, (), None),
        ("labelled, pool 120", {"labelled": torch.tensor(labelled), "pool_size": 120}, 15, labelled, 120),
        ("pool = k", {"pool_size": 8}, 8, (), 8),
    ]  # fmt: skip
    for label, kwargs, k, lab, pool in cases:
        got = _picks(
            sol.select_batch(torch.from_numpy(logits), torch.from_numpy(x), k, **kwargs),
            k,
            f"select_batch({label})",
        )
        want = oracle.select(logits, x, k, lab, pool)
        assert got == want, f"select_batch({label}) picked {got}, expected {want}"


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
        "select_batch",
    )
    from_dup = len(set(got) & {int(i) for i in dup})
    if from_dup > 1:
        raise AssertionError(
            f"select_batch(k=10, pool_size=200) put {from_dup} near-duplicates of the same sample "
            f"in the batch: the annotators label the same confusing case {from_dup} times. The "
            f"most uncertain samples cluster; uncertainty only narrows the pool, and k-center "
            f"greedy must spread the batch over it."
        )


def test_bad_arguments(sol):
    """Bad k, pool_size, labelled indices and shapes raise ValueError."""
    x = torch.randn(10, 3)
    logits = torch.randn(10, 4)
    cases = [
        ("k_center_greedy(x, 0)", lambda: sol.k_center_greedy(x, 0)),
        ("k_center_greedy(x, 9, labelled=[0, 1])", lambda: sol.k_center_greedy(x, 9, labelled=torch.tensor([0, 1]))),
        ("k_center_greedy(x, 2, labelled=[10])", lambda: sol.k_center_greedy(x, 2, labelled=torch.tensor([10]))),
        ("k_center_greedy(x, 2, labelled=[1, 1])", lambda: sol.k_center_greedy(x, 2, labelled=torch.tensor([1, 1]))),
        ("k_center_greedy(1-D features)", lambda: sol.k_center_greedy(torch.randn(10), 2)),
        ("select_batch(logits of 9 rows)", lambda: sol.select_batch(logits[:9], x, 2)),
        ("select_batch(k=3, pool_size=2)", lambda: sol.select_batch(logits, x, 3, pool_size=2)),
        ("select_batch(pool_size=11)", lambda: sol.select_batch(logits, x, 3, pool_size=11)),
        ("predictive_entropy(NaN)", lambda: sol.predictive_entropy(torch.tensor([[0.0, float("nan")]]))),
        ("predictive_entropy(all -inf row)", lambda: sol.predictive_entropy(torch.tensor([[-math.inf, -math.inf]]))),
        ("predictive_entropy(1-D)", lambda: sol.predictive_entropy(torch.zeros(3))),
    ]  # fmt: skip
    for label, call in cases:
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"{label} returned instead of raising ValueError")
