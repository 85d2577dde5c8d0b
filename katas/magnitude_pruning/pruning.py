"""Magnitude pruning for an edge model: global masks, 2:4 masks, masks that survive training,
and the pruned model's size.

Fill in the four functions below. Read README.md first: it states which weights are prunable,
how ties are broken, the errors to raise and the storage format of the size.
"""

from __future__ import annotations

import torch
from torch import nn


def global_magnitude_masks(model: nn.Module, sparsity: float) -> dict[str, torch.Tensor]:
    """Global magnitude pruning masks (Han et al. 2015, global variant).

    Args:
        model: any ``nn.Module``; its prunable weights are the ``weight`` parameters of its
            Linear and Conv1d/2d/3d modules.
        sparsity: fraction of all prunable weights to prune, 0 <= sparsity <= 1.

    Returns:
        ``{parameter name: bool mask}``, one entry per prunable weight (names as
        ``model.named_parameters()`` gives them), each of its weight's shape and device,
        True = kept. Exactly ``round(sparsity * N)`` entries are False over all masks together
        (N: total number of prunable weight elements): the smallest in absolute value, ties
        broken by parameter order, then row-major index.

    Raises:
        ValueError: sparsity is not a real number in [0, 1], or the model has no prunable
            weight.
    """
    raise NotImplementedError


def two_four_mask(weight: torch.Tensor) -> torch.Tensor:
    """2:4 semi-structured mask along the input dimension (dimension 1).

    Args:
        weight: a Linear weight ``(out, in)`` or a Conv weight ``(out, in, *kernel)``.

    Returns:
        A bool tensor of ``weight``'s shape and device: in every group of 4 consecutive
        entries along dimension 1 (at fixed other indices), True for the 2 of largest absolute
        value (on a tie, the lower index).

    Raises:
        ValueError: weight has fewer than 2 dimensions, or ``weight.shape[1] % 4 != 0``.
    """
    raise NotImplementedError


def apply_masks(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Prune ``model`` in place, for the rest of its life.

    After the call each masked layer's ``weight`` is its weight with the pruned entries at
    exactly 0.0, and stays so after any ``optimizer.step()`` of an optimizer built over
    ``model.parameters()`` after the call (momentum, Adam moments and weight decay included),
    also when read before the next forward pass.

    Args:
        model: the model to prune.
        masks: ``{parameter name: bool mask}`` for any subset of the prunable weights.

    Raises:
        ValueError: a key is not a prunable weight of ``model``, or a mask is not a bool
            tensor of its weight's shape.
    """
    raise NotImplementedError


def compressed_size_bytes(model: nn.Module, masks: dict[str, torch.Tensor]) -> int:
    """Size in bytes of ``model`` (before ``apply_masks``) in the bitmask + values format.

    Each masked weight: ``ceil(numel / 8)`` bytes of bitmask plus ``mask.sum()`` kept values
    at the weight's element size. Every other parameter and every buffer: ``numel *
    element_size`` bytes.

    Raises:
        ValueError: as :func:`apply_masks`.
    """
    raise NotImplementedError
