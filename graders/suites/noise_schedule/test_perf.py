"""Hidden performance gates of noise_schedule (ratios in one process, graders.perf).

T = 10**6 steps, as in the statement. Every gate checks the answer on a fresh input first, and
every timed call gets fresh arguments (T, s or the betas change from call to call).
"""

import pytest
import torch

from graders.checks import assert_tensor

T = 10**6
LOOP_HINT = (
    "build the schedule with tensor operations over all T steps at once (torch.arange, cos, "
    "cumprod, sigmoid ...), not a Python loop over t"
)


@pytest.mark.perf
def test_cosine_betas_vectorised(sol, ref, perf, rng):
    """cosine_betas(~10**6) runs within 3x the reference's time."""

    def make():
        return int(T - rng.integers(0, 1000)), float(rng.uniform(0.006, 0.010))

    def check(got, want, args):
        assert_tensor(got, want, what=f"cosine_betas({args[0]}, s={args[1]:.4g})")

    perf.compare(
        sol.cosine_betas, ref.cosine_betas, make, bound=3.0,
        what="cosine_betas time / reference time (T ~ 10**6)", check=check, hint=LOOP_HINT,
    )  # fmt: skip


@pytest.mark.perf
def test_shift_and_rescale_vectorised(sol, ref, perf, rng, oracle):
    """shift_schedule then rescale_zero_terminal_snr on 10**6 betas runs within 3x the
    reference's time."""
    base = torch.from_numpy(oracle.cosine(T))

    def make():
        res = int(rng.choice([128, 256, 512]))
        return base * float(rng.uniform(0.5, 1.0)), 64, res

    def run(module):
        return lambda b, lo, hi: module.rescale_zero_terminal_snr(module.shift_schedule(b, lo, hi))

    def check(got, want, args):
        assert_tensor(
            got, want, what="rescale_zero_terminal_snr(shift_schedule(betas (10**6,)))", rtol=1e-7
        )

    perf.compare(
        run(sol), run(ref), make, bound=3.0,
        what="shift + rescale time / reference time (T = 10**6)", check=check, hint=LOOP_HINT,
    )  # fmt: skip
