"""Hidden performance gates of imbalanced_metrics (ratios in one process, graders.perf).

Sizes: 2*10^5 scores per call (the catalog's 5*10^6 scaled down so one call takes tens of
milliseconds and a graded run stays short). Each gate checks the answer first; every timed
call gets a fresh permutation and rescaling of a pre-generated sample.
"""

import math

import numpy as np
import pytest

N = 200_000
HINT = (
    "sort once (O(n log n)), find the tie groups with np.diff on the sorted scores and take "
    "cumulative sums of the labels: no Python loop over samples and no pairwise comparisons"
)


def _maker(rng):
    y = (rng.random(N) < 0.03).astype(np.int64)
    y[:2] = [1, 0]
    s = np.round(rng.normal(size=N) + 2.0 * y, 3)  # some ties, as bucketed scores have

    def make():
        perm = rng.permutation(N)
        return y[perm], s[perm] * rng.uniform(0.5, 2.0)

    return make


def _same(got, expected, args):
    assert type(got) is float and math.isclose(got, expected, rel_tol=1e-9), (
        f"on the timed input (n={N}) returned {got!r}, the reference gives {expected!r}"
    )


@pytest.mark.perf
def test_roc_auc_vs_reference(sol, ref, perf, rng):
    """roc_auc on 2*10^5 scores runs within 3x of the reference."""
    perf.compare(sol.roc_auc, ref.roc_auc, _maker(rng), bound=3.0,
                 what=f"roc_auc time / reference time (n={N})", check=_same, hint=HINT)  # fmt: skip


@pytest.mark.perf
def test_average_precision_vs_reference(sol, ref, perf, rng):
    """average_precision on 2*10^5 scores runs within 3x of the reference."""
    perf.compare(sol.average_precision, ref.average_precision, _maker(rng), bound=3.0,
                 what=f"average_precision time / reference time (n={N})", check=_same,
                 hint=HINT)  # fmt: skip
