"""Hidden performance gates of fraud_threshold, against the plain solutions of the suite's
baseline.py: the threshold sweep against a sort-and-cumsum sweep, and fit against one plain
XGBoost fit (sizes scaled down from the catalog's 10^5 training rows)."""

from __future__ import annotations

import math

import numpy as np
import pytest

N_SCORES = 50_000
N_FIT = 20_000


@pytest.mark.perf
@pytest.mark.rules("R14")
def test_choose_threshold_within_3x_of_sort_baseline(sol, baseline, perf, rng):
    """choose_threshold on 5*10^4 scores takes at most 3x a sort-and-cumsum sweep and returns
    the same threshold."""
    base = rng.random(N_SCORES)
    labels = rng.random(N_SCORES) < 0.01 + 0.3 * base**8

    def make_args():
        return np.round(base * rng.uniform(0.5, 1.0), 6), labels, 10.0, 40.0

    def check(got, want, args):
        assert got == want, (
            f"choose_threshold(5e4 scores, cost_fp=10, cost_fn=40) on a timed input returned "
            f"{got!r}, which is not the candidate of lowest cost (the largest on ties); R8, R9"
        )

    perf.compare(
        sol.choose_threshold, baseline.choose_threshold, make_args, bound=3.0,
        what="choose_threshold time / a plain sort-based sweep's (5e4 scores; R14)",
        check=check,
        hint="R14: O(n log n); re-counting FP and FN for every candidate threshold is O(n^2)",
    )  # fmt: skip


@pytest.mark.perf
@pytest.mark.weight(2)
@pytest.mark.rules("R15")
def test_fit_within_3x_of_plain_fit(sol, baseline, ft, perf, rng):
    """fit on 2*10^4 training and 2*10^4 validation transactions takes at most 3x a plain fit
    (200 trees of depth 4, hist, one thread, then the sweep), and its threshold is a float."""
    train, _ = ft.make_transactions(rng, N_FIT, start="2024-01-01")
    valid, _ = ft.make_transactions(rng, N_FIT, start="2024-03-01")

    def make_args():
        order = rng.permutation(len(train))  # fresh frames: the same rows, shuffled
        return train.iloc[order].reset_index(drop=True), valid.copy(), ft.COST_FP, ft.COST_FN

    def check(got, want, args):
        threshold = got.threshold
        assert isinstance(threshold, float) and not math.isnan(threshold), (
            f"fit(2e4 + 2e4 rows) on a timed input returned a model with threshold "
            f"{threshold!r}; R4, R8: a float candidate"
        )

    perf.compare(
        sol.fit, baseline.fit, make_args, bound=3.0, min_rounds=3,
        what="fit time / a plain XGBoost fit's (2e4 + 2e4 rows; R15)", check=check,
        hint="R15: one classifier of a few hundred shallow trees (hist, one thread) is enough; "
        "hyper-parameter searches and cross-validation belong offline, not in every fit",
    )  # fmt: skip
