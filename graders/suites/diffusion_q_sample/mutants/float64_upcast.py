# kills: test_correctness.py::test_dtype_preserved
"""Mutant: keeps the float64 coefficients, so float32/float16 inputs come back as float64."""


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
    if not torch.is_tensor(t) or t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise TypeError(f"t must be an integer tensor, got {getattr(t, 'dtype', type(t))}")
    if x0.dim() < 1 or t.shape != (x0.shape[0],):
        raise ValueError(f"t must have shape ({x0.shape[0] if x0.dim() else '?'},), got {tuple(t.shape)}")
    T = schedule.alphas_cumprod.shape[0]
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= T):
        raise ValueError(f"t must lie in [0, {T}), got values in [{int(t.min())}, {int(t.max())}]")
    abar = schedule.alphas_cumprod.to(x0.device)[t.to(x0.device)]
    view = (-1,) + (1,) * (x0.dim() - 1)
    mean = abar.sqrt().view(view)
    std = (1.0 - abar).sqrt().view(view)
    return mean, std


def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: Schedule) -> torch.Tensor:
    """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise, per sample."""
    if noise.shape != x0.shape:
        raise ValueError(f"noise has shape {tuple(noise.shape)}, x0 has {tuple(x0.shape)}")
    mean, std = _coefficients(x0, t, schedule)
    return mean * x0 + std * noise


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
    return mean * x0 + std * correlated
