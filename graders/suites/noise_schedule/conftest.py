"""Fixtures of the noise_schedule hidden suite: the modules and numpy oracles written from the
papers' closed forms, independent of any submission."""

import math

import numpy as np
import pytest


def cosine_oracle(T: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """Nichol & Dhariwal 2021, eq. 17, with betas clipped at max_beta (float64 numpy)."""
    u = np.arange(T + 1, dtype=np.float64) / T
    f = np.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    return np.minimum(1.0 - abar[1:] / abar[:-1], max_beta)


def log_snr_oracle(abar: np.ndarray) -> np.ndarray:
    """log(abar) - log1p(-abar) elementwise, with the infinities at 0 and 1."""
    with np.errstate(divide="ignore"):
        return np.log(abar) - np.log1p(-abar)


def cumprod_oracle(betas: np.ndarray) -> np.ndarray:
    """Inclusive cumulative product of 1 - betas."""
    return np.cumprod(1.0 - betas)


def zero_snr_oracle(betas: np.ndarray) -> np.ndarray:
    """Lin et al. 2024, Algorithm 1, written with numpy."""
    r = np.sqrt(np.cumprod(1.0 - betas))
    r0, rT = r[0], r[-1]
    r = (r - rT) * r0 / (r0 - rT)
    abar = r**2
    return 1.0 - abar / np.concatenate([[1.0], abar[:-1]])


@pytest.fixture(scope="session")
def oracle():
    """The oracles as a namespace: cosine, log_snr, cumprod, zero_snr."""

    class Oracle:
        cosine = staticmethod(cosine_oracle)
        log_snr = staticmethod(log_snr_oracle)
        cumprod = staticmethod(cumprod_oracle)
        zero_snr = staticmethod(zero_snr_oracle)

    return Oracle


@pytest.fixture
def random_betas(rng):
    """``random_betas(T)``: a random valid schedule, either a jittered linear or a cosine one,
    always with the cosine schedule's large late betas so every rule is exercised."""

    def make(T: int) -> np.ndarray:
        if rng.random() < 0.5:
            b = np.linspace(rng.uniform(5e-5, 2e-4), rng.uniform(0.01, 0.03), T)
            return b * rng.uniform(0.9, 1.1, size=T)
        return cosine_oracle(T, s=rng.uniform(0.004, 0.012))

    return make
