"""Style A: log-space cumulative sums (log abar = cumsum(log1p(-beta))), closed-form rational
shift beta' = beta / ((1 - abar) + e^c abar), log-ratio rescale, and cosine betas via the
trigonometric identity cos^2 a - cos^2 b = sin(b - a) sin(b + a)."""

from __future__ import annotations

import math
import numbers

import torch

_F64 = torch.float64


def _check_T(T) -> None:
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be an int >= 1, got {T!r}")


def _real(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be a real number")
    return float(x)


def _as_f64(x: torch.Tensor) -> torch.Tensor:
    return x.detach().to(device="cpu", dtype=_F64)


def _valid_betas(betas) -> torch.Tensor:
    if not isinstance(betas, torch.Tensor) or not betas.is_floating_point():
        raise TypeError("betas must be a floating-point tensor")
    if betas.dim() != 1 or betas.numel() == 0:
        raise ValueError("betas must be a non-empty 1-D tensor")
    b = _as_f64(betas)
    if not bool(((b > 0) & (b <= 1)).all()):
        raise ValueError("every beta must lie in (0, 1]")
    if b.numel() > 1 and bool((b[:-1] == 1).any()):
        raise ValueError("only the last beta may equal 1")
    return b


def _log_abar(b: torch.Tensor) -> torch.Tensor:
    """log of alphas_cumprod, accurate also for tiny betas."""
    return torch.cumsum(torch.log1p(-b), dim=0)


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """T values evenly spaced from beta_start to beta_end, both included."""
    _check_T(T)
    lo, hi = _real(beta_start, "beta_start"), _real(beta_end, "beta_end")
    if not (0.0 < lo <= hi <= 1.0):
        raise ValueError("need 0 < beta_start <= beta_end <= 1")
    return torch.linspace(lo, hi, T, dtype=_F64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Nichol & Dhariwal cosine schedule, betas clipped at max_beta."""
    _check_T(T)
    s = _real(s, "s")
    max_beta = _real(max_beta, "max_beta")
    if not (s >= 0.0) or math.isinf(s):
        raise ValueError("s must be a finite number >= 0")
    if not (0.0 < max_beta <= 1.0):
        raise ValueError("max_beta must lie in (0, 1]")
    u = torch.arange(T + 1, dtype=_F64) / T
    ang = (u + s) / (1.0 + s) * (math.pi / 2.0)
    a0, a1 = ang[:-1], ang[1:]
    # 1 - cos^2(a1)/cos^2(a0) = sin(a1 - a0) sin(a1 + a0) / cos^2(a0)
    betas = torch.sin(a1 - a0) * torch.sin(a1 + a0) / torch.cos(a0).square()
    return torch.clamp(betas, max=max_beta)


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    """Inclusive cumulative product of 1 - betas."""
    b = _valid_betas(betas)
    return torch.exp(_log_abar(b))


def log_snr(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """log(abar / (1 - abar)) = log(abar) - log1p(-abar), elementwise."""
    x = alphas_cumprod
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("alphas_cumprod must be a floating-point tensor")
    a = _as_f64(x)
    if not bool(((a >= 0) & (a <= 1)).all()):
        raise ValueError("alphas_cumprod values must lie in [0, 1]")
    return torch.log(a) - torch.log1p(-a)


def _log_snr_from_log_abar(L: torch.Tensor) -> torch.Tensor:
    # log(abar) - log(1 - abar) with 1 - abar = -expm1(L)
    return L - torch.log(-torch.expm1(L))


def shift_schedule(betas: torch.Tensor, base_resolution: int, resolution: int) -> torch.Tensor:
    """Betas whose log-SNR is the input's plus c = 2 log(base_resolution / resolution).

    abar' = sigmoid(lam + c) = abar e^c / ((1 - abar) + e^c abar), and the ratio of consecutive
    abar' simplifies to the closed form beta'_t = beta_t / ((1 - abar_t) + e^c abar_t):
    no subtraction of nearly equal numbers, beta = 1 (abar = 0) stays 1, c = 0 is the identity.
    """
    b = _valid_betas(betas)
    base = _real(base_resolution, "base_resolution")
    res = _real(resolution, "resolution")
    if not (0.0 < base < math.inf) or not (0.0 < res < math.inf):
        raise ValueError("resolutions must be positive")
    ec = (base / res) ** 2  # e^c
    L = _log_abar(b)
    denom = -torch.expm1(L) + ec * torch.exp(L)
    return b / denom


def rescale_zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Lin et al. 2024, Algorithm 1, in log space (no underflow of sqrt(abar)).

    With r_t = exp(L_t / 2) and r'_t proportional to r_t - r_last,
    q_t = r'_t / r'_{t-1} = exp(dL_t / 2) * (-expm1(x_t)) / (-expm1(x_{t-1})),
    x_t = (L_last - L_t) / 2, and beta'_t = 1 - q_t ** 2 = -expm1(2 log q_t).
    """
    b = _valid_betas(betas)
    if b.numel() < 2:
        raise ValueError("need T >= 2")
    L = _log_abar(b)
    if bool(torch.exp(L[0]) == torch.exp(L[-1])):
        raise ValueError("alphas_cumprod[0] == alphas_cumprod[T-1]")
    x = (L[-1] - L) / 2.0
    log_rho = torch.log(-torch.expm1(x))  # log(1 - r_last / r_t); -inf at the last step
    log_q = torch.log1p(-b[1:]) / 2.0 + log_rho[1:] - log_rho[:-1]
    out = torch.empty_like(b)
    out[0] = b[0]  # r'_0 = r_0: beta'_0 = 1 - abar_0 = beta_0
    out[1:] = -torch.expm1(2.0 * log_q)
    out[-1] = 1.0  # r'_{T-1} = 0
    return out
