"""Layer-wise learning-rate decay and gradual unfreezing for fine-tuning a transformer.

Solution A: walks the modules of each layer, builds an id-keyed map from every parameter to
the set of layers it is reachable from, and groups by (lowest layer, decayed or not).
"""

from __future__ import annotations

import torch
from torch import nn

_NORM_TYPES = tuple(
    t
    for t in (
        getattr(nn, "LayerNorm", None),
        getattr(nn, "RMSNorm", None),
        getattr(nn, "GroupNorm", None),
        getattr(nn, "BatchNorm1d", None),
        getattr(nn, "BatchNorm2d", None),
        getattr(nn, "BatchNorm3d", None),
    )
    if t is not None
)


def _layer_modules(model) -> list[nn.Module]:
    """[embed, blocks[0], ..., blocks[N-1], head]; ValueError if a part is missing/empty."""
    if not isinstance(model, nn.Module):
        raise ValueError("model must be a torch.nn.Module")
    parts = {}
    for name in ("embed", "blocks", "head"):
        part = getattr(model, name, None)
        if not isinstance(part, nn.Module):
            raise ValueError(f"model has no submodule {name!r}")
        parts[name] = part
    blocks = parts["blocks"]
    if not isinstance(blocks, (nn.ModuleList, nn.Sequential)):
        raise ValueError("model.blocks must be a torch.nn.ModuleList or torch.nn.Sequential")
    block_list = [blocks[k] for k in range(len(blocks))]
    if not block_list:
        raise ValueError("model.blocks is empty")
    return [parts["embed"], *block_list, parts["head"]]


def _layers_of(model, layers: list[nn.Module]) -> tuple[list[nn.Parameter], dict[int, set[int]]]:
    """The model's distinct parameters and, for each (by id), the set of its layers."""
    top = len(layers) - 1  # L
    found: dict[int, set[int]] = {}
    for index, module in enumerate(layers):
        for p in module.parameters():
            found.setdefault(id(p), set()).add(index)
    params = list(model.parameters())
    result = {}
    for p in params:
        result[id(p)] = found.get(id(p)) or {top}
    return params, result


def _no_decay_ids(model) -> set[int]:
    """ids of biases (registered as ``bias`` anywhere) and of every norm module's parameters."""
    ids: set[int] = set()
    for module in model.modules():
        if isinstance(module, _NORM_TYPES):
            ids.update(id(p) for p in module.parameters())
        p = module._parameters.get("bias")
        if p is not None:
            ids.add(id(p))
    return ids


def _check_real(name: str, value, positive: bool = False) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name} must be a number")
        value = value.item()
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc
    if isinstance(value, str) or x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return x


def param_groups(model: nn.Module, base_lr: float, decay: float, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups with layer-wise learning-rate decay (see README.md)."""
    base_lr = _check_real("base_lr", base_lr)
    decay = _check_real("decay", decay)
    weight_decay = _check_real("weight_decay", weight_decay)
    if base_lr <= 0:
        raise ValueError(f"base_lr must be > 0, got {base_lr}")
    if decay <= 0 or decay > 1:
        raise ValueError(f"decay must be in (0, 1], got {decay}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    layers = _layer_modules(model)
    top = len(layers) - 1
    params, layer_sets = _layers_of(model, layers)
    no_decay = _no_decay_ids(model)

    buckets: dict[tuple[int, bool], list[nn.Parameter]] = {}
    for p in params:
        layer = min(layer_sets[id(p)])
        key = (layer, id(p) not in no_decay)
        buckets.setdefault(key, []).append(p)

    groups = []
    for layer, decayed in sorted(buckets, key=lambda k: (-k[0], not k[1])):
        groups.append(
            {
                "params": buckets[(layer, decayed)],
                "lr": float(base_lr * decay ** (top - layer)),
                "weight_decay": float(weight_decay) if decayed else 0.0,
                "layer": layer,
            }
        )
    return groups


def _check_int(name: str, value) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, float):
        if value != value or not value.is_integer():
            raise ValueError(f"{name} must be an integer, got {value!r}")
        return int(value)
    try:
        return value.__index__()
    except (AttributeError, TypeError) as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def unfreeze_schedule(model: nn.Module, epoch: int, every: int = 1) -> int:
    """Gradual unfreezing from the top, one layer per ``every`` epochs (see README.md)."""
    epoch = _check_int("epoch", epoch)
    every = _check_int("every", every)
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    layers = _layer_modules(model)
    top = len(layers) - 1
    f = max(0, top - epoch // every)
    params, layer_sets = _layers_of(model, layers)
    for p in params:
        train = max(layer_sets[id(p)]) >= f
        if train and not (p.is_floating_point() or p.is_complex()):
            continue  # an integer parameter cannot require grad
        p.requires_grad_(train)
    return int(f)
