"""A drop-in AdamW for the tuning platform, and its warm-up + cosine schedule.

Solution a: one parameter at a time, every formula as an in-place whole-tensor operation
(the same operations, in the same order, as torch's single-tensor AdamW).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

_OPTION_NAMES = ("lr", "betas", "eps", "weight_decay", "amsgrad")


def _scalar_dtype() -> torch.dtype:
    # torch keeps "step" as a 0-dim CPU tensor: float64 when that is the default dtype,
    # float32 otherwise.
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def _check_options(lr: Any, betas: Any, eps: Any, weight_decay: Any) -> None:
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Invalid betas: {betas!r}") from exc
    if not 0.0 <= beta1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {beta1}")
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {beta2}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class AdamW(torch.optim.Optimizer):
    """AdamW (Loshchilov & Hutter, ICLR 2019), computed as torch's reference AdamW does."""

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        _check_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        # a group's own options obey R2 like the constructor's
        if isinstance(param_group, dict):
            merged = {**self.defaults, **param_group}
            _check_options(merged["lr"], merged["betas"], merged["eps"], merged["weight_decay"])
        super().add_param_group(param_group)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One AdamW update of every parameter that has a gradient (R3..R7)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        with torch.no_grad():
            for group in self.param_groups:
                lr = group["lr"]
                beta1, beta2 = group["betas"]
                eps = group["eps"]
                weight_decay = group["weight_decay"]
                amsgrad = group["amsgrad"]
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())
                        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                        state["exp_avg_sq"] = torch.zeros_like(
                            p, memory_format=torch.preserve_format
                        )
                        if amsgrad:
                            state["max_exp_avg_sq"] = torch.zeros_like(
                                p, memory_format=torch.preserve_format
                            )
                    elif amsgrad and "max_exp_avg_sq" not in state:
                        state["max_exp_avg_sq"] = torch.zeros_like(
                            p, memory_format=torch.preserve_format
                        )
                    step_t = state["step"]
                    if not torch.is_tensor(step_t):
                        step_t = torch.tensor(float(step_t), dtype=_scalar_dtype())
                        state["step"] = step_t
                    exp_avg = state["exp_avg"]
                    exp_avg_sq = state["exp_avg_sq"]

                    step_t += 1
                    # decoupled weight decay
                    if weight_decay != 0:
                        p.mul_(1 - lr * weight_decay)
                    # moments
                    exp_avg.lerp_(grad, 1 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

                    step = step_t.item()
                    bias_correction1 = 1 - beta1**step
                    bias_correction2 = 1 - beta2**step
                    step_size = lr / bias_correction1
                    bias_correction2_sqrt = bias_correction2**0.5

                    if amsgrad:
                        max_exp_avg_sq = state["max_exp_avg_sq"]
                        torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                        denom = (max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                    else:
                        denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                    p.addcdiv_(exp_avg, denom, value=-step_size)
        return loss


def warmup_cosine(step: int, warmup: int, total: int, min_ratio: float = 0.0) -> float:
    """The learning-rate multiplier at ``step`` (R10, R11)."""
    for name, value in (("step", step), ("warmup", warmup), ("total", total)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{name} must be an int, got {value!r}")
    if isinstance(min_ratio, bool) or not isinstance(min_ratio, (int, float)):
        raise ValueError(f"min_ratio must be a number, got {min_ratio!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if not 0 <= warmup < total:
        raise ValueError(f"need 0 <= warmup < total, got warmup={warmup}, total={total}")
    if not 0.0 <= min_ratio <= 1.0:
        raise ValueError(f"min_ratio must lie in [0, 1], got {min_ratio}")
    if step < warmup:
        return float(step / warmup)
    progress = min(1.0, (step - warmup) / (total - warmup))
    return float(min_ratio + (1 - min_ratio) * (1 + math.cos(math.pi * progress)) / 2)
