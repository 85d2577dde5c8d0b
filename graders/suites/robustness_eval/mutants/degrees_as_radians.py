# kills: test_correctness.py::test_transform_grid_closed_form,test_correctness.py::test_quarter_turns_match_rot90
"""Mutant: the angles in degrees go straight into cos and sin (as radians)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch.nn import functional as F  # noqa: N812


class RobustnessReport(NamedTuple):
    """Accuracy of a model over a grid of transforms."""

    accuracy: torch.Tensor  # (K,) float64, grid order (angle-major)
    mean_accuracy: float
    worst_accuracy: float
    worst_transform: tuple[float, float]  # (angle in degrees, crop scale)


def _check_grid(angles_deg: Sequence[float], crop_scales: Sequence[float]) -> None:
    if len(angles_deg) == 0 or len(crop_scales) == 0:
        raise ValueError("angles_deg and crop_scales must not be empty")
    if not all(math.isfinite(float(a)) for a in angles_deg):
        raise ValueError("angles must be finite")
    if not all(0.0 < float(s) <= 1.0 for s in crop_scales):
        raise ValueError("crop scales must lie in (0, 1]")


def transform_grid(angles_deg: Sequence[float], crop_scales: Sequence[float]) -> torch.Tensor:
    """(K, 2, 3) float64 affine matrices, K = len(angles) * len(scales), angle-major order."""
    _check_grid(angles_deg, crop_scales)
    angles = torch.tensor([float(a) for a in angles_deg], dtype=torch.float64)
    scales = torch.tensor([float(s) for s in crop_scales], dtype=torch.float64)
    a = angles.repeat_interleave(len(scales))
    s = scales.repeat(len(angles))
    cos, sin = torch.cos(a) * s, torch.sin(a) * s
    zero = torch.zeros_like(cos)
    return torch.stack(
        [torch.stack([cos, -sin, zero], dim=-1), torch.stack([sin, cos, zero], dim=-1)], dim=1
    )


def _check_images(images: torch.Tensor) -> None:
    if not torch.is_tensor(images) or not images.is_floating_point() or images.dim() != 4:
        raise ValueError("images must be a floating tensor of shape (N, C, H, W)")
    if images.shape[-1] != images.shape[-2]:
        raise ValueError(f"images must be square, got {tuple(images.shape[-2:])}")
    if images.shape[0] < 1:
        raise ValueError("images must hold at least one image")


def apply_transforms(images: torch.Tensor, thetas: torch.Tensor) -> torch.Tensor:
    """(K, N, C, H, W): every image under every transform, in one grid_sample call."""
    _check_images(images)
    if not torch.is_tensor(thetas) or thetas.dim() != 3 or thetas.shape[1:] != (2, 3):
        raise ValueError("thetas must have shape (K, 2, 3)")
    N, C, H, W = images.shape
    K = thetas.shape[0]
    theta = thetas.to(device=images.device, dtype=images.dtype)
    grid = F.affine_grid(theta, [K, N * C, H, W], align_corners=False)
    folded = images.reshape(1, N * C, H, W).expand(K, N * C, H, W)
    out = F.grid_sample(folded, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.reshape(K, N, C, H, W)


def robustness_eval(
    model: torch.nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    angles_deg: Sequence[float],
    crop_scales: Sequence[float],
    *,
    batch_size: int | None = None,
) -> RobustnessReport:
    """Accuracy of ``model`` on every image under every transform of the grid."""
    _check_images(images)
    _check_grid(angles_deg, crop_scales)
    if not torch.is_tensor(labels) or labels.shape != (images.shape[0],):
        raise ValueError("labels must be a tensor of shape (N,)")
    if labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise ValueError("labels must be integer class indices")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    thetas = transform_grid(angles_deg, crop_scales)
    K, N = thetas.shape[0], images.shape[0]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            flat = apply_transforms(images, thetas).reshape(K * N, *images.shape[1:])
            step = batch_size or K * N
            preds = torch.cat(
                [model(flat[i : i + step]).argmax(dim=1) for i in range(0, K * N, step)]
            )
    finally:
        model.train(was_training)
    correct = preds.reshape(K, N) == labels.to(preds.device).reshape(1, N)
    accuracy = correct.double().mean(dim=1).cpu()
    worst = int(torch.argmin(accuracy))  # first minimum in grid order
    n_scales = len(crop_scales)
    return RobustnessReport(
        accuracy,
        float(accuracy.mean()),
        float(accuracy[worst]),
        (float(angles_deg[worst // n_scales]), float(crop_scales[worst % n_scales])),
    )
