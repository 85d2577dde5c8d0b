"""Style A: compact, broadcast-based implementation (torch.linspace / torch.cumprod, index the
coefficient tables with t and reshape them to (B, 1, ..., 1))."""

from __future__ import annotations

from typing import NamedTuple

import torch


class Schedule(NamedTuple):
    """A noise schedule of T steps: three float64 CPU tensors of shape (T,)."""

    betas: torch.Tensor
    alphas: torch.Tensor
    alphas_cumprod: torch.Tensor

    @property
    def T(self) -> int:
        """Number of steps."""
        return int(self.betas.shape[0])


def _is_real(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def make_schedule(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> Schedule:
    """The linear DDPM schedule (float64 CPU)."""
    if not isinstance(T, int) or isinstance(T, bool) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    if not (_is_real(beta_start) and _is_real(beta_end)):
        raise ValueError("beta_start and beta_end must be real numbers")
    if not (0.0 < beta_start <= beta_end < 1.0):
        raise ValueError("need 0 < beta_start <= beta_end < 1")
    betas = torch.linspace(float(beta_start), float(beta_end), T, dtype=torch.float64)
    alphas = 1.0 - betas
    return Schedule(betas, alphas, torch.cumprod(alphas, dim=0))


def _validate(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, T: int) -> None:
    if not isinstance(x0, torch.Tensor) or not x0.is_floating_point():
        raise TypeError("x0 must be a floating-point tensor")
    if (
        not isinstance(t, torch.Tensor)
        or t.is_floating_point()
        or t.is_complex()
        or t.dtype == torch.bool
    ):
        raise TypeError("t must be an integer tensor")
    if x0.dim() < 1 or t.shape != (x0.shape[0],):
        raise ValueError(f"t must have shape (B,) = ({x0.shape[0] if x0.dim() else '?'},)")
    if not isinstance(noise, torch.Tensor) or noise.shape != x0.shape:
        raise ValueError("noise must have the shape of x0")
    if t.numel() and (bool((t < 0).any()) or bool((t >= T).any())):
        raise ValueError(f"every t must lie in [0, {T})")


def _coefficients(t: torch.Tensor, schedule: Schedule, x0: torch.Tensor):
    """Per-sample sqrt(abar_t), sqrt(1 - abar_t): float64, then cast to x0's dtype/device."""
    abar = schedule.alphas_cumprod.to(device=x0.device, dtype=torch.float64)
    idx = t.to(device=x0.device, dtype=torch.long)
    abar_t = abar[idx]
    mean_coef = abar_t.sqrt()
    std_coef = (1.0 - abar_t).sqrt()
    view = (-1,) + (1,) * (x0.dim() - 1)
    return (
        mean_coef.to(x0.dtype).view(view),
        std_coef.to(x0.dtype).view(view),
    )


def q_sample(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: Schedule
) -> torch.Tensor:
    """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise, each sample at its own t."""
    _validate(x0, t, noise, schedule.T)
    noise = noise.to(device=x0.device, dtype=x0.dtype)
    a, s = _coefficients(t, schedule, x0)
    return a * x0 + s * noise


def q_sample_correlated(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: Schedule, chol: torch.Tensor
) -> torch.Tensor:
    """Cov[x_t | x0] = (1 - abar_t) Sigma, so C_t = sqrt(1 - abar_t) * chol."""
    _validate(x0, t, noise, schedule.T)
    if x0.dim() < 2:
        raise ValueError("x0 must have shape (B, *, D)")
    D = x0.shape[-1]
    if not isinstance(chol, torch.Tensor) or chol.shape != (D, D):
        raise ValueError(f"chol must have shape ({D}, {D})")
    if not chol.is_floating_point():
        raise TypeError("chol must be a floating-point tensor")
    # Lower Cholesky factor has a positive diagonal: flip column signs if needed (L L^T unchanged).
    L = torch.tril(chol.to(torch.float64))
    signs = torch.where(torch.diagonal(L) < 0, -1.0, 1.0).to(torch.float64)
    L = (L * signs).to(device=x0.device, dtype=x0.dtype)
    noise = noise.to(device=x0.device, dtype=x0.dtype)
    a, s = _coefficients(t, schedule, x0)
    correlated = noise @ L.transpose(0, 1)
    return a * x0 + s * correlated
