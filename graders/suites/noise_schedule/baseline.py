"""The bar of noise_schedule's performance gates (baseline sandbox only): plain vectorised
implementations of the papers' formulas, written as they read, with tensor operations over all
T steps and no tuning (no fused or in-place tricks)."""

from __future__ import annotations

import math

import torch


def cosine_betas(T, s=0.008, max_beta=0.999):
    """Nichol & Dhariwal eq. 17: abar(u) = f(u) / f(0) on T + 1 points, betas clipped."""
    u = torch.linspace(0.0, 1.0, T + 1, dtype=torch.float64)
    f = torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    betas = 1 - abar[1:] / abar[:-1]
    return torch.clamp(betas, max=max_beta)


def _betas_from_abar(abar):
    previous = torch.cat([torch.ones(1, dtype=abar.dtype), abar[:-1]])
    return 1 - abar / previous


def shift_schedule(betas, base_resolution, resolution):
    """log-SNR of the cumulative product, shifted, back through the sigmoid, then the betas.
    (log(abar') is kept, so that an abar' that underflows does not give 0 / 0.)"""
    b = betas.to(torch.float64)
    abar = torch.cumprod(1 - b, dim=0)
    lsnr = torch.log(abar) - torch.log1p(-abar) + 2 * math.log(base_resolution / resolution)
    log_abar = torch.nn.functional.logsigmoid(lsnr)
    previous = torch.cat([torch.zeros(1, dtype=torch.float64), log_abar[:-1]])
    out = 1 - torch.exp(log_abar - previous)
    return torch.where(torch.isneginf(log_abar), torch.ones_like(out), out)


def rescale_zero_terminal_snr(betas):
    """Lin et al. 2024, Algorithm 1."""
    b = betas.to(torch.float64)
    r = torch.sqrt(torch.cumprod(1 - b, dim=0))
    r0, rT = r[0].clone(), r[-1].clone()
    r = (r - rT) * r0 / (r0 - rT)
    return _betas_from_abar(r**2)


def shift_then_rescale(betas, base_resolution, resolution):
    """The timed chain of the second gate."""
    return rescale_zero_terminal_snr(shift_schedule(betas, base_resolution, resolution))
