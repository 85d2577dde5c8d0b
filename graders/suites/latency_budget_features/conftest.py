"""Fixtures of the latency_budget_features hidden suite: the modules and two exact oracles
(exhaustive search for small instances, scipy's MILP solver for large ones)."""

import numpy as np
import pytest


def _brute_force(bc, bg, cc, cg, parents, budget):
    """Best gain over every subset of all B + C features (chunks of 2^16 subsets)."""
    nb, nc = len(bc), len(cc)
    n = nb + nc
    cost = np.r_[bc, cc].astype(np.int64)
    gain = np.r_[bg, cg].astype(np.float64)
    best = 0.0
    for lo in range(0, 1 << n, 1 << 16):
        masks = np.arange(lo, min(lo + (1 << 16), 1 << n), dtype=np.int64)
        bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
        ok = bits.astype(np.int64) @ cost <= budget
        for j in range(nc):
            ok &= ~bits[:, nb + j] | (bits[:, parents[j][0]] & bits[:, parents[j][1]])
        if ok.any():
            best = max(best, float((bits[ok].astype(np.float64) @ gain).max()))
    return best


def _milp(bc, bg, cc, cg, parents, budget):
    """Best gain by mixed-integer programming (scipy.optimize.milp, HiGHS): binary x (bases),
    y (crosses), y_j <= x_a, y_j <= x_b, cost <= budget."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    nb, nc = len(bc), len(cc)
    c = -np.r_[bg, cg]
    rows = [np.r_[bc, cc].astype(float)]
    lower, upper = [-np.inf], [float(budget)]
    for j in range(nc):
        for p in parents[j]:
            row = np.zeros(nb + nc)
            row[nb + j], row[p] = 1.0, -1.0
            rows.append(row)
            lower.append(-np.inf)
            upper.append(0.0)
    res = milp(c, constraints=LinearConstraint(np.array(rows), lower, upper),
               integrality=np.ones(nb + nc), bounds=Bounds(0, 1),
               options={"mip_rel_gap": 0.0})  # fmt: skip
    assert res.success, res.message
    return float(-res.fun)


@pytest.fixture(scope="session")
def brute_force():
    """``brute_force(bc, bg, cc, cg, parents, budget) -> best gain`` (exhaustive)."""
    return _brute_force


@pytest.fixture(scope="session")
def milp_optimum():
    """``milp_optimum(bc, bg, cc, cg, parents, budget) -> best gain`` (scipy MILP)."""
    return _milp


def _instance(rng, nb, nc, budget_frac=0.4):
    """Random instance: expensive bases, cheap crosses; the budget a share of the total."""
    bc = rng.integers(20, 80, nb)
    bg = rng.uniform(-0.2, 1.0, nb)
    cc = rng.integers(1, 15, nc)
    cg = rng.uniform(0.0, 1.0, nc)
    parents = np.array([rng.choice(nb, 2, replace=False) for _ in range(nc)], dtype=np.int64)
    budget = int(budget_frac * (bc.sum() + cc.sum()))
    return bc, bg, cc, cg, parents.reshape(nc, 2), budget


@pytest.fixture(scope="session")
def instance():
    """``instance(rng, n_bases, n_crosses, budget_frac=0.4)``: a random selection problem."""
    return _instance


def _check_selection(sel, bc, bg, cc, cg, parents, budget, what):
    """The selection is well formed, consistent and within the SLA; returns its true gain."""
    if not isinstance(sel, tuple) or len(sel) != 4:
        raise AssertionError(f"{what} returned {type(sel).__name__}; a Selection (R1, R4)")
    bases, crosses, gain, cost = sel
    for name, arr, n in (("bases", bases, len(bc)), ("crosses", crosses, len(cc))):
        if type(arr) is not np.ndarray or arr.dtype != np.int64 or arr.ndim != 1:
            raise AssertionError(f"{what}: {name} is {type(arr).__name__} "
                                 f"{getattr(arr, 'dtype', '')}; R1: a 1-D int64 array")  # fmt: skip
        if arr.size and (np.any(np.diff(arr) <= 0) or arr.min() < 0 or arr.max() >= n):
            raise AssertionError(f"{what}: {name} {arr.tolist()}; R1: ascending distinct "
                                 f"indices in [0, {n})")  # fmt: skip
    missing = [(int(j), [int(p) for p in parents[j] if p not in set(bases.tolist())])
               for j in crosses if not set(parents[j].tolist()) <= set(bases.tolist())]  # fmt: skip
    if missing:
        raise AssertionError(
            f"{what}: crosses selected without their base features (cross, missing bases): "
            f"{missing[:5]}; R1: a cross cannot be computed without both of its base features"
        )
    true_cost = int(np.sum(bc[bases]) + np.sum(cc[crosses]))
    true_gain = float(np.sum(bg[bases]) + np.sum(cg[crosses]))
    if true_cost > budget:
        raise AssertionError(
            f"{what}: the selection costs {true_cost} (bases {int(np.sum(bc[bases]))} + crosses "
            f"{int(np.sum(cc[crosses]))}), over the SLA budget {budget}; R2: every computed "
            "base feature's latency counts, once"
        )
    if type(cost) is not int or cost != true_cost:
        raise AssertionError(
            f"{what}: reported cost {cost!r} ({type(cost).__name__}) for a selection costing "
            f"{true_cost}; R4: a Python int, the selection's cost"
        )
    if type(gain) is not float or abs(gain - true_gain) > 1e-9 * max(1.0, abs(true_gain)):
        raise AssertionError(
            f"{what}: reported gain {gain!r} ({type(gain).__name__}) for a selection of gain "
            f"{true_gain!r}; R4: a Python float, the selection's gain"
        )
    return true_gain


@pytest.fixture(scope="session")
def check_selection():
    """``check_selection(sel, bc, bg, cc, cg, parents, budget, what) -> true gain``."""
    return _check_selection
