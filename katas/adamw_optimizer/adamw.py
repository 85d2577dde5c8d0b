"""A drop-in AdamW for the tuning platform, and its warm-up + cosine schedule.

Fill in the class and the function below. Read README.md first: it states the exact semantics
(numbered rules R1..R13), the errors to raise and the performance target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch


class AdamW(torch.optim.Optimizer):
    """AdamW (Loshchilov & Hutter, ICLR 2019) as ``torch.optim.AdamW`` computes it.

    Args:
        params: an iterable of tensors, or of dicts (parameter groups) whose keys override the
            options below for their parameters.
        lr: learning rate, >= 0.
        betas: decay rates of the first and second moment estimates, each in [0, 1).
        eps: term added to the denominator, >= 0.
        weight_decay: weight decay coefficient, >= 0.
        amsgrad: use the AMSGrad variant (Reddi et al., ICLR 2018).

    Raises:
        ValueError: an option out of range (R2).
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        raise NotImplementedError

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One AdamW update of every parameter that has a gradient (R3..R7).

        Args:
            closure: re-evaluates the model and returns the loss; called once, with gradients
                enabled, before the update.

        Returns:
            What ``closure`` returned, or None without a closure.
        """
        raise NotImplementedError


def warmup_cosine(step: int, warmup: int, total: int, min_ratio: float = 0.0) -> float:
    """The learning-rate multiplier at ``step`` (for ``LambdaLR``): linear warm-up from 0 over
    ``warmup`` steps, then cosine decay to ``min_ratio`` at ``total`` (R10).

    Args:
        step: the scheduler's step count, an int >= 0.
        warmup: warm-up steps, an int with 0 <= warmup < total.
        total: the step at which the multiplier reaches ``min_ratio`` (and stays).
        min_ratio: the final multiplier, in [0, 1].

    Returns:
        The multiplier, a Python float.

    Raises:
        ValueError: an argument out of range or of the wrong type (R11).
    """
    raise NotImplementedError
