"""Layer-wise learning-rate decay and gradual unfreezing for fine-tuning a transformer.

Solution B: walks the model's dotted parameter names (every registration of every parameter)
to classify biases and norm parameters, keeps the lowest and highest layer of each parameter in
two id-keyed maps, and merges parameters into groups keyed by their (lr, weight_decay) values.
"""

from __future__ import annotations

import torch
from torch import nn

_NORMS = (
    nn.LayerNorm,
    nn.GroupNorm,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
) + ((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ())

_INF = float("inf")


def _number(name, value) -> float:
    """``value`` as a finite float, else ValueError."""
    if isinstance(value, (str, bytes)):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    if isinstance(value, torch.Tensor) and value.numel() != 1:
        raise ValueError(f"{name}: expected a number, got a tensor of shape {tuple(value.shape)}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None
    if not (-_INF < x < _INF):  # NaN fails both comparisons
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return x


def _integer(name, value) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if -_INF < value < _INF and value == int(value):
            return int(value)
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    index = getattr(type(value), "__index__", None)
    if index is None:
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    return index(value)


def _parts(model):
    """(embed, [block, ...], head) or ValueError."""
    if not isinstance(model, nn.Module):
        raise ValueError("model is not a torch.nn.Module")
    embed = getattr(model, "embed", None)
    blocks = getattr(model, "blocks", None)
    head = getattr(model, "head", None)
    missing = [n for n, m in (("embed", embed), ("blocks", blocks), ("head", head))
               if not isinstance(m, nn.Module)]
    if missing:
        raise ValueError(f"model lacks the part(s) {', '.join(missing)}")
    if not isinstance(blocks, (nn.ModuleList, nn.Sequential)):
        raise ValueError("model.blocks is neither a ModuleList nor a Sequential")
    block_list = list(iter(blocks))
    if len(block_list) == 0:
        raise ValueError("model.blocks is empty")
    return embed, block_list, head


def _layer_range(model):
    """(L, lowest, highest): id(parameter) -> lowest / highest layer it is reachable from."""
    embed, block_list, head = _parts(model)
    L = len(block_list) + 1
    lowest: dict[int, int] = {}
    highest: dict[int, int] = {}
    # Walk from the head down so that "lowest" is simply the last layer seen.
    numbered = [(L, head)] + [(k + 1, b) for k, b in reversed(list(enumerate(block_list)))]
    numbered.append((0, embed))
    for layer, module in numbered:
        for p in module.parameters():
            lowest[id(p)] = layer
            highest.setdefault(id(p), layer)
    return L, lowest, highest


def _is_no_decay(model) -> set[int]:
    """ids of parameters registered as ``bias`` somewhere or living inside a norm module."""
    out: set[int] = set()
    module_of = dict(model.named_modules(remove_duplicate=False))
    for name, p in model.named_parameters(remove_duplicate=False):
        path = name.split(".")
        if path[-1] == "bias":
            out.add(id(p))
            continue
        # every module on the path from the root to the owning module
        for depth in range(len(path)):
            owner = module_of.get(".".join(path[:depth]))
            if isinstance(owner, _NORMS):
                out.add(id(p))
                break
    return out


def param_groups(model: nn.Module, base_lr: float, decay: float, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups with layer-wise learning-rate decay (see README.md)."""
    lr0 = _number("base_lr", base_lr)
    d = _number("decay", decay)
    wd = _number("weight_decay", weight_decay)
    if not lr0 > 0:
        raise ValueError(f"base_lr must be positive, got {base_lr!r}")
    if not 0 < d <= 1:
        raise ValueError(f"decay must be in (0, 1], got {decay!r}")
    if not wd >= 0:
        raise ValueError(f"weight_decay must be non-negative, got {weight_decay!r}")
    L, lowest, _ = _layer_range(model)
    no_decay = _is_no_decay(model)

    by_setting: dict[tuple[float, float], dict] = {}
    for p in model.parameters():
        layer = lowest.get(id(p), L)
        lr = lr0 * d ** (L - layer)
        p_wd = 0.0 if id(p) in no_decay else wd
        group = by_setting.get((lr, p_wd))
        if group is None:
            group = by_setting[(lr, p_wd)] = {"params": [], "lr": lr, "weight_decay": p_wd}
        group["params"].append(p)
    return list(by_setting.values())


def unfreeze_schedule(model: nn.Module, epoch: int, every: int = 1) -> int:
    """Gradual unfreezing from the top, one layer per ``every`` epochs (see README.md)."""
    e = _integer("epoch", epoch)
    n = _integer("every", every)
    if e < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch!r}")
    if n < 1:
        raise ValueError(f"every must be >= 1, got {every!r}")
    L, _, highest = _layer_range(model)
    f = L - e // n
    if f < 0:
        f = 0
    with torch.no_grad():
        for p in model.parameters():
            on = highest.get(id(p), L) >= f
            if on and not (p.dtype.is_floating_point or p.dtype.is_complex):
                continue  # integer parameters cannot require grad
            p.requires_grad = on
    return f
