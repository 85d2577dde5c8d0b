"""Diffusion noise schedules: linear and cosine betas, log-SNR, resolution shift and
zero-terminal-SNR rescaling.

Fill in the six functions below. Read README.md first: it states the exact formulas, the index
convention, the errors to raise and the performance target.
"""

from __future__ import annotations

import torch


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """The linear DDPM schedule (Ho et al. 2020, sec. 4).

    Args:
        T: number of steps, an int >= 1.
        beta_start: betas[0].
        beta_end: betas[T-1]; the betas are evenly spaced, both ends included.

    Returns:
        float64 CPU tensor of shape (T,).

    Raises:
        ValueError: T is not an int >= 1, or not 0 < beta_start <= beta_end <= 1.
    """
    raise NotImplementedError


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """The cosine schedule of Nichol & Dhariwal 2021 ("Improved DDPM", eq. 17).

    abar(u) = f(u) / f(0) with f(u) = cos(((u + s) / (1 + s)) * pi / 2) ** 2 for u in [0, 1];
    betas[t] = 1 - abar((t + 1) / T) / abar(t / T) for t = 0 .. T-1, each clipped at max_beta.

    Args:
        T: number of steps, an int >= 1.
        s: the small offset s >= 0 (0.008 in the paper).
        max_beta: the clipping value, in (0, 1] (0.999 in the paper).

    Returns:
        float64 CPU tensor of shape (T,).

    Raises:
        ValueError: T is not an int >= 1, s < 0, or max_beta outside (0, 1].
    """
    raise NotImplementedError


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    """abar_t = (1 - betas[0]) * ... * (1 - betas[t]) (the product includes step t).

    Args:
        betas: floating tensor of shape (T,), values in (0, 1], only the last may equal 1.

    Returns:
        float64 CPU tensor of shape (T,).

    Raises:
        TypeError: betas is not a floating-point tensor.
        ValueError: betas is not 1-D and non-empty, or a value is outside (0, 1], or a beta
            other than the last equals 1.
    """
    raise NotImplementedError


def log_snr(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """The log signal-to-noise ratio log(abar / (1 - abar)) (Kingma et al. 2021), elementwise.

    Args:
        alphas_cumprod: floating tensor of any shape, values in [0, 1].

    Returns:
        float64 CPU tensor of the same shape; -inf where abar = 0, +inf where abar = 1.

    Raises:
        TypeError: not a floating-point tensor.
        ValueError: a value outside [0, 1].
    """
    raise NotImplementedError


def shift_schedule(betas: torch.Tensor, base_resolution: int, resolution: int) -> torch.Tensor:
    """Adapt a schedule designed at base_resolution to images of resolution (Hoogeboom et al.
    2023, "simple diffusion", sec. 3.1).

    The returned schedule's log-SNR at every step t equals the input's log-SNR at step t plus
    2 * log(base_resolution / resolution).

    Args:
        betas: as for :func:`alphas_cumprod`.
        base_resolution: side length the schedule was designed for (> 0).
        resolution: side length it is used at (> 0).

    Returns:
        float64 CPU tensor of shape (T,): the betas of the shifted schedule.

    Raises:
        TypeError, ValueError: as :func:`alphas_cumprod`; ValueError also for a resolution <= 0.
    """
    raise NotImplementedError


def rescale_zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Rescale a schedule so that its last step has zero SNR (Lin et al. 2024, Algorithm 1).

    sqrt(abar_t) is shifted and scaled linearly so that sqrt(abar_0) keeps its value and
    sqrt(abar_{T-1}) becomes 0; the result is the betas of the rescaled alphas_cumprod,
    betas_t = 1 - abar_t / abar_{t-1} with abar_{-1} = 1.

    Args:
        betas: as for :func:`alphas_cumprod`, with T >= 2.

    Returns:
        float64 CPU tensor of shape (T,).

    Raises:
        TypeError, ValueError: as :func:`alphas_cumprod`; ValueError also for T < 2.
    """
    raise NotImplementedError
