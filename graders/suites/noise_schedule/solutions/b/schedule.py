"""Style B: direct formulas on abar itself (torch.cumprod, torch.logit-like log1p split), the
shifted betas written through consecutive log-SNR differences, and the zero-terminal rescale via
differences of square roots; validation factored into small helpers."""

from __future__ import annotations

import math

import torch

_F64 = torch.float64


def _require_steps(T) -> int:
    if type(T) is bool or not isinstance(T, int):
        raise ValueError("T must be an int")
    if T < 1:
        raise ValueError("T must be >= 1")
    return T


def _number(x, what: str) -> float:
    if type(x) is bool:
        raise ValueError(f"{what} must be a number")
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number") from None
    if math.isnan(v):
        raise ValueError(f"{what} is NaN")
    return v


def _float_tensor(x, what: str) -> torch.Tensor:
    if not (isinstance(x, torch.Tensor) and torch.is_floating_point(x)):
        raise TypeError(f"{what} must be a floating-point tensor")
    return x.detach().to("cpu", _F64)


def _checked_betas(betas) -> torch.Tensor:
    b = _float_tensor(betas, "betas")
    if b.ndim != 1:
        raise ValueError("betas must be 1-D")
    if b.shape[0] == 0:
        raise ValueError("betas must not be empty")
    inside = (b > 0.0) & (b <= 1.0)
    if not bool(inside.all()):
        raise ValueError("betas must lie in (0, 1]")
    if int((b == 1.0).sum()) > int(b[-1] == 1.0):
        raise ValueError("only the last beta may be 1")
    return b


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """beta_start + (beta_end - beta_start) * t / (T - 1)."""
    T = _require_steps(T)
    lo, hi = _number(beta_start, "beta_start"), _number(beta_end, "beta_end")
    if not (lo > 0.0 and hi >= lo and hi <= 1.0):
        raise ValueError("need 0 < beta_start <= beta_end <= 1")
    if T == 1:
        return torch.tensor([lo], dtype=_F64)
    out = lo + (hi - lo) * (torch.arange(T, dtype=_F64) / (T - 1))
    out[-1] = hi
    return out


def _f(u: torch.Tensor, s: float) -> torch.Tensor:
    return torch.cos((u + s) / (1.0 + s) * (math.pi / 2.0)) ** 2


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """betas[t] = min(1 - abar((t+1)/T) / abar(t/T), max_beta), abar(u) = f(u) / f(0)."""
    T = _require_steps(T)
    s = _number(s, "s")
    max_beta = _number(max_beta, "max_beta")
    if s < 0.0 or math.isinf(s):
        raise ValueError("s must be >= 0 and finite")
    if not (0.0 < max_beta <= 1.0):
        raise ValueError("max_beta must be in (0, 1]")
    t = torch.arange(T, dtype=_F64)
    f0 = _f(torch.zeros((), dtype=_F64), s)
    abar_lo = _f(t / T, s) / f0
    abar_hi = _f((t + 1.0) / T, s) / f0
    betas = 1.0 - abar_hi / abar_lo
    return torch.minimum(betas, torch.full_like(betas, max_beta))


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    """prod_{s <= t} (1 - betas[s])."""
    b = _checked_betas(betas)
    return torch.cumprod(1.0 - b, dim=0)


def log_snr(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """logit(abar), split so that both tails and the middle stay accurate."""
    a = _float_tensor(alphas_cumprod, "alphas_cumprod")
    if not bool(((a >= 0.0) & (a <= 1.0)).all()):
        raise ValueError("values must lie in [0, 1]")
    one_minus = 1.0 - a
    # upper half: 1 - a and 2a - 1 are exact, log1p((2a - 1) / (1 - a)) is accurate
    upper = torch.log1p((2.0 * a - 1.0) / one_minus)
    lower = torch.log(a) - torch.log1p(-a)
    return torch.where(a >= 0.5, upper, lower)


def _log_abar(b: torch.Tensor) -> torch.Tensor:
    """log(alphas_cumprod), kept in log space so that long schedules do not underflow."""
    return torch.cumsum(torch.log1p(-b), dim=0)


def shift_schedule(betas: torch.Tensor, base_resolution: int, resolution: int) -> torch.Tensor:
    """Shifted log-SNR lam'_t = lam_t + delta. With abar' = sigmoid(lam'),
    beta'_t = 1 - abar'_t / abar'_{t-1} = (1 - exp(lam_t - lam_{t-1})) * sigmoid(-lam'_t),
    where lam_{-1} = +inf (abar_{-1} = 1); the shift cancels in the difference."""
    b = _checked_betas(betas)
    base = _number(base_resolution, "base_resolution")
    res = _number(resolution, "resolution")
    if base <= 0.0 or res <= 0.0 or math.isinf(base) or math.isinf(res):
        raise ValueError("resolutions must be positive and finite")
    L = _log_abar(b)
    lam = L - torch.log(-torch.expm1(L))
    shifted = lam + 2.0 * math.log(base / res)
    prev = torch.cat([torch.tensor([math.inf], dtype=_F64), lam[:-1]])
    diff = lam - prev
    # inf - inf only where abar rounds to 1 (betas below 1e-16): no change of lam
    diff = torch.where(torch.isnan(diff), torch.zeros_like(diff), diff)
    return -torch.expm1(diff) * torch.sigmoid(-shifted)


def rescale_zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Rescaled r'_t = c * (r_t - r_last) = c * r_t * rho_t with rho_t = 1 - r_last / r_t.
    Then abar'_t / abar'_{t-1} = (1 - beta_t) * k_t, k_t = (rho_t / rho_{t-1}) ** 2, and
    beta'_t = beta_t + (1 - beta_t) * (1 - k_t), where
    1 - k_t = (d_t / rho_{t-1}) * (1 + rho_t / rho_{t-1}),
    d_t = rho_{t-1} - rho_t = -(r_last / r_t) * expm1(log1p(-beta_t) / 2)."""
    b = _checked_betas(betas)
    T = b.shape[0]
    if T < 2:
        raise ValueError("need at least two steps")
    L = _log_abar(b)
    if bool(torch.exp(L[0]) == torch.exp(L[-1])):
        raise ValueError("alphas_cumprod[0] equals alphas_cumprod[T-1]")
    ratio = torch.exp((L[-1] - L) / 2.0)  # r_last / r_t, in [0, 1]
    rho = 1.0 - ratio
    rho_prev, rho_cur = rho[:-1], rho[1:]
    d = -ratio[1:] * torch.expm1(torch.log1p(-b[1:]) / 2.0)
    one_minus_k = (d / rho_prev) * (1.0 + rho_cur / rho_prev)
    out = torch.empty(T, dtype=_F64)
    out[0] = b[0]  # r'_0 = r_0, so beta'_0 = 1 - abar_0 = beta_0
    out[1:] = b[1:] + (1.0 - b[1:]) * one_minus_k
    out[-1] = 1.0  # r'_{T-1} = 0
    return out
