"""Style B: thetas built with vectorised torch ops (deg2rad, outer product with the scales);
transforms applied as one grid_sample over a (K*N) batch (images repeated, grids
repeat_interleaved), and the evaluation generates each chunk of transformed images lazily."""

from __future__ import annotations

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


def _vector(values, what: str) -> torch.Tensor:
    try:
        t = torch.as_tensor([float(v) for v in values], dtype=torch.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: expected a sequence of numbers") from None
    if t.numel() == 0:
        raise ValueError(f"{what} is empty")
    return t


def _grid_vectors(angles_deg, crop_scales) -> tuple[torch.Tensor, torch.Tensor]:
    a = _vector(angles_deg, "angles_deg")
    s = _vector(crop_scales, "crop_scales")
    if not bool(torch.isfinite(a).all()):
        raise ValueError("angles must be finite")
    if not bool(((s > 0) & (s <= 1)).all()):
        raise ValueError("crop scales must be in (0, 1]")
    return a, s


def _thetas(a: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    rad = torch.deg2rad(a)
    cos, sin = torch.cos(rad), torch.sin(rad)
    zero = torch.zeros_like(cos)
    # content turned counter-clockwise as displayed (y axis pointing down): the output pixel p
    # reads the input at R(-angle) p in the y-down frame = [[c, -s], [s, c]] p
    rot = torch.stack(
        (torch.stack((cos, -sin, zero), -1), torch.stack((sin, cos, zero), -1)), -2
    )  # (A, 2, 3)
    return (s.view(1, -1, 1, 1) * rot.unsqueeze(1)).reshape(-1, 2, 3)  # angle-major


def transform_grid(angles_deg: Sequence[float], crop_scales: Sequence[float]) -> torch.Tensor:
    """(K, 2, 3) float64, index i * len(crop_scales) + j = (angles_deg[i], crop_scales[j])."""
    a, s = _grid_vectors(angles_deg, crop_scales)
    return _thetas(a, s)


def _images_ok(images) -> bool:
    return (
        isinstance(images, torch.Tensor)
        and torch.is_floating_point(images)
        and images.ndim == 4
        and images.numel() > 0
        and images.shape[2] == images.shape[3]
    )


def _thetas_ok(thetas) -> bool:
    return (
        isinstance(thetas, torch.Tensor)
        and torch.is_floating_point(thetas)
        and thetas.ndim == 3
        and tuple(thetas.shape[1:]) == (2, 3)
    )


def _grids(images, thetas) -> torch.Tensor:
    """(K, H, W, 2) sampling grids, in the images' dtype and device."""
    _, C, H, W = images.shape
    th = thetas.detach().to(images.device, images.dtype)
    return F.affine_grid(th, [th.shape[0], C, H, W], align_corners=False)


def _sample_pairs(images, grids, k_idx, n_idx) -> torch.Tensor:
    """images[n_idx[i]] resampled with grids[k_idx[i]], as one (len, C, H, W) batch."""
    return F.grid_sample(
        images[n_idx], grids[k_idx], mode="bilinear", padding_mode="zeros", align_corners=False
    )


def apply_transforms(images: torch.Tensor, thetas: torch.Tensor) -> torch.Tensor:
    """(K, N, C, H, W): every image under every transform, one batched grid_sample."""
    if not _images_ok(images):
        raise ValueError("images must be a non-empty (N, C, H, W) floating tensor with H == W")
    if not _thetas_ok(thetas):
        raise ValueError("thetas must be a (K, 2, 3) floating tensor")
    N = images.shape[0]
    K = thetas.shape[0]
    if K == 0:
        return torch.empty((0, *images.shape), dtype=images.dtype, device=images.device)
    k_idx = torch.arange(K, device=images.device).repeat_interleave(N)
    n_idx = torch.arange(N, device=images.device).repeat(K)
    return _sample_pairs(images, _grids(images, thetas), k_idx, n_idx).reshape(K, *images.shape)


def robustness_eval(
    model: torch.nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    angles_deg: Sequence[float],
    crop_scales: Sequence[float],
    *,
    batch_size: int | None = None,
) -> RobustnessReport:
    """Per-transform accuracy, its mean, its minimum and the first worst transform."""
    if not _images_ok(images):
        raise ValueError("bad images")
    N = images.shape[0]
    int_types = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
    if not isinstance(labels, torch.Tensor) or labels.dtype not in int_types:
        raise ValueError("labels must be an integer tensor")
    if labels.ndim != 1 or labels.shape[0] != N:
        raise ValueError("labels must have shape (N,)")
    a, s = _grid_vectors(angles_deg, crop_scales)
    if batch_size is not None:
        if type(batch_size) is not int or batch_size < 1:
            raise ValueError("batch_size must be an int >= 1")
    thetas = _thetas(a, s)
    K = thetas.shape[0]
    total = K * N
    chunk = total if batch_size is None else batch_size

    saved = [(m, m.training) for m in model.modules()]
    model.eval()
    hits = torch.zeros(K, dtype=torch.int64)
    try:
        with torch.no_grad():
            grids = _grids(images, thetas)
            dev = images.device
            target = labels.to(dev)
            for lo in range(0, total, chunk):
                flat = torch.arange(lo, min(lo + chunk, total), device=dev)
                k_idx, n_idx = flat // N, flat % N
                batch = _sample_pairs(images, grids, k_idx, n_idx)
                right = model(batch).argmax(dim=1) == target[n_idx]
                hits += torch.bincount(k_idx[right], minlength=K).cpu()
    finally:
        for m, mode in saved:  # restore every submodule's own mode
            m.training = mode
    accuracy = hits.to(torch.float64) / N
    k = int(torch.argmin(accuracy))  # first index of the minimum
    return RobustnessReport(
        accuracy,
        accuracy.mean().item(),
        accuracy[k].item(),
        (float(a[k // s.numel()]), float(s[k % s.numel()])),
    )
