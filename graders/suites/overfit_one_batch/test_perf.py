"""Hidden performance gates of overfit_one_batch (ratios in one process, graders.perf).

Each check must stay well under 2 s on a CPU; graded as time within 3x the reference on the same
machine, for a healthy setup (fitted within a few steps) and for a failing one (every training
run goes to max_steps). Verdicts are checked before timing; every timed call gets a fresh model
and a fresh batch.
"""

import pytest


def _check(expected):
    def check(got, want, args):
        assert tuple(got.issues) == tuple(want.issues) == expected, (
            f"sanity_check on the timed setup returned {tuple(got.issues)}, expected {expected}"
        )

    return check


@pytest.mark.perf
def test_healthy_check_is_fast(sol, ref, perf, timed_setups):
    """On a healthy setup (fitted within a few steps) sanity_check takes at most 3x the
    reference's time."""
    perf.compare(
        lambda m, b, f: sol.sanity_check(m, b, f),
        lambda m, b, f: ref.sanity_check(m, b, f),
        timed_setups(softmax=False), bound=3.0, check=_check(()),
        what="sanity_check time / reference time, healthy MLP (batch 128)",
        hint="stop each training run as soon as a step's loss is below target_loss",
    )  # fmt: skip


@pytest.mark.perf
def test_failing_check_is_fast(sol, ref, perf, timed_setups):
    """On a failing setup (softmax before CrossEntropyLoss, every run to max_steps=60)
    sanity_check takes at most 3x the reference's time."""
    perf.compare(
        lambda m, b, f: sol.sanity_check(m, b, f, max_steps=60),
        lambda m, b, f: ref.sanity_check(m, b, f, max_steps=60),
        timed_setups(softmax=True), bound=3.0,
        check=_check(("probabilities_into_cross_entropy", "did_not_overfit")),
        what="sanity_check time / reference time, MLP + Softmax (batch 128, max_steps 60)",
        hint="each probe needs one forward/backward pass; only the training runs need many steps",
    )  # fmt: skip
