"""Public examples for diffusion_q_sample: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import pytest
import torch
from diffusion import Schedule, make_schedule, q_sample, q_sample_correlated


def test_schedule_shapes_and_dtype():
    """make_schedule returns three float64 tensors of shape (T,)."""
    s = make_schedule(1000)
    assert isinstance(s, Schedule)
    for tensor in (s.betas, s.alphas, s.alphas_cumprod):
        assert tensor.shape == (1000,)
        assert tensor.dtype == torch.float64
    assert s.betas[0].item() == pytest.approx(1e-4)
    assert s.betas[-1].item() == pytest.approx(0.02)
    assert torch.all(s.alphas_cumprod[1:] < s.alphas_cumprod[:-1])


def test_q_sample_shape_and_limits():
    """A batch of images, each at its own step; at the last step x_t is almost pure noise."""
    s = make_schedule(1000)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(4, 3, 8, 8, generator=g)
    noise = torch.randn(4, 3, 8, 8, generator=g)
    t = torch.tensor([0, 10, 500, 999])
    xt = q_sample(x0, t, noise, s)
    assert xt.shape == x0.shape
    assert torch.isfinite(xt).all()
    # at t = T-1 almost all signal is gone
    assert torch.allclose(xt[3].double(), noise[3].double(), atol=0.05)
    # at t = 0 almost all signal is still there
    assert torch.allclose(xt[0].double(), x0[0].double(), atol=0.05)


def test_t_out_of_range_is_an_error():
    """t must lie in [0, T)."""
    s = make_schedule(10)
    x0 = torch.zeros(2, 3)
    with pytest.raises(ValueError):
        q_sample(x0, torch.tensor([0, 10]), torch.zeros(2, 3), s)


def test_q_sample_correlated_shape():
    """Correlated noise along the last dimension keeps the shape."""
    s = make_schedule(100)
    sigma = torch.tensor([[1.0, 0.8], [0.8, 1.0]], dtype=torch.float64)
    chol = torch.linalg.cholesky(sigma)
    x0 = torch.randn(5, 2, dtype=torch.float64)
    xt = q_sample_correlated(
        x0, torch.tensor([0, 1, 2, 50, 99]), torch.randn(5, 2, dtype=torch.float64), s, chol
    )
    assert xt.shape == (5, 2)
