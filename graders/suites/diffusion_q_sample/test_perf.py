"""Hidden performance gates of diffusion_q_sample (ratios in one process, graders.perf).

Every gate first checks the candidate's answer on a fresh input, so a fast wrong answer earns
nothing, and every timed call gets fresh inputs.
"""

import pytest
import torch

from graders.checks import assert_tensor

T = 1000
LOOP_HINT = (
    "x_t does not need the chain: the Gaussian steps add up, so q(x_t | x0) = "
    "N(sqrt(abar_t) x0, (1 - abar_t) I) can be sampled in O(1) with one noise tensor "
    "(the isotropic shortcut)"
)


def _image_batch(device, t_value=None, batch=256):
    """A maker of fresh (x0, t, noise) for a batch of 3x32x32 images: new tensors for every
    call (a random scale of a fixed random base, cheaper to make than fresh randn)."""
    base = torch.randn(2, batch, 3, 32, 32, device=device)

    def make():
        scale = torch.rand((), device=device) + 0.5
        x0, noise = base[0] * scale, base[1] * scale
        if t_value is None:
            t = torch.randint(0, T, (batch,), device=device)
        else:
            t = torch.full((batch,), t_value, dtype=torch.long, device=device)
        return x0, t, noise

    return make


@pytest.mark.perf
@pytest.mark.weight(2)
def test_q_sample_time_independent_of_t(sol, schedule, perf, device):
    """q_sample with every t = T-1 takes at most 1.5x as long as with every t = 0."""
    x0, t, noise = _image_batch(device, T - 1)()
    expected = (
        schedule.alphas_cumprod[-1].sqrt().float() * x0
        + (1 - schedule.alphas_cumprod[-1]).sqrt().float() * noise
    )
    assert_tensor(sol.q_sample(x0, t, noise, schedule), expected, what="q_sample at t=T-1")
    perf.scaling(
        lambda x, tt, n: sol.q_sample(x, tt, n, schedule),
        _image_batch(device, 0),
        _image_batch(device, T - 1),
        bound=1.5,
        what="q_sample time at t=T-1 / at t=0 (batch 256x3x32x32)",
        hint=LOOP_HINT,
    )


def _check_same(candidate_out, baseline_out, args):
    assert_tensor(candidate_out, baseline_out, what="q_sample on the timed inputs")


@pytest.mark.perf
def test_q_sample_throughput_vs_reference(sol, ref, schedule, perf, device):
    """q_sample at random t runs within 2x of the reference's time (throughput >= 0.5x)."""
    perf.compare(
        lambda x, tt, n: sol.q_sample(x, tt, n, schedule),
        lambda x, tt, n: ref.q_sample(x, tt, n, schedule),
        _image_batch(device, None, batch=512),
        bound=2.0,
        what="q_sample time / reference time at random t (batch 512x3x32x32)",
        check=_check_same,
        hint="vectorise over the batch: gather the per-sample coefficients once, no Python loop",
    )


def _correlated_batch(device, chol, t_value, batch=4096):
    d = chol.shape[0]
    base = torch.randn(2, batch, d, device=device, dtype=torch.float64)

    def make():
        scale = torch.rand((), device=device, dtype=torch.float64) + 0.5
        x0, noise = base[0] * scale, base[1] * scale
        t = torch.full((batch,), t_value, dtype=torch.long, device=device)
        return x0, t, noise, chol

    return make


@pytest.mark.perf
def test_correlated_time_independent_of_t(sol, schedule, perf, device, rng, make_spd):
    """q_sample_correlated with every t = T-1 takes at most 1.5x as long as with every t = 0:
    a full, fixed covariance does not force the sequential loop."""
    chol = torch.linalg.cholesky(torch.from_numpy(make_spd(rng, 32))).to(device)
    x0, t, noise, _ = _correlated_batch(device, chol, T - 1)()
    abar = schedule.alphas_cumprod[-1]
    expected = abar.sqrt() * x0 + (1 - abar).sqrt() * (noise @ chol.T)
    assert_tensor(
        sol.q_sample_correlated(x0, t, noise, schedule, chol), expected,
        what="q_sample_correlated at t=T-1",
    )  # fmt: skip
    perf.scaling(
        lambda x, tt, n, c: sol.q_sample_correlated(x, tt, n, schedule, c),
        _correlated_batch(device, chol, 0),
        _correlated_batch(device, chol, T - 1),
        bound=1.5,
        what="q_sample_correlated time at t=T-1 / at t=0 (4096 x 32, full Sigma)",
        hint=(
            "with one fixed Sigma at every step, Cov[x_t | x0] = (1 - abar_t) Sigma: the "
            "shortcut still holds, with noise @ chol.T in place of noise"
        ),
    )
