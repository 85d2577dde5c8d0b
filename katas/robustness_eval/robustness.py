"""Robustness evaluation of an image classifier over a fixed grid of small rotations and
centre crops.

Fill in the three functions below. Read README.md first: it states the transform convention,
the order of the grid, the report and the performance target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch


class RobustnessReport(NamedTuple):
    """Accuracy of a model over a grid of transforms.

    Attributes:
        accuracy: (K,) float64 CPU tensor, the accuracy under each transform, in grid order.
        mean_accuracy: the mean of ``accuracy``.
        worst_accuracy: the minimum of ``accuracy``.
        worst_transform: (angle in degrees, crop scale) of the first transform, in grid order,
            whose accuracy is the minimum.
    """

    accuracy: torch.Tensor
    mean_accuracy: float
    worst_accuracy: float
    worst_transform: tuple[float, float]


def transform_grid(angles_deg: Sequence[float], crop_scales: Sequence[float]) -> torch.Tensor:
    """The affine matrices of every (angle, crop scale) pair, for affine_grid.

    Args:
        angles_deg: rotation angles in degrees; positive turns the content counter-clockwise
            as displayed (row 0 at the top). Non-empty, finite.
        crop_scales: centre-crop scales s in (0, 1]: keep the central s * H by s * W region.
            Non-empty.

    Returns:
        (K, 2, 3) float64 tensor, K = len(angles_deg) * len(crop_scales), angle-major order:
        index k = i * len(crop_scales) + j holds (angles_deg[i], crop_scales[j]).

    Raises:
        ValueError: an empty list, a non-finite angle or a scale outside (0, 1].
    """
    raise NotImplementedError


def apply_transforms(images: torch.Tensor, thetas: torch.Tensor) -> torch.Tensor:
    """Every image under every transform.

    Args:
        images: (N, C, H, W) floating tensor, square (H == W).
        thetas: (K, 2, 3) affine matrices (any floating dtype), as from transform_grid.

    Returns:
        (K, N, C, H, W) tensor of images' dtype and device: out[k, n] is images[n] resampled
        with affine_grid(thetas[k]) and grid_sample (bilinear, zero padding,
        align_corners=False).

    Raises:
        ValueError: images not (N, C, H, W) floating, N == 0 or not square; thetas not (K, 2, 3).
    """
    raise NotImplementedError


def robustness_eval(
    model: torch.nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    angles_deg: Sequence[float],
    crop_scales: Sequence[float],
    *,
    batch_size: int | None = None,
) -> RobustnessReport:
    """Accuracy of ``model`` on every image under every transform of the grid.

    Args:
        model: maps (B, C, H, W) to class scores (B, classes); evaluated in eval mode, without
            gradients; its train/eval mode is restored afterwards.
        images: (N, C, H, W) floating tensor, square.
        labels: (N,) integer class indices.
        angles_deg, crop_scales: the grid, as for transform_grid.
        batch_size: the most transformed images per model call (None: all at once).

    Returns:
        A RobustnessReport. The prediction is the argmax of the scores (lowest index on ties).

    Raises:
        ValueError: bad images, labels not (N,) integer, a bad grid, batch_size < 1.
    """
    raise NotImplementedError
