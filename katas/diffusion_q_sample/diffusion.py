"""Forward diffusion: fetch the noisy state x_t of a DDPM in one call.

Fill in the three functions below. Read README.md first: it states the exact semantics,
the index convention, the errors to raise and the performance targets.
"""

from __future__ import annotations

from typing import NamedTuple

import torch


class Schedule(NamedTuple):
    """A noise schedule of T steps: three float64 CPU tensors of shape (T,).

    Attributes:
        betas: per-step noise variances beta_s, s = 0 .. T-1.
        alphas: 1 - betas.
        alphas_cumprod: abar_t = prod_{s=0}^{t} alphas[s] (inclusive of step t).
    """

    betas: torch.Tensor
    alphas: torch.Tensor
    alphas_cumprod: torch.Tensor

    @property
    def T(self) -> int:
        """Number of steps."""
        return int(self.betas.shape[0])


def make_schedule(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> Schedule:
    """The linear DDPM schedule (Ho et al. 2020, section 4).

    Args:
        T: number of steps, a positive int.
        beta_start: beta_0.
        beta_end: beta_{T-1}; betas are evenly spaced from beta_start to beta_end inclusive.

    Returns:
        A :class:`Schedule` of float64 CPU tensors of shape (T,).

    Raises:
        ValueError: T < 1 (or not an int), or not 0 < beta_start <= beta_end < 1.
    """
    raise NotImplementedError


def q_sample(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: Schedule
) -> torch.Tensor:
    """Sample x_t ~ q(x_t | x_0) for a batch, each sample at its own step.

    Args:
        x0: clean data, shape (B, *), any floating dtype, any device.
        t: integer tensor of shape (B,), each value in [0, T): the step of each sample.
        noise: standard-normal tensor of x0's shape, dtype and device.
        schedule: the noise schedule.

    Returns:
        x_t of x0's shape, dtype and device: E[x_t | x_0] + std(x_t | x_0) * noise.

    Raises:
        TypeError: x0 is not floating point, or t is not an integer tensor.
        ValueError: t is not of shape (B,), a value of t lies outside [0, T), or noise's
            shape differs from x0's.
    """
    raise NotImplementedError


def q_sample_correlated(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: Schedule, chol: torch.Tensor
) -> torch.Tensor:
    """Sample x_t ~ q(x_t | x_0) when every step's noise has covariance beta_s * Sigma.

    Args:
        x0: clean data, shape (B, *, D), any floating dtype, any device.
        t: integer tensor of shape (B,), each value in [0, T).
        noise: standard-normal tensor of x0's shape, dtype and device.
        schedule: the noise schedule.
        chol: (D, D) lower-triangular L with Sigma = L @ L.T (full, not diagonal).

    Returns:
        x_t of x0's shape, dtype and device: E[x_t | x_0] + C_t @ noise along the last
        dimension, where C_t is the lower Cholesky factor of Cov[x_t | x_0].

    Raises:
        TypeError, ValueError: as q_sample; ValueError also when chol is not (D, D).
    """
    raise NotImplementedError
