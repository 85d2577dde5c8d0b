"""Magnitude pruning for an edge model: global masks, 2:4 masks, masks that survive training,
and the pruned model's size.

Solution a: sort-based (one stable sort over all prunable magnitudes), 2:4 masks by a stable
descending sort per group, persistence through ``torch.nn.utils.parametrize``.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn
from torch.nn.utils import parametrize

_PRUNABLE_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _prunable_weights(model: nn.Module) -> list[tuple[str, nn.Module, torch.Tensor]]:
    """(name, module, weight tensor) of each prunable weight, in ``named_parameters()`` order.

    A name counts when ``named_parameters()`` lists it as ``<path>.weight`` and the module at
    ``<path>`` is a Linear/Conv. A weight already parametrized by :func:`apply_masks` (listed
    as ``<path>.parametrizations.weight.original``) is reported under ``<path>.weight``.
    """
    out = []
    for name, param in model.named_parameters():
        path, _, attr = name.rpartition(".")
        if attr == "weight":
            module = model.get_submodule(path) if path else model
            if isinstance(module, _PRUNABLE_TYPES) and not parametrize.is_parametrized(
                module, "weight"
            ):
                out.append((name, module, param))
        elif attr == "original" and path.endswith("parametrizations.weight"):
            mpath = path[: -len("parametrizations.weight")].rstrip(".")
            module = model.get_submodule(mpath) if mpath else model
            if isinstance(module, _PRUNABLE_TYPES):
                out.append((f"{mpath}.weight" if mpath else "weight", module, param))
    return out


def _check_sparsity(sparsity) -> float:
    if isinstance(sparsity, torch.Tensor):
        if sparsity.numel() != 1 or sparsity.dtype == torch.bool or sparsity.is_complex():
            raise ValueError(f"sparsity must be a real number, got {sparsity!r}")
        sparsity = sparsity.item()
    if isinstance(sparsity, bool) or not isinstance(sparsity, numbers.Real):
        raise ValueError(f"sparsity must be a real number, got {sparsity!r}")
    s = float(sparsity)
    if not (0.0 <= s <= 1.0):  # also False for NaN
        raise ValueError(f"sparsity must lie in [0, 1], got {sparsity!r}")
    return s


def global_magnitude_masks(model: nn.Module, sparsity: float) -> dict[str, torch.Tensor]:
    """Global magnitude pruning masks (Han et al. 2015, global variant).

    Args:
        model: any ``nn.Module``; its prunable weights are the ``weight`` parameters of its
            Linear and Conv1d/2d/3d modules.
        sparsity: fraction of all prunable weights to prune, 0 <= sparsity <= 1.

    Returns:
        ``{parameter name: bool mask}``, one entry per prunable weight, True = kept. Exactly
        ``round(sparsity * N)`` entries are False over all masks together: the smallest in
        absolute value, ties broken by parameter order, then row-major index.

    Raises:
        ValueError: sparsity is not a real number in [0, 1], or the model has no prunable
            weight.
    """
    s = _check_sparsity(sparsity)
    weights = _prunable_weights(model)
    if not weights:
        raise ValueError("model has no prunable weight (Linear/Conv1d/2d/3d)")
    with torch.no_grad():
        # float64 holds every float16/bfloat16/float32 magnitude exactly, so comparisons across
        # layers of different dtypes are exact. Concatenation order = (parameter, flat index).
        flat = torch.cat(
            [w.detach().reshape(-1).abs().to(device="cpu", dtype=torch.float64) for _, _, w in weights]
        )
        n = flat.numel()
        k = round(s * n)
        keep = torch.ones(n, dtype=torch.bool)
        if k > 0:
            # A stable sort keeps equal magnitudes in concatenation order: exactly R3's order.
            order = torch.sort(flat, stable=True).indices
            keep[order[:k]] = False
        masks: dict[str, torch.Tensor] = {}
        start = 0
        for name, _, w in weights:
            m = w.numel()
            masks[name] = keep[start : start + m].reshape(w.shape).to(w.device)
            start += m
    return masks


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
    if not isinstance(weight, torch.Tensor):
        raise ValueError("weight must be a tensor")
    if weight.dim() < 2:
        raise ValueError(f"weight needs at least 2 dimensions, got shape {tuple(weight.shape)}")
    if weight.shape[1] % 4 != 0:
        raise ValueError(f"dimension 1 of weight ({weight.shape[1]}) is not a multiple of 4")
    with torch.no_grad():
        a = weight.detach().abs().movedim(1, -1)  # (out, *kernel, in)
        lead = a.shape[:-1]
        groups = a.reshape(*lead, a.shape[-1] // 4, 4)
        # Stable descending sort: among equal magnitudes the lower index comes first.
        top2 = torch.sort(groups, dim=-1, descending=True, stable=True).indices[..., :2]
        keep = torch.zeros(groups.shape, dtype=torch.bool, device=weight.device)
        keep.scatter_(-1, top2, True)
        return keep.reshape(a.shape).movedim(-1, 1).contiguous()


class _Mask(nn.Module):
    """Parametrization: the layer's ``weight`` reads ``original`` with pruned entries at +0.0."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, original: torch.Tensor) -> torch.Tensor:
        # where (not multiply): pruned entries are +0.0 even for negative/inf originals, and the
        # gradient reaching ``original`` is exactly 0 at pruned positions.
        return torch.where(self.mask, original, original.new_zeros(()))


