"""Style A: thetas from math.cos/sin in Python lists; all K transforms applied in one
grid_sample call by folding the N images into the channel axis (input (K, N*C, H, W))."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F


class RobustnessReport(NamedTuple):
    """Accuracy of a model over a grid of transforms."""

    accuracy: torch.Tensor
    mean_accuracy: float
    worst_accuracy: float
    worst_transform: tuple[float, float]


def _floats(values, what: str) -> list[float]:
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a sequence of numbers") from None
    if not out:
        raise ValueError(f"{what} must not be empty")
    return out


def _check_grid(angles_deg, crop_scales) -> tuple[list[float], list[float]]:
    angles = _floats(angles_deg, "angles_deg")
    scales = _floats(crop_scales, "crop_scales")
    if not all(math.isfinite(a) for a in angles):
        raise ValueError("angles must be finite")
    if not all(0.0 < s <= 1.0 for s in scales):
        raise ValueError("crop scales must lie in (0, 1]")
    return angles, scales


def transform_grid(angles_deg: Sequence[float], crop_scales: Sequence[float]) -> torch.Tensor:
    """theta = s * [[cos a, -sin a, 0], [sin a, cos a, 0]], angle-major."""
    angles, scales = _check_grid(angles_deg, crop_scales)
    rows = []
    for a in angles:
        r = math.radians(a)
        c, s_ = math.cos(r), math.sin(r)
        for s in scales:
            rows.append([[s * c, -s * s_, 0.0], [s * s_, s * c, 0.0]])
    return torch.tensor(rows, dtype=torch.float64)


def _check_images(images) -> None:
    if not isinstance(images, torch.Tensor) or not images.is_floating_point() or images.dim() != 4:
        raise ValueError("images must be a (N, C, H, W) floating tensor")
    N, C, H, W = images.shape
    if images.numel() == 0:
        raise ValueError("images must not be empty")
    if H != W:
        raise ValueError("images must be square")


def apply_transforms(images: torch.Tensor, thetas: torch.Tensor) -> torch.Tensor:
    """out[k, n] = grid_sample(images[n], affine_grid(thetas[k]))."""
    _check_images(images)
    if (
        not isinstance(thetas, torch.Tensor)
        or not thetas.is_floating_point()
        or thetas.dim() != 3
        or thetas.shape[1:] != (2, 3)
    ):
        raise ValueError("thetas must be a (K, 2, 3) floating tensor")
    N, C, H, W = images.shape
    K = thetas.shape[0]
    if K == 0:
        return images.new_zeros((0, N, C, H, W))
    th = thetas.detach().to(device=images.device, dtype=images.dtype)
    grid = F.affine_grid(th, [K, N * C, H, W], align_corners=False)
    folded = images.reshape(1, N * C, H, W).expand(K, N * C, H, W)
    out = F.grid_sample(folded, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.reshape(K, N, C, H, W)


def _module_modes(model: torch.nn.Module) -> list[tuple[torch.nn.Module, bool]]:
    return [(m, m.training) for m in model.modules()]


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
    N = images.shape[0]
    if (
        not isinstance(labels, torch.Tensor)
        or labels.is_floating_point()
        or labels.is_complex()
        or labels.dtype == torch.bool
        or labels.shape != (N,)
    ):
        raise ValueError("labels must be an (N,) integer tensor")
    angles, scales = _check_grid(angles_deg, crop_scales)
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError("batch_size must be None or an int >= 1")

    thetas = transform_grid(angles, scales)
    K = thetas.shape[0]
    modes = _module_modes(model)
    try:
        model.eval()
        with torch.no_grad():
            flat = apply_transforms(images, thetas).reshape(K * N, *images.shape[1:])
            step = K * N if batch_size is None else batch_size
            preds = [
                model(flat[i : i + step]).argmax(dim=1) for i in range(0, K * N, step)
            ]
            pred = torch.cat(preds).reshape(K, N)
    finally:
        for m, mode in modes:
            m.training = mode
    correct = (pred == labels.to(pred.device).reshape(1, N)).sum(dim=1)
    accuracy = correct.to(device="cpu", dtype=torch.float64) / N
    worst = accuracy.min()
    k = int(torch.nonzero(accuracy == worst)[0, 0])
    return RobustnessReport(
        accuracy=accuracy,
        mean_accuracy=float(accuracy.mean()),
        worst_accuracy=float(worst),
        worst_transform=(angles[k // len(scales)], scales[k % len(scales)]),
    )
