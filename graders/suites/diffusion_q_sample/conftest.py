"""Fixtures of the diffusion_q_sample hidden suite: the modules and an oracle schedule."""

import numpy as np
import pytest
import torch

T = 1000


def _oracle_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    return np.linspace(beta_start, beta_end, T, dtype=np.float64)


@pytest.fixture(scope="session")
def oracle():
    """``oracle(T, beta_start, beta_end) -> (betas, alphas_cumprod)`` computed with numpy,
    independently of any submission."""

    def make(T=T, beta_start=1e-4, beta_end=0.02):
        betas = _oracle_betas(T, beta_start, beta_end)
        return betas, np.cumprod(1.0 - betas)

    return make


@pytest.fixture(scope="module")
def schedule(sol):
    """A T=1000 linear schedule built by the test (not by the candidate's make_schedule), in
    the candidate's own Schedule type, so q_sample is judged on its own."""
    betas = torch.from_numpy(_oracle_betas(T))
    alphas = 1.0 - betas
    return sol.Schedule(betas, alphas, torch.cumprod(alphas, 0))


@pytest.fixture(scope="session")
def make_spd():
    """``make_spd(rng, d)``: a random, strongly correlated covariance (symmetric positive
    definite, unequal variances) whose Cholesky factor is far from its transpose."""

    def make(rng: np.random.Generator, d: int) -> np.ndarray:
        a = rng.normal(size=(d, d))
        sigma = a @ a.T + 0.1 * np.eye(d)
        scale = np.sqrt(np.diag(sigma))
        corr = sigma / np.outer(scale, scale)
        spread = np.linspace(0.5, 2.0, d)
        return corr * np.outer(spread, spread)

    return make
