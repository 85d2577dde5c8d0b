# kills: test_correctness.py::test_cosine_betas_closed_form
"""Mutant: builds the cosine schedule in float32 (torch's default dtype) and converts to float64 at the end."""

from __future__ import annotations

import math

import torch

__all__ = [
    "alphas_cumprod",
    "cosine_betas",
    "linear_betas",
    "log_snr",
    "rescale_zero_terminal_snr",
    "shift_schedule",
]


def _check_T(T: int, minimum: int = 1) -> None:
    if not isinstance(T, int) or isinstance(T, bool) or T < minimum:
        raise ValueError(f"T must be an int >= {minimum}, got {T!r}")


def _as_betas(betas: torch.Tensor, minimum: int = 1) -> torch.Tensor:
    if not torch.is_tensor(betas) or not betas.is_floating_point():
        raise TypeError("betas must be a floating-point tensor")
    if betas.dim() != 1 or betas.shape[0] < minimum:
        raise ValueError(
            f"betas must have shape (T,) with T >= {minimum}, got {tuple(betas.shape)}"
        )
    b = betas.detach().to(device="cpu", dtype=torch.float64)
    if not bool(((b > 0) & (b <= 1)).all()) or bool((b[:-1] >= 1).any()):
        raise ValueError("every beta must lie in (0, 1], and only the last may equal 1")
    return b


def _betas_from_alphas_cumprod(abar: torch.Tensor) -> torch.Tensor:
    """betas_t = 1 - abar_t / abar_{t-1}, with abar_{-1} = 1."""
    previous = torch.cat([abar.new_ones(1), abar[:-1]])
    return 1.0 - abar / previous


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """DDPM's linear schedule: T betas evenly spaced from beta_start to beta_end inclusive."""
    _check_T(T)
    if not (0.0 < beta_start <= beta_end <= 1.0):
        raise ValueError(f"need 0 < beta_start <= beta_end <= 1, got {beta_start}, {beta_end}")
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Nichol & Dhariwal's cosine schedule, betas clipped at max_beta."""
    _check_T(T)
    if not s >= 0.0:
        raise ValueError(f"s must be >= 0, got {s}")
    if not (0.0 < max_beta <= 1.0):
        raise ValueError(f"max_beta must lie in (0, 1], got {max_beta}")
    u = torch.arange(T + 1) / T
    f = torch.cos((u + s) / (1.0 + s) * (math.pi / 2)) ** 2
    betas = 1.0 - f[1:] / f[:-1]
    return betas.clamp(max=max_beta).double()


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    """abar_t = prod_{s <= t} (1 - betas_s), float64."""
    b = _as_betas(betas)
    return torch.cumprod(1.0 - b, dim=0)


def log_snr(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """log(abar / (1 - abar)) in float64: -inf where abar = 0, +inf where abar = 1."""
    if not torch.is_tensor(alphas_cumprod) or not alphas_cumprod.is_floating_point():
        raise TypeError("alphas_cumprod must be a floating-point tensor")
    a = alphas_cumprod.detach().to(device="cpu", dtype=torch.float64)
    if not bool(((a >= 0) & (a <= 1)).all()):
        raise ValueError("alphas_cumprod must lie in [0, 1]")
    return torch.log(a) - torch.log1p(-a)


def shift_schedule(betas: torch.Tensor, base_resolution: int, resolution: int) -> torch.Tensor:
    """The betas whose log-SNR is the input's shifted by 2 log(base_resolution / resolution)."""
    if not (base_resolution > 0 and resolution > 0):
        raise ValueError("resolutions must be positive")
    b = _as_betas(betas)
    shift = 2.0 * math.log(base_resolution / resolution)
    lsnr = log_snr(torch.cumprod(1.0 - b, dim=0)) + shift
    # abar' = sigmoid(logSNR'); work with log(abar') so tiny betas keep their precision
    log_abar = torch.nn.functional.logsigmoid(lsnr)
    previous = torch.cat([log_abar.new_zeros(1), log_abar[:-1]])
    shifted = -torch.expm1(log_abar - previous)
    return torch.where(torch.isneginf(log_abar), torch.ones_like(shifted), shifted)


def rescale_zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Lin et al. 2024, Algorithm 1: the betas of a schedule whose last step has SNR 0."""
    b = _as_betas(betas, minimum=2)
    sqrt_abar = torch.cumprod(1.0 - b, dim=0).sqrt()
    first, last = sqrt_abar[0].clone(), sqrt_abar[-1].clone()
    if not first > last:
        raise ValueError("the schedule adds no noise after its first step")
    sqrt_abar = (sqrt_abar - last) * (first / (first - last))
    return _betas_from_alphas_cumprod(sqrt_abar**2)
