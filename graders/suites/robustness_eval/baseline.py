"""The bar of robustness_eval's performance gate (baseline sandbox only): a plain batched
evaluation. One affine_grid and one grid_sample over the K * N transformed images (the images
repeated K times), one model call, no tuning; and the per-transform loop it replaces (for
reviewers' measurements)."""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F  # noqa: N812


def _thetas(angles, scales):
    rows = []
    for a in angles:
        r = math.radians(a)
        for s in scales:
            rows.append([[s * math.cos(r), -s * math.sin(r), 0.0],
                         [s * math.sin(r), s * math.cos(r), 0.0]])  # fmt: skip
    return torch.tensor(rows, dtype=torch.float64)


def batched_eval(model, images, labels, angles, scales):
    """(K,) float64 accuracies, grid order, from one batched resampling and one model call."""
    thetas = _thetas(angles, scales).to(images.dtype)
    K, (N, C, H, W) = thetas.shape[0], images.shape
    was_training = model.training
    model.eval()
    with torch.no_grad():
        theta = thetas.repeat_interleave(N, dim=0)  # (K * N, 2, 3), transform-major
        grid = F.affine_grid(theta, [K * N, C, H, W], align_corners=False)
        x = F.grid_sample(images.repeat(K, 1, 1, 1), grid, align_corners=False)
        pred = model(x).argmax(dim=1).reshape(K, N)
    model.train(was_training)
    return (pred == labels).double().mean(dim=1)


def loop_eval(model, images, labels, angles, scales):
    """The same with one affine_grid, grid_sample and model call per transform."""
    accs = []
    model.eval()
    with torch.no_grad():
        for theta in _thetas(angles, scales).to(images.dtype):
            grid = F.affine_grid(theta.expand(images.shape[0], 2, 3), list(images.shape),
                                 align_corners=False)  # fmt: skip
            out = F.grid_sample(images, grid, align_corners=False)
            accs.append((model(out).argmax(dim=1) == labels).double().mean())
    return torch.stack(accs)
