"""Style B: helper-function decomposition; schedule built by an explicit arange formula and a
log-space cumulative product; coefficients fetched with torch.gather and applied with addcmul /
einsum."""

from __future__ import annotations

import numbers
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


def _check_int(T) -> int:
    if isinstance(T, bool) or not isinstance(T, numbers.Integral):
        raise ValueError("T must be an int")
    T = int(T)
    if T < 1:
        raise ValueError("T must be >= 1")
    return T


def _check_betas(beta_start, beta_end) -> tuple[float, float]:
    for v in (beta_start, beta_end):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError("betas must be real numbers")
    lo, hi = float(beta_start), float(beta_end)
    if not (0.0 < lo and lo <= hi and hi < 1.0):
        raise ValueError("need 0 < beta_start <= beta_end < 1")
    return lo, hi


def make_schedule(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> Schedule:
    """Linear betas beta_start + (beta_end - beta_start) * s / (T - 1), s = 0..T-1."""
    T = _check_int(T)
    lo, hi = _check_betas(beta_start, beta_end)
    if T == 1:
        betas = torch.full((1,), lo, dtype=torch.float64)
    else:
        frac = torch.arange(T, dtype=torch.float64) / (T - 1)
        betas = lo + (hi - lo) * frac
        betas[-1] = hi
    alphas = 1.0 - betas
    # cumulative product via log-space sum (accurate for tiny betas)
    alphas_cumprod = torch.exp(torch.cumsum(torch.log1p(-betas), dim=0))
    return Schedule(betas, alphas, alphas_cumprod)


def _check_inputs(x0, t, noise, T) -> None:
    if not (isinstance(x0, torch.Tensor) and torch.is_floating_point(x0)):
        raise TypeError("x0 must be floating point")
    integer_dtypes = {
        torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
        getattr(torch, "uint16", torch.uint8), getattr(torch, "uint32", torch.uint8),
        getattr(torch, "uint64", torch.uint8),
    }
    if not isinstance(t, torch.Tensor) or t.dtype not in integer_dtypes:
        raise TypeError("t must be an integer tensor")
    if x0.ndim == 0 or t.ndim != 1 or t.shape[0] != x0.shape[0]:
        raise ValueError("t must be of shape (B,)")
    if not isinstance(noise, torch.Tensor) or tuple(noise.shape) != tuple(x0.shape):
        raise ValueError("noise must have x0's shape")
    if t.numel() > 0:
        lo, hi = torch.aminmax(t.to(torch.long))
        if int(lo) < 0 or int(hi) >= T:
            raise ValueError("t out of range [0, T)")


def _gather_coef(table: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """table[t] in float64 on like's device, cast to like's dtype, shaped (B, 1, ..., 1)."""
    table = table.to(like.device)
    idx = t.to(device=like.device, dtype=torch.int64)
    picked = torch.gather(table, 0, idx)
    return picked.to(like.dtype).reshape((idx.shape[0],) + (1,) * (like.ndim - 1))


def _tables(schedule: Schedule) -> tuple[torch.Tensor, torch.Tensor]:
    abar = schedule.alphas_cumprod.to(torch.float64)
    return torch.sqrt(abar), torch.sqrt(torch.clamp(1.0 - abar, min=0.0))


def q_sample(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: Schedule
) -> torch.Tensor:
    """Closed form of q(x_t | x0): E = sqrt(abar_t) x0, std = sqrt(1 - abar_t)."""
    _check_inputs(x0, t, noise, schedule.T)
    sqrt_abar, sqrt_one_minus = _tables(schedule)
    mean_c = _gather_coef(sqrt_abar, t, x0)
    std_c = _gather_coef(sqrt_one_minus, t, x0)
    eps = noise.to(dtype=x0.dtype, device=x0.device)
    return torch.addcmul(mean_c * x0, std_c, eps)


def _positive_lower_factor(chol: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The lower factor with a non-negative diagonal (the Cholesky factor of chol @ chol.T)."""
    L = chol.to(torch.float64).tril()
    d = L.diagonal()
    flip = torch.ones_like(d)
    flip[d < 0] = -1.0
    return (L * flip.unsqueeze(0)).to(dtype=like.dtype, device=like.device)


def q_sample_correlated(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: Schedule, chol: torch.Tensor
) -> torch.Tensor:
    """Cov[x_t | x0] = sum_s beta_s prod_{r>s} alpha_r Sigma = (1 - abar_t) Sigma."""
    _check_inputs(x0, t, noise, schedule.T)
    if x0.ndim < 2:
        raise ValueError("x0 must be (B, *, D)")
    D = x0.shape[-1]
    if not isinstance(chol, torch.Tensor) or tuple(chol.shape) != (D, D):
        raise ValueError("chol must be (D, D)")
    if not torch.is_floating_point(chol):
        raise TypeError("chol must be floating point")
    L = _positive_lower_factor(chol, x0)
    sqrt_abar, sqrt_one_minus = _tables(schedule)
    mean_c = _gather_coef(sqrt_abar, t, x0)
    std_c = _gather_coef(sqrt_one_minus, t, x0)
    eps = noise.to(dtype=x0.dtype, device=x0.device)
    corr = torch.einsum("ij,...j->...i", L, eps)
    return torch.addcmul(mean_c * x0, std_c, corr)
