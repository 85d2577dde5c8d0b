"""Public examples for noise_schedule: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import math

import pytest
import torch
from schedule import (
    alphas_cumprod,
    cosine_betas,
    linear_betas,
    log_snr,
    rescale_zero_terminal_snr,
    shift_schedule,
)


def test_linear_betas():
    """The linear schedule: float64, evenly spaced, both ends included."""
    b = linear_betas(1000)
    assert b.dtype == torch.float64 and b.shape == (1000,)
    assert b[0].item() == pytest.approx(1e-4)
    assert b[-1].item() == pytest.approx(0.02)


def test_cosine_alphas_cumprod_decreases():
    """The cosine schedule starts almost noise-free and ends almost pure noise."""
    b = cosine_betas(1000)
    assert b.dtype == torch.float64 and b.shape == (1000,)
    abar = alphas_cumprod(b)
    assert abar[0].item() == pytest.approx(1 - 4.128e-5, abs=1e-6)
    assert torch.all(abar[1:] <= abar[:-1])
    assert abar[-1].item() < 1e-6


def test_log_snr_values():
    """log-SNR of 0.5 is 0; of 0.9 is log 9."""
    out = log_snr(torch.tensor([0.5, 0.9], dtype=torch.float64))
    assert out[0].item() == pytest.approx(0.0, abs=1e-12)
    assert out[1].item() == pytest.approx(math.log(9.0))


def test_shift_at_the_base_resolution_is_the_identity():
    """Using a schedule at the resolution it was designed for changes nothing."""
    b = cosine_betas(100)
    assert torch.allclose(shift_schedule(b, 64, 64), b, rtol=1e-9, atol=1e-12)
    assert shift_schedule(b, 64, 256).shape == (100,)


def test_zero_terminal_snr_keeps_the_first_step():
    """The rescaled schedule keeps abar_0 and adds noise monotonically."""
    b = linear_betas(1000)
    z = rescale_zero_terminal_snr(b)
    assert z.shape == (1000,)
    assert z[0].item() == pytest.approx(b[0].item(), rel=1e-6)
    abar = alphas_cumprod(z)
    assert torch.all(abar[1:] <= abar[:-1])
