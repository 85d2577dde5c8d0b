"""Layer-wise learning-rate decay and gradual unfreezing for fine-tuning a transformer.

Fill in the two functions below. Read README.md first: it defines the model's parts and layers,
what counts as a norm and as a bias, the groups' form, and the errors to raise.

Sources: Howard & Ruder 2018 (ULMFiT: discriminative fine-tuning, gradual unfreezing); Clark et
al. 2020 (ELECTRA) and Bao et al. 2022 (BEiT): layer-wise learning-rate decay.
"""

from __future__ import annotations

from torch import nn


def param_groups(model: nn.Module, base_lr: float, decay: float, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups with layer-wise learning-rate decay.

    Args:
        model: a module with parts ``model.embed`` (layer 0), ``model.blocks`` (an
            ``nn.ModuleList`` or ``nn.Sequential`` of ``N >= 1`` blocks; block ``k`` is layer
            ``k + 1``) and ``model.head`` (layer ``L = N + 1``); parameters outside the parts
            are in layer ``L``.
        base_lr: learning rate of layer ``L``, > 0.
        decay: per-layer factor, in ``(0, 1]``.
        weight_decay: weight decay of the decayed parameters, >= 0.

    Returns:
        A list of ``{"params": [nn.Parameter, ...], "lr": number, "weight_decay": number}``
        holding every parameter of the model (frozen ones included) exactly once: layer ``l``
        gets ``lr = base_lr * decay ** (L - l)`` (a tied parameter: its lowest layer); biases
        and parameters of norm modules (by type) get ``weight_decay = 0``, every other
        parameter ``weight_decay``.

    Raises:
        ValueError: ``base_lr <= 0``, ``decay`` outside ``(0, 1]``, ``weight_decay < 0``, any
            of them NaN or infinite; the model lacks ``embed``, ``blocks`` or ``head``, or
            ``blocks`` is empty.
    """
    raise NotImplementedError


def unfreeze_schedule(model: nn.Module, epoch: int, every: int = 1) -> int:
    """Gradual unfreezing from the top, one layer per ``every`` epochs.

    Sets ``requires_grad`` of every parameter of ``model``: ``True`` for the parameters of the
    layers ``>= f`` (a tied parameter: as soon as any of its layers is), ``False`` for the
    others, with ``f = max(0, L - epoch // every)``.

    Returns:
        ``f``, the lowest trainable layer.

    Raises:
        ValueError: ``epoch < 0``, ``every < 1``, or the model lacks a part.
    """
    raise NotImplementedError
