"""Hidden performance gates of overfit_one_batch (graders.perf, ratios measured by the judge).

Graded as time within 3x of a plain solution (baseline.py: one forward/backward pass per probe,
training runs that stop at the first step below target_loss), for a healthy setup (fitted within
a few steps) and for a failing one (every training run goes to max_steps). The independent
solutions run at 1.0-1.5x of it; a solution whose runs never stop early at ~20x on the healthy
setup. Verdicts are checked before timing; every timed call gets a fresh model and a fresh batch.
"""

import pytest

BOUND = 3.0  # x the plain solution (baseline.py)


def _check(expected):
    def check(got, want, args):
        assert tuple(got.issues) == tuple(want.issues) == expected, (
            f"sanity_check on the timed setup returned issues {tuple(got.issues)}, expected "
            f"{expected}"
        )

    return check


@pytest.mark.perf
@pytest.mark.rules("R12")
def test_healthy_check_is_fast(sol, baseline, perf, timed_setups):
    """On a healthy setup (fitted within a few steps) sanity_check takes at most 3x the time of
    a plain solution."""
    plain = baseline.sanity_check  # fetched once, outside the timed calls
    perf.compare(
        lambda m, b, f: sol.sanity_check(m, b, f),
        lambda m, b, f: plain(m, b, f),
        timed_setups(softmax=False), bound=BOUND, check=_check(()),
        what="sanity_check time / a plain solution's time, healthy MLP (batch 128)",
        hint="R12: a training run stops after the first step whose loss is below target_loss",
    )  # fmt: skip


@pytest.mark.perf
@pytest.mark.rules("R12")
def test_failing_check_is_fast(sol, baseline, perf, timed_setups):
    """On a failing setup (softmax before CrossEntropyLoss, every run to max_steps=60)
    sanity_check takes at most 3x the time of a plain solution."""
    plain = baseline.sanity_check
    perf.compare(
        lambda m, b, f: sol.sanity_check(m, b, f, max_steps=60),
        lambda m, b, f: plain(m, b, f, max_steps=60),
        timed_setups(softmax=True), bound=BOUND,
        check=_check(("probabilities_into_cross_entropy", "did_not_overfit")),
        what="sanity_check time / a plain solution's time, MLP + Softmax (batch 128, max_steps 60)",
        hint="R12: each probe needs one forward/backward pass; only the two training runs need "
        "many steps",
    )  # fmt: skip
