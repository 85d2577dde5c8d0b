"""Hidden performance gate of ewc_regulariser (graders.perf, a ratio measured by the judge).

fisher_diagonal on a batch of 256 inputs must run within 6x of a plain vectorised torch.func
solution (baseline.py: vmap over grad of a functional_call, as in the torch.func tutorial). A
per-sample Python loop runs at ~35x of it, an unbatched jacobian of every class at ~2.3x. The
answer is checked against the exact true Fisher, and every timed call gets fresh inputs and a
fresh generator.
"""

import pytest
import torch

BATCH = 256
BOUND = 6.0  # x the plain vectorised solution (baseline.py)


@pytest.mark.perf
@pytest.mark.rules("R9")
def test_fisher_vectorised(sol, baseline, perf, kata_seed, make_mlp, true_fisher):
    """fisher_diagonal(16-32-32-4 MLP, 256 inputs, n_samples=1) takes at most 6x the time of a
    plain vectorised torch.func solution."""
    model = make_mlp([16, 32, 32, 4], kata_seed, gain=2.0)
    gen = torch.Generator().manual_seed(kata_seed)
    base = torch.randn(BATCH, 16, generator=gen)

    def make():
        perm = torch.randperm(BATCH, generator=gen)
        g = torch.Generator().manual_seed(int(torch.randint(0, 2**31, (1,), generator=gen)))
        return model, base[perm] * (0.5 + torch.rand((), generator=gen)), g

    def check(got, _baseline, args):
        want = true_fisher(args[0], args[1])
        if not isinstance(got, dict) or sorted(got) != sorted(want):
            raise AssertionError(
                f"fisher_diagonal returned keys {sorted(got) if isinstance(got, dict) else got!r}"
            )
        num = sum(float((got[n] - want[n]).abs().sum()) for n in want)
        den = sum(float(want[n].abs().sum()) for n in want)
        assert num / den < 0.5, (
            f"fisher_diagonal(256 inputs, n_samples=1) is {num / den:.0%} away from the exact true "
            f"Fisher (relative L1); one draw per input is noisy, but not that noisy (R1)"
        )

    plain = baseline.fisher_vmap  # fetched once, outside the timed calls
    perf.compare(
        lambda m, x, g: sol.fisher_diagonal(m, x, n_samples=1, generator=g),
        lambda m, x, g: plain(m, x, n_samples=1, generator=g),
        make, bound=BOUND, check=check,
        what=(
            "fisher_diagonal time / a plain vectorised solution's time (batch 256, 16-32-32-4 "
            "MLP, n_samples=1)"
        ),
        hint=(
            "R9: the per-sample gradients must be computed in vectorised calls, not one "
            "autograd call per sample"
        ),
    )  # fmt: skip
