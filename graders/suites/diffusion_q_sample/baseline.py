"""The bar of diffusion_q_sample's throughput gate (baseline sandbox only): a plain vectorised
q_sample, the closed form as it reads: gather the per-sample coefficients, cast them to x0's
dtype, then ``mean * x0 + std * noise`` (three passes over memory and three allocations, where
the reference's fused ``mul`` + ``addcmul_`` makes two passes and one allocation)."""

from __future__ import annotations

import torch


def q_sample(x0, t, noise, schedule):
    abar = schedule.alphas_cumprod.to(x0.device)[t.to(x0.device)]
    view = (-1,) + (1,) * (x0.dim() - 1)
    mean = abar.sqrt().to(x0.dtype).view(view)
    std = (1.0 - abar).sqrt().to(x0.dtype).view(view)
    return mean * x0 + std * noise


def q_sample_fused(x0, t, noise, schedule):
    """The field's best practice, for reviewers' measurements."""
    abar = schedule.alphas_cumprod.to(x0.device)[t.to(x0.device)]
    view = (-1,) + (1,) * (x0.dim() - 1)
    mean = abar.sqrt().to(x0.dtype).view(view)
    std = (1.0 - abar).sqrt().to(x0.dtype).view(view)
    return torch.mul(x0, mean).addcmul_(noise, std)
