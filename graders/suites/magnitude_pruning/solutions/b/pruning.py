"""Magnitude pruning for an edge model: global masks, 2:4 masks, masks that survive training,
and the pruned model's size.

Solution b: selection-based (k-th smallest magnitude as threshold, ties resolved by a running
count in (parameter, row-major) order), 2:4 masks by pairwise "who beats whom" counts, and
persistence by keeping the weight a plain zeroed Parameter whose gradient is masked by a tensor
hook, plus a process-wide optimizer post-step hook that re-zeroes the pruned entries.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook

_PRUNABLE_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_STATE_ATTR = "_magnitude_pruning_state"  # attribute set on a pruned weight Parameter
_post_hook_handle = None


def _prunable(model: nn.Module) -> dict[str, torch.Tensor]:
    """{name: weight Parameter}, in named_parameters() order, for Linear/Conv weights."""
    modules = dict(model.named_modules(remove_duplicate=False))
    found: dict[str, torch.Tensor] = {}
    for name, param in model.named_parameters():
        if name == "weight":
            owner = model
        elif name.endswith(".weight"):
            owner = modules.get(name[: -len(".weight")])
        else:
            continue
        if isinstance(owner, _PRUNABLE_TYPES):
            found[name] = param
    return found


def _sparsity_value(sparsity) -> float:
    value = sparsity
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.dtype == torch.bool or value.is_complex():
            raise ValueError(f"sparsity must be a real number, got {sparsity!r}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"sparsity must be a real number, got {sparsity!r}")
    value = float(value)
    if math.isnan(value) or value < 0.0 or value > 1.0:
        raise ValueError(f"sparsity must satisfy 0 <= sparsity <= 1, got {sparsity!r}")
    return value


def global_magnitude_masks(model: nn.Module, sparsity: float) -> dict[str, torch.Tensor]:
    """Global magnitude pruning masks: see README R1-R5.

    Raises:
        ValueError: sparsity is not a real number in [0, 1], or the model has no prunable
            weight.
    """
    s = _sparsity_value(sparsity)
    weights = _prunable(model)
    if not weights:
        raise ValueError("the model has no prunable weight")
    with torch.no_grad():
        mags = torch.cat(
            [w.detach().abs().flatten().to("cpu", torch.float64) for w in weights.values()]
        )
        total = mags.numel()
        k = round(s * total)
        if k == 0:
            pruned = torch.zeros(total, dtype=torch.bool)
        elif k == total:
            pruned = torch.ones(total, dtype=torch.bool)
        else:
            threshold = torch.kthvalue(mags, k).values  # k-th smallest magnitude
            below = mags < threshold
            at = mags == threshold
            still = k - int(below.sum())  # how many of the ties at the threshold to prune
            # the first `still` ties in (parameter, row-major) order
            pruned = below | (at & (torch.cumsum(at.to(torch.int64), 0) <= still))
        masks = {}
        offset = 0
        for name, w in weights.items():
            n = w.numel()
            masks[name] = (~pruned[offset : offset + n]).view(w.shape).to(w.device)
            offset += n
    return masks


def two_four_mask(weight: torch.Tensor) -> torch.Tensor:
    """2:4 semi-structured mask along dimension 1: see README R6-R7.

    Raises:
        ValueError: weight has fewer than 2 dimensions, or ``weight.shape[1] % 4 != 0``.
    """
    if not isinstance(weight, torch.Tensor) or weight.ndim < 2:
        raise ValueError("two_four_mask needs a tensor with at least 2 dimensions")
    cin = weight.shape[1]
    if cin % 4:
        raise ValueError(f"dimension 1 ({cin}) is not a multiple of 4")
    with torch.no_grad():
        a = weight.detach().abs()
        shape = a.shape
        # (out, in/4, 4, rest): group axis 2 holds the 4 consecutive input indices.
        rest = math.prod(shape[2:])
        g = a.reshape(shape[0], cin // 4, 4, rest)
        gi = g.unsqueeze(3)  # element i:  (out, G, 4, 1, rest)
        gj = g.unsqueeze(2)  # element j:  (out, G, 1, 4, rest)
        idx = torch.arange(4, device=weight.device)
        earlier = (idx.view(1, 4) < idx.view(4, 1)).view(1, 1, 4, 4, 1)  # j < i
        beats = (gj > gi) | ((gj == gi) & earlier)  # j ranks before i
        keep = beats.sum(dim=3) < 2  # i is among the 2 best of its group
        return keep.reshape(shape)


def _checked(model: nn.Module, masks: dict[str, torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    if not isinstance(masks, dict):
        raise ValueError("masks must be a dict")
    weights = _prunable(model)
    pairs = []
    for key, mask in masks.items():
        w = weights.get(key) if isinstance(key, str) else None
        if w is None:
            raise ValueError(f"{key!r} is not a prunable weight of the model")
        if not (isinstance(mask, torch.Tensor) and mask.dtype is torch.bool):
            raise ValueError(f"the mask of {key!r} is not a bool tensor")
        if mask.shape != w.shape:
            raise ValueError(f"the mask of {key!r} does not have the weight's shape")
        pairs.append((w, mask))
    return pairs


def _rezero_after_step(optimizer, args, kwargs) -> None:
    """Global optimizer post-step hook: pruned entries of pruned weights back to +0.0."""
    with torch.no_grad():
        for group in optimizer.param_groups:
            for p in group["params"]:
                state = getattr(p, _STATE_ATTR, None)
                if state is not None:
                    p.masked_fill_(~state["mask"], 0.0)


def _ensure_post_hook() -> None:
    global _post_hook_handle
    if _post_hook_handle is None:
        _post_hook_handle = register_optimizer_step_post_hook(
            _rezero_after_step
        )


def apply_masks(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Prune ``model`` in place, for the rest of its life: see README R8-R10.

    Raises:
        ValueError: a key is not a prunable weight of ``model``, or a mask is not a bool
            tensor of its weight's shape.
    """
    pairs = _checked(model, masks)
    if pairs:
        _ensure_post_hook()
    for w, mask in pairs:
        mask = mask.detach().to(w.device, copy=True)
        state = getattr(w, _STATE_ATTR, None)
        if state is None:
            state = {"mask": mask}
            setattr(w, _STATE_ATTR, state)

            def _mask_grad(grad: torch.Tensor, state=state) -> torch.Tensor:
                return grad.masked_fill(~state["mask"], 0)

            w.register_hook(_mask_grad)
        else:  # pruned again: both masks apply
            state["mask"] = state["mask"] & mask
        with torch.no_grad():
            w.masked_fill_(~state["mask"], 0.0)


def compressed_size_bytes(model: nn.Module, masks: dict[str, torch.Tensor]) -> int:
    """Bytes of ``model`` in the bitmask + kept values format: see README R11.

    Raises:
        ValueError: as :func:`apply_masks`.
    """
    _checked(model, masks)
    size = 0
    for name, p in model.named_parameters():
        mask = masks.get(name)
        if mask is None:
            size += p.numel() * p.element_size()
        else:
            size += (p.numel() + 7) // 8 + int(mask.count_nonzero()) * p.element_size()
    size += sum(b.numel() * b.element_size() for _, b in model.named_buffers())
    return int(size)
