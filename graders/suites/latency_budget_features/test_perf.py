"""Hidden performance gate of latency_budget_features (R8): a ratio against the plain
vectorised exact solution of the suite's baseline.py (graders.perf).

Size: 10 base features and 190 crosses (the catalog's 200 features), budget 200 (the 20 ms
SLA). The answer is checked (same optimal gain as the baseline); every timed call gets a fresh
permutation of the crosses and a rescaling of the gains.
"""

import numpy as np
import pytest

NB, NC, BUDGET = 10, 190, 200


def _maker(rng):
    bc = rng.integers(20, 80, NB)
    bg = rng.uniform(0.0, 1.0, NB)
    cc = rng.integers(1, 15, NC)
    cg = rng.uniform(0.0, 1.0, NC)
    parents = np.array([rng.choice(NB, 2, replace=False) for _ in range(NC)], dtype=np.int64)

    def make():
        perm = rng.permutation(NC)
        scale = float(rng.uniform(0.5, 2.0))
        return bc, bg * scale, cc[perm], cg[perm] * scale, parents[perm], BUDGET

    return make


def _same(got, expected, args):
    assert abs(got[2] - expected[2]) <= 1e-9 * max(1.0, abs(expected[2])), (
        f"select_features(10 bases, 190 crosses, budget 200) on a timed input reached gain "
        f"{got[2]!r}, not the optimum; R3"
    )


@pytest.mark.perf
@pytest.mark.rules("R8")
def test_select_200_features_vs_plain_vectorised(sol, baseline, perf, rng):
    """select_features on 10 bases + 190 crosses, budget 200, runs within 2x of a plain
    vectorised exact solution."""
    perf.compare(sol.select_features, baseline.select_features, _maker(rng), bound=2.0,
                 what=f"select_features time / a plain vectorised exact solution's ({NB} "
                      f"bases, {NC} crosses, budget {BUDGET}; R8)",
                 check=_same,
                 hint="R8: vectorise over the subsets of base features and the capacities; a "
                      "Python loop over subsets is far slower")  # fmt: skip