def _validated(model: nn.Module, masks: dict[str, torch.Tensor]):
    if not isinstance(masks, dict):
        raise ValueError("masks must be a dict {parameter name: bool mask}")
    prunable = {name: (module, w) for name, module, w in _prunable_weights(model)}
    out = []
    for name, mask in masks.items():
        if name not in prunable:
            raise ValueError(f"{name!r} is not the name of a prunable weight of the model")
        module, w = prunable[name]
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            raise ValueError(f"mask for {name!r} must be a bool tensor")
        if tuple(mask.shape) != tuple(w.shape):
            raise ValueError(
                f"mask for {name!r} has shape {tuple(mask.shape)}, weight has {tuple(w.shape)}"
            )
        out.append((name, module, w, mask))
    return out


def apply_masks(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Prune ``model`` in place, for the rest of its life.

    After the call each masked layer's ``weight`` is its weight with the pruned entries at
    exactly 0.0, and stays so after any ``optimizer.step()`` of an optimizer built over
    ``model.parameters()`` after the call, also when read before the next forward pass.

    Raises:
        ValueError: a key is not a prunable weight of ``model``, or a mask is not a bool
            tensor of its weight's shape.
    """
    items = _validated(model, masks)  # validate everything before touching the model
    for _, module, w, mask in items:
        mask = mask.detach().to(device=w.device).clone()
        if parametrize.is_parametrized(module, "weight"):
            plist = module.parametrizations.weight
            existing = [p for p in plist if isinstance(p, _Mask)]
            if existing:
                mask = mask & existing[0].mask
                existing[0].mask = mask
            else:
                parametrize.register_parametrization(module, "weight", _Mask(mask))
            original = plist.original
        else:
            original = w
            parametrize.register_parametrization(module, "weight", _Mask(mask))
        with torch.no_grad():
            # Also zero the stored values, so the parameter (and a state_dict) is sparse and
            # stays so: its gradient is 0 there, and 0 is a fixed point of every optimizer.
            original.masked_fill_(~mask, 0.0)


def compressed_size_bytes(model: nn.Module, masks: dict[str, torch.Tensor]) -> int:
    """Size in bytes of ``model`` (before ``apply_masks``) in the bitmask + values format.

    Raises:
        ValueError: as :func:`apply_masks`.
    """
    _validated(model, masks)
    total = 0
    for name, p in model.named_parameters():
        if name in masks:
            total += math.ceil(p.numel() / 8) + int(masks[name].sum().item()) * p.element_size()
        else:
            total += p.numel() * p.element_size()
    for _, b in model.named_buffers():
        total += b.numel() * b.element_size()
    return int(total)
