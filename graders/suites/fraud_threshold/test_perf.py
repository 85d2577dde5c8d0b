"""Hidden performance gates of fraud_threshold: the threshold sweep against a sort-based
baseline written here, and fit against the reference (sizes scaled down from the catalog's
10^5 training rows: one reference fit takes about half a second at 2*10^4)."""

from __future__ import annotations

import numpy as np
import pytest

N_SCORES = 50_000
N_FIT = 20_000


def sweep_baseline(scores, y, cost_fp, cost_fn) -> float:
    """The O(n log n) sweep: sort once, cumulative sums give FP and FN at every cut."""
    order = np.argsort(-scores, kind="stable")
    s, pos = scores[order], np.asarray(y, dtype=bool)[order]
    last = np.r_[s[1:] != s[:-1], True]
    tp, fp = np.cumsum(pos)[last], np.cumsum(~pos)[last]
    n_pos = int(pos.sum())
    cost = np.r_[cost_fn * n_pos, cost_fp * fp + cost_fn * (n_pos - tp)]
    return float(np.r_[np.inf, s[last]][int(np.argmin(cost))])


@pytest.mark.perf
def test_choose_threshold_within_3x_of_sort_baseline(sol, perf, rng):
    """choose_threshold on 5*10^4 scores takes at most 3x a sort-and-cumsum sweep and returns
    the same threshold."""
    base = rng.random(N_SCORES)
    labels = rng.random(N_SCORES) < 0.01 + 0.3 * base**8

    def make_args():
        return np.round(base * rng.uniform(0.5, 1.0), 6), labels, 10.0, 40.0

    def check(got, want, args):
        assert got == want, (
            f"choose_threshold on the timed input returned {got!r}, expected {want!r}"
        )

    perf.compare(
        sol.choose_threshold, sweep_baseline, make_args, bound=3.0,
        what="choose_threshold time / sort-based sweep time (5e4 scores)", check=check,
        hint="sort the scores once and use cumulative sums of frauds and legitimate "
        "transactions: re-counting FP and FN for every candidate threshold is O(n^2)",
    )  # fmt: skip


@pytest.mark.perf
@pytest.mark.weight(2)
def test_fit_within_3x_of_reference(sol, ref, ft, perf, rng):
    """fit on 2*10^4 training and 2*10^4 validation transactions takes at most 3x the
    reference's time, and its threshold is a score or inf."""
    train, _ = ft.make_transactions(rng, N_FIT, start="2024-01-01")
    valid, _ = ft.make_transactions(rng, N_FIT, start="2024-03-01")

    def make_args():
        order = rng.permutation(len(train))  # fresh frames: the same rows, shuffled
        return train.iloc[order].reset_index(drop=True), valid.copy(), ft.COST_FP, ft.COST_FN

    def check(got, want, args):
        assert isinstance(got, sol.FraudModel) and isinstance(got.threshold, float), (
            f"fit returned {type(got).__name__} with threshold {getattr(got, 'threshold', None)!r}"
        )

    perf.compare(
        sol.fit, ref.fit, make_args, bound=3.0, min_rounds=3,
        what="fit time / reference fit time (2e4 + 2e4 rows)", check=check,
        hint="one classifier of a few hundred shallow trees (hist, one thread) is enough: "
        "hyper-parameter searches and cross-validation belong offline, not in every fit",
    )  # fmt: skip
