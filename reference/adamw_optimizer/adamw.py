"""AdamW and a warm-up + cosine learning-rate schedule (reference solution).

Sources: I. Loshchilov and F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019
(Algorithm 2, AdamW); D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization",
ICLR 2015 (bias correction); S. J. Reddi et al., "On the Convergence of Adam and Beyond", ICLR
2018 (AMSGrad); the update as ``torch.optim.AdamW`` computes it on the CPU
(``torch/optim/adam.py``, ``_single_tensor_adam`` with ``decoupled_weight_decay=True``): one
parameter at a time, every operation in place, so the parameter, its gradient and its two
moments stay in cache while they are updated. The schedule is the linear warm-up + cosine decay
of ``transformers.get_cosine_schedule_with_warmup`` with a floor ``min_ratio``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch


class AdamW(torch.optim.Optimizer):
    """AdamW with decoupled weight decay, bias correction and optional AMSGrad.

    Args:
        params: an iterable of tensors, or of dicts (parameter groups) whose keys override the
            options below for their parameters.
        lr: learning rate (>= 0).
        betas: decay rates of the first and second moment estimates, each in [0, 1).
        eps: added to the denominator's square root (>= 0).
        weight_decay: decoupled decay coefficient (>= 0): the parameter is multiplied by
            ``1 - lr * weight_decay`` before the Adam step.
        amsgrad: use the running maximum of the second moment estimate (Reddi et al. 2018).

    Raises:
        ValueError: an option out of range.
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
        if not lr >= 0.0:
            raise ValueError(f"invalid learning rate {lr!r}: it must be >= 0")
        if not eps >= 0.0:
            raise ValueError(f"invalid eps {eps!r}: it must be >= 0")
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"invalid betas {betas!r}: each must lie in [0, 1)")
        if not weight_decay >= 0.0:
            raise ValueError(f"invalid weight_decay {weight_decay!r}: it must be >= 0")
        defaults = {
            "lr": lr,
            "betas": (float(betas[0]), float(betas[1])),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": bool(amsgrad),
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One AdamW update of every parameter that has a gradient.

        Args:
            closure: re-evaluates the model and returns the loss; called once, with gradients
                enabled, before the update.

        Returns:
            What ``closure`` returned, or None.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = float(group["eps"])
            decay = 1.0 - lr * float(group["weight_decay"])
            amsgrad = bool(group["amsgrad"])
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if grad.is_sparse:
                    raise RuntimeError("AdamW does not support sparse gradients")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0.0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                if amsgrad and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = torch.zeros_like(
                        p, memory_format=torch.preserve_format
                    )
                # a state loaded from torch.optim.AdamW holds a float32 0-dim tensor: the bias
                # corrections are computed from its value as a Python float (float64)
                step = float(state["step"]) + 1.0
                state["step"] = step
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]

                p.mul_(decay)
                exp_avg.lerp_(grad, 1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                bias_correction1 = 1.0 - beta1**step
                bias_correction2_sqrt = math.sqrt(1.0 - beta2**step)
                if amsgrad:
                    peak = state["max_exp_avg_sq"]
                    torch.maximum(peak, exp_avg_sq, out=peak)
                    denom = (peak.sqrt() / bias_correction2_sqrt).add_(eps)
                else:
                    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
        return loss


def warmup_cosine(step: int, warmup: int, total: int, min_ratio: float = 0.0) -> float:
    """The learning-rate multiplier at ``step``: linear warm-up from 0, then cosine decay to
    ``min_ratio`` (``transformers.get_cosine_schedule_with_warmup`` with a floor).

    Args:
        step: the scheduler's step count (``LambdaLR``'s epoch), an int >= 0.
        warmup: warm-up steps, an int with ``0 <= warmup < total``.
        total: the step at which the decay reaches ``min_ratio`` (held there afterwards).
        min_ratio: the floor, in [0, 1].

    Returns:
        ``step / warmup`` while ``step < warmup``, then
        ``min_ratio + (1 - min_ratio) * (1 + cos(pi * progress)) / 2`` with
        ``progress = min(1, (step - warmup) / (total - warmup))``.

    Raises:
        ValueError: an argument out of range or not an int.
    """
    for name, value in (("step", step), ("warmup", warmup), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an int, got {value!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if not 0 <= warmup < total:
        raise ValueError(f"need 0 <= warmup < total, got warmup={warmup}, total={total}")
    if isinstance(min_ratio, bool) or not 0.0 <= min_ratio <= 1.0:
        raise ValueError(f"min_ratio must lie in [0, 1], got {min_ratio!r}")
    if step < warmup:
        return step / warmup
    progress = min(1.0, (step - warmup) / (total - warmup))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
