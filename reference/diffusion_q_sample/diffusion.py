"""Forward diffusion in closed form (reference solution).

DDPM forward process (Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models",
eq. 4): with alphas_cumprod[t] = prod_{s<=t} (1 - betas[s]),
    q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I),
so x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise in O(1), whatever t. The same additivity
holds for a fixed full covariance Sigma used at every step: the per-step noise terms are
independent Gaussians with covariances proportional to Sigma, so Cov[x_t | x_0] =
(1 - abar_t) Sigma, whose lower Cholesky factor is sqrt(1 - abar_t) L.

The per-sample coefficients are gathered once in float64 and cast to x0's dtype before they
meet the data, so the big tensors are touched only in their own dtype: one multiply into a fresh
tensor and one fused, in-place multiply-add (``addcmul_``), the form of the diffusers/ k-diffusion
samplers: two passes over memory and one allocation, where ``mean * x0 + std * noise`` makes
three of each.
"""

from __future__ import annotations

from typing import NamedTuple

import torch


class Schedule(NamedTuple):
    """A noise schedule: three float64 CPU tensors of shape (T,)."""

    betas: torch.Tensor
    alphas: torch.Tensor
    alphas_cumprod: torch.Tensor

    @property
    def T(self) -> int:
        return int(self.betas.shape[0])


def make_schedule(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> Schedule:
    """Linear DDPM schedule: betas evenly spaced from beta_start to beta_end (inclusive)."""
    if not isinstance(T, int) or isinstance(T, bool) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    if not (0.0 < beta_start <= beta_end < 1.0):
        raise ValueError(f"need 0 < beta_start <= beta_end < 1, got {beta_start}, {beta_end}")
    betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
    alphas = 1.0 - betas
    return Schedule(betas, alphas, torch.cumprod(alphas, dim=0))


def _coefficients(x0: torch.Tensor, t: torch.Tensor, schedule: Schedule):
    if not torch.is_tensor(x0) or not x0.is_floating_point():
        raise TypeError("x0 must be a floating-point tensor")
    if (
        not torch.is_tensor(t)
        or t.dtype.is_floating_point
        or t.dtype.is_complex
        or t.dtype == torch.bool
    ):
        raise TypeError(f"t must be an integer tensor, got {getattr(t, 'dtype', type(t))}")
    if x0.dim() < 1 or t.shape != (x0.shape[0],):
        raise ValueError(
            f"t must have shape ({x0.shape[0] if x0.dim() else '?'},), got {tuple(t.shape)}"
        )
    T = schedule.alphas_cumprod.shape[0]
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= T):
        raise ValueError(f"t must lie in [0, {T}), got values in [{int(t.min())}, {int(t.max())}]")
    abar = schedule.alphas_cumprod.to(x0.device)[t.to(x0.device)]
    view = (-1,) + (1,) * (x0.dim() - 1)
    mean = abar.sqrt().to(x0.dtype).view(view)
    std = (1.0 - abar).sqrt().to(x0.dtype).view(view)
    return mean, std


def q_sample(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: Schedule
) -> torch.Tensor:
    """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise, per sample."""
    if noise.shape != x0.shape:
        raise ValueError(f"noise has shape {tuple(noise.shape)}, x0 has {tuple(x0.shape)}")
    mean, std = _coefficients(x0, t, schedule)
    return torch.mul(x0, mean).addcmul_(noise, std)


def q_sample_correlated(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: Schedule, chol: torch.Tensor
) -> torch.Tensor:
    """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) (noise @ chol^T), per sample."""
    if noise.shape != x0.shape:
        raise ValueError(f"noise has shape {tuple(noise.shape)}, x0 has {tuple(x0.shape)}")
    if x0.dim() < 2:
        raise ValueError("x0 must have shape (B, ..., D)")
    D = x0.shape[-1]
    if chol.shape != (D, D):
        raise ValueError(f"chol must have shape ({D}, {D}), got {tuple(chol.shape)}")
    mean, std = _coefficients(x0, t, schedule)
    correlated = noise @ chol.to(device=x0.device, dtype=x0.dtype).T
    return torch.mul(x0, mean).addcmul_(correlated, std)
