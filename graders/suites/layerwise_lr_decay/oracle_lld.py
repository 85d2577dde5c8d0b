"""Oracles of the layerwise_lr_decay hidden suite, independent of any submission.

Layers are read off every dotted name ``named_parameters(remove_duplicate=False)`` gives (so a
tied parameter shows up under each of its names): ``embed.*`` is layer 0, ``blocks.K.*`` layer
``K + 1``, ``head.*`` layer ``L = N + 1``, anything else layer ``L``. Norms are found by
``isinstance`` against the statement's list of classes, biases by their attribute name. Each
parameter is keyed by the name ``named_parameters()`` gives it (its first name).
"""

from __future__ import annotations

from torch import nn

NORMS = (nn.LayerNorm, nn.RMSNorm, nn.GroupNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def canonical(model: nn.Module) -> dict[int, str]:
    """id(parameter) -> the name ``named_parameters()`` gives it."""
    return {id(p): n for n, p in model.named_parameters()}


def layer_spans(model: nn.Module) -> tuple[dict[str, tuple[int, int]], int]:
    """{name: (lowest layer, highest layer)} and L."""
    top = len(model.blocks) + 1
    canon = canonical(model)
    layers: dict[str, set[int]] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        first, _, rest = name.partition(".")
        seen = layers.setdefault(canon[id(p)], set())
        if first == "embed":
            seen.add(0)
        elif first == "blocks":
            seen.add(int(rest.split(".")[0]) + 1)
        elif first == "head":
            seen.add(top)
    return {n: (min(s), max(s)) if s else (top, top) for n, s in layers.items()}, top


def no_decay(model: nn.Module) -> set[str]:
    """Names of the biases and of every parameter of a norm module."""
    canon = canonical(model)
    out = set()
    for _, module in model.named_modules(remove_duplicate=False):
        for pname, p in module.named_parameters(recurse=False):
            if isinstance(module, NORMS) or pname == "bias":
                out.add(canon[id(p)])
    return out


def expected(model: nn.Module, base_lr: float, decay: float, weight_decay: float) -> dict:
    """{name: (lr, weight_decay)} as the statement defines them."""
    spans, top = layer_spans(model)
    free = no_decay(model)
    return {
        n: (base_lr * decay ** (top - lo), 0.0 if n in free else weight_decay)
        for n, (lo, _) in spans.items()
    }


def trainable(model: nn.Module, epoch: int, every: int) -> tuple[int, dict[str, bool]]:
    """(f, {name: requires_grad}) after ``unfreeze_schedule(model, epoch, every)``."""
    spans, top = layer_spans(model)
    first = max(0, top - epoch // every)
    return first, {n: hi >= first for n, (_, hi) in spans.items()}
