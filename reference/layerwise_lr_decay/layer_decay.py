"""Layer-wise learning-rate decay and gradual unfreezing for fine-tuning a transformer.

Reference solution. Sources: Howard & Ruder 2018, "Universal Language Model Fine-tuning for Text
Classification" (ULMFiT: discriminative fine-tuning, gradual unfreezing from the top); Clark et
al. 2020 (ELECTRA) and Bao et al. 2022 (BEiT), whose layer-wise decay timm implements in
``timm.optim.param_groups_layer_decay`` (layer 0 = embeddings, ``k + 1`` = block ``k``,
``N + 1`` = head, scale ``decay ** (N + 1 - layer)``); the no-decay split of BERT/GPT fine-tuning
(biases and normalisation parameters), decided here by module type, never by name.
"""

from __future__ import annotations

import math
from numbers import Real

from torch import nn

NORM_TYPES = (nn.LayerNorm, nn.RMSNorm, nn.GroupNorm, nn.modules.batchnorm._BatchNorm)


def _parts(model: nn.Module) -> tuple[list[tuple[int, nn.Module]], int]:
    """``[(layer, part), ...]`` (embed, each block, head) and the top layer ``N + 1``."""
    if not isinstance(model, nn.Module):
        raise ValueError("model must be a torch.nn.Module")
    embed = getattr(model, "embed", None)
    blocks = getattr(model, "blocks", None)
    head = getattr(model, "head", None)
    if not all(isinstance(part, nn.Module) for part in (embed, blocks, head)):
        raise ValueError("model needs the submodules embed, blocks and head")
    if not isinstance(blocks, nn.ModuleList | nn.Sequential) or len(blocks) == 0:
        raise ValueError("model.blocks must be a non-empty nn.ModuleList or nn.Sequential")
    top = len(blocks) + 1
    parts = [(0, embed), *((k + 1, b) for k, b in enumerate(blocks)), (top, head)]
    return parts, top


def _spans(model: nn.Module) -> tuple[list[tuple[nn.Parameter, int, int]], int]:
    """Every parameter of ``model`` once, with the lowest and highest layer it is reachable
    from (parameters outside the three parts are in the top layer)."""
    parts, top = _parts(model)
    span: dict[int, tuple[int, int]] = {}
    for layer, part in parts:
        for p in part.parameters():
            lo, hi = span.get(id(p), (layer, layer))
            span[id(p)] = (min(lo, layer), max(hi, layer))
    return [(p, *span.get(id(p), (top, top))) for p in model.parameters()], top


def _no_decay_ids(model: nn.Module) -> set[int]:
    """ids of the biases (parameters registered as ``bias``) and of every parameter of a
    normalisation module (by type)."""
    out = set()
    for module in model.modules():
        is_norm = isinstance(module, NORM_TYPES)
        for name, p in module.named_parameters(recurse=False):
            if is_norm or name == "bias":
                out.add(id(p))
    return out


def _check_real(name: str, value, ok) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if not ok(value):
        raise ValueError(f"{name} out of range: {value!r}")
    return float(value)


def param_groups(model: nn.Module, base_lr: float, decay: float, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups with layer-wise learning-rate decay.

    Layer 0 is ``model.embed``, layer ``k + 1`` is ``model.blocks[k]``, layer ``L = N + 1`` is
    ``model.head`` and every parameter outside those three parts. A parameter of layer ``l``
    gets ``lr = base_lr * decay ** (L - l)``; a tied parameter (reachable from several parts)
    appears once, with its lowest layer. Biases and parameters of normalisation modules get
    ``weight_decay = 0.0``, every other parameter ``weight_decay``. Frozen parameters are
    included, so that gradual unfreezing trains them later.

    Returns one group per (layer, decayed?) pair that has parameters, ordered by layer:
    ``{"params": [...], "lr": float, "weight_decay": float}``.

    Raises:
        ValueError: a part is missing or ``blocks`` is empty; ``base_lr <= 0``, ``decay``
            outside ``(0, 1]``, ``weight_decay < 0``, or any of them not finite.
    """
    base_lr = _check_real("base_lr", base_lr, lambda v: v > 0)
    decay = _check_real("decay", decay, lambda v: 0 < v <= 1)
    weight_decay = _check_real("weight_decay", weight_decay, lambda v: v >= 0)
    spans, top = _spans(model)
    no_decay = _no_decay_ids(model)
    groups: dict[tuple[int, bool], dict] = {}
    for p, lo, _hi in spans:
        decayed = id(p) not in no_decay
        key = (lo, decayed)
        if key not in groups:
            groups[key] = {
                "params": [],
                "lr": base_lr * decay ** (top - lo),
                "weight_decay": weight_decay if decayed else 0.0,
            }
        groups[key]["params"].append(p)
    return [groups[k] for k in sorted(groups)]


def unfreeze_schedule(model: nn.Module, epoch: int, every: int = 1) -> int:
    """Gradual unfreezing from the top (ULMFiT): at ``epoch`` the layers ``>= f`` are trainable,
    with ``f = max(0, L - epoch // every)``; sets ``requires_grad`` of every parameter of
    ``model`` accordingly (a tied parameter is trainable once any part holding it is) and
    returns ``f``.

    Raises:
        ValueError: ``epoch < 0``, ``every < 1``, or the model lacks a part (as
            :func:`param_groups`).
    """
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    spans, top = _spans(model)
    first = max(0, top - epoch // every)
    for p, _lo, hi in spans:
        p.requires_grad_(hi >= first)
    return first
