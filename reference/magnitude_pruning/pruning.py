"""Magnitude pruning for an edge model (reference solution).

- Global unstructured magnitude pruning (Han et al. 2015, "Learning both Weights and Connections
  for Efficient Neural Networks"; the global variant of Frankle & Carbin 2019 and of
  ``torch.nn.utils.prune.global_unstructured`` with ``L1Unstructured``): one threshold over the
  weights of every Linear/Conv layer together, k = round(sparsity * N) as in
  ``torch.nn.utils.prune._compute_nparams_toprune``. A stable sort of the concatenated
  magnitudes gives the deterministic tie-break (layer order, then row-major index).
- 2:4 semi-structured sparsity (Mishra et al. 2021, "Accelerating Sparse Deep Neural Networks";
  NVIDIA ASP): in every group of 4 consecutive weights along the input dimension keep the 2 of
  largest magnitude; for a convolution the groups run across input channels at a fixed kernel
  position, as ASP does after permuting the weight to (out, kh, kw, in).
- Masks that survive training: ``torch.nn.utils.parametrize`` makes ``layer.weight`` a function
  ``original * mask`` of the trained tensor, so no optimizer state (momentum, Adam moments,
  weight decay) can make a pruned entry non-zero, whenever the weight is read.
- Size: a bitmask (ceil(numel / 8) bytes) plus the kept values per masked weight, every other
  tensor dense.
"""

from __future__ import annotations

import math
from numbers import Real

import torch
from torch import nn
from torch.nn.utils import parametrize

PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def prunable_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """``{parameter name: weight}`` of every Linear/Conv layer, in ``named_parameters`` order."""
    owners = {id(m.weight) for m in model.modules() if isinstance(m, PRUNABLE)}
    return {name: p for name, p in model.named_parameters() if id(p) in owners}


def global_magnitude_masks(model: nn.Module, sparsity: float) -> dict[str, torch.Tensor]:
    """Masks pruning the ``round(sparsity * N)`` smallest-magnitude weights of all Linear and
    Conv layers together (N: their total number of weights); True = kept."""
    if isinstance(sparsity, bool) or not isinstance(sparsity, Real):
        raise ValueError(f"sparsity must be a number in [0, 1], got {sparsity!r}")
    sparsity = float(sparsity)
    if not 0.0 <= sparsity <= 1.0:  # NaN fails too
        raise ValueError(f"sparsity must lie in [0, 1], got {sparsity!r}")
    weights = prunable_weights(model)
    if not weights:
        raise ValueError("the model has no Linear or Conv layer to prune")
    with torch.no_grad():
        flat = [w.detach().abs().reshape(-1).to("cpu", torch.float64) for w in weights.values()]
        scores = torch.cat(flat)
        k = round(sparsity * scores.numel())
        keep = torch.ones(scores.numel(), dtype=torch.bool)
        if k:
            order = torch.sort(scores, stable=True).indices
            keep[order[:k]] = False
    masks, start = {}, 0
    for name, w in weights.items():
        n = w.numel()
        masks[name] = keep[start : start + n].reshape(w.shape).to(w.device)
        start += n
    return masks


def two_four_mask(weight: torch.Tensor) -> torch.Tensor:
    """2:4 mask: in every group of 4 consecutive entries along dim 1, keep the 2 of largest
    magnitude (on ties the lower index)."""
    if not torch.is_tensor(weight) or weight.dim() < 2:
        raise ValueError("weight must be a tensor with at least 2 dimensions")
    if weight.shape[1] % 4:
        raise ValueError(f"dimension 1 ({weight.shape[1]}) is not a multiple of 4")
    with torch.no_grad():
        mag = weight.detach().abs().movedim(1, -1)
        groups = mag.reshape(-1, 4)
        order = torch.sort(groups, dim=1, descending=True, stable=True).indices
        keep = torch.zeros(groups.shape, dtype=torch.bool, device=weight.device)
        keep.scatter_(1, order[:, :2], True)
        return keep.reshape(mag.shape).movedim(-1, 1).contiguous()


class _Mask(nn.Module):
    """Parametrization ``weight = original * mask``."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask.to(x.dtype)


def _check_masks(model: nn.Module, masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    weights = prunable_weights(model)
    for name, mask in masks.items():
        if name not in weights:
            raise ValueError(f"{name!r} is not the weight of a Linear or Conv layer of the model")
        if not torch.is_tensor(mask) or mask.dtype != torch.bool:
            raise ValueError(f"the mask of {name!r} must be a bool tensor")
        if mask.shape != weights[name].shape:
            raise ValueError(
                f"the mask of {name!r} has shape {tuple(mask.shape)}, the weight "
                f"{tuple(weights[name].shape)}"
            )
    return weights


def apply_masks(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Prune ``model`` in place, for good: each masked layer's ``weight`` becomes
    ``original * mask`` through a parametrization."""
    weights = _check_masks(model, masks)
    for name, mask in masks.items():
        owner, _, attr = name.rpartition(".")
        layer = model.get_submodule(owner)
        with torch.no_grad():
            weights[name].mul_(mask.to(weights[name].device))
        parametrize.register_parametrization(layer, attr, _Mask(mask.to(weights[name].device)))


def compressed_size_bytes(model: nn.Module, masks: dict[str, torch.Tensor]) -> int:
    """Bytes of ``model`` stored as a bitmask plus kept values for each masked weight and
    densely for every other parameter and buffer."""
    _check_masks(model, masks)
    total = 0
    for name, p in model.named_parameters():
        if name in masks:
            kept = int(masks[name].sum())
            total += math.ceil(p.numel() / 8) + kept * p.element_size()
        else:
            total += p.numel() * p.element_size()
    for _, b in model.named_buffers():
        total += b.numel() * b.element_size()
    return total
