"""Fixtures of the clip_contrastive_loss hidden suite: the float64 oracle and batch makers.

The oracle is written from the statement, not from the reference: explicit row-wise norms,
log-sum-exp over rows (image -> text) and over columns (text -> image), the scale as a branch
on ``exp(logit_scale) < max_scale``; its gradients come from float64 autograd of that formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch


@dataclass
class Oracle:
    """The float64 loss, its two directions, and the gradients of every input."""

    loss: float
    loss_image: float
    loss_text: float
    image: torch.Tensor
    text: torch.Tensor
    logit_scale: float


def oracle(image, text, logit_scale, max_scale: float = 100.0) -> Oracle:
    """The statement's R1-R3 formula in float64, with autograd for the gradients."""
    x = image.detach().to(torch.float64).clone().requires_grad_(True)
    y = text.detach().to(torch.float64).clone().requires_grad_(True)
    t = torch.tensor(float(logit_scale), dtype=torch.float64, requires_grad=True)
    if math.exp(float(logit_scale)) < max_scale:
        s = torch.exp(t)
    else:
        s = torch.tensor(float(max_scale), dtype=torch.float64)
    u = x / torch.sqrt((x * x).sum(dim=1, keepdim=True))
    v = y / torch.sqrt((y * y).sum(dim=1, keepdim=True))
    logits = s * (u @ v.T)
    positive = torch.diagonal(logits)
    loss_image = (torch.logsumexp(logits, dim=1) - positive).mean()
    loss_text = (torch.logsumexp(logits, dim=0) - positive).mean()
    loss = (loss_image + loss_text) / 2
    loss.backward()
    return Oracle(
        float(loss.detach()), float(loss_image.detach()), float(loss_text.detach()),
        x.grad.detach(), y.grad.detach(),
        0.0 if t.grad is None else float(t.grad),
    )  # fmt: skip


def batch(gen, n: int, d: int, *, dtype=torch.float64, norms=(0.3, 3.0)):
    """``(n, d)`` rows with random directions and norms log-uniform in ``norms``."""
    direction = torch.randn(n, d, generator=gen, dtype=torch.float64)
    direction = direction / direction.norm(dim=1, keepdim=True)
    lo, hi = math.log(norms[0]), math.log(norms[1])
    norm = torch.exp(lo + (hi - lo) * torch.rand(n, 1, generator=gen, dtype=torch.float64))
    return (direction * norm).to(dtype)


@pytest.fixture(scope="session")
def clip_oracle():
    """``clip_oracle(image, text, logit_scale, max_scale=100.0) -> Oracle``."""
    return oracle


@pytest.fixture(scope="session")
def make_batch():
    """``make_batch(gen, n, d, dtype=float64, norms=(0.3, 3.0))``: random embeddings."""
    return batch
