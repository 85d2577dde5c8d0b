"""A drop-in AdamW for the tuning platform, and its warm-up + cosine schedule.

Solution b: multi-tensor. Within each parameter group the parameters that have a gradient are
bucketed by (device, dtype) and every formula is applied to a whole bucket at once with the
``torch._foreach_*`` kernels; per-parameter step counts give per-parameter bias corrections
(scalar lists).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

_DEFAULTS = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False}
_PI = 3.141592653589793


def _validate(options: dict[str, Any]) -> None:
    lr, eps, wd = options["lr"], options["eps"], options["weight_decay"]
    betas = options["betas"]
    problems = []
    if not lr >= 0.0:
        problems.append(f"lr={lr!r}")
    if not eps >= 0.0:
        problems.append(f"eps={eps!r}")
    if not wd >= 0.0:
        problems.append(f"weight_decay={wd!r}")
    try:
        ok = len(betas) == 2 and all(0.0 <= b < 1.0 for b in betas)
    except TypeError:
        ok = False
    if not ok:
        problems.append(f"betas={betas!r}")
    if problems:
        raise ValueError("invalid AdamW option(s): " + ", ".join(problems))


def _new_step() -> torch.Tensor:
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.tensor(0.0, dtype=dtype)


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
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad}
        _validate(defaults)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if isinstance(param_group, dict):
            _validate({k: param_group.get(k, self.defaults[k]) for k in _DEFAULTS})
        super().add_param_group(param_group)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)

    def _gather(self, group: dict[str, Any]) -> dict[tuple, dict[str, list]]:
        amsgrad = group["amsgrad"]
        buckets: dict[tuple, dict[str, list]] = {}
        for p in group["params"]:
            if p.grad is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = _new_step()
                st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if amsgrad and "max_exp_avg_sq" not in st:
                st["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if not isinstance(st["step"], torch.Tensor):
                count = float(st["step"])
                st["step"] = _new_step()
                st["step"].fill_(count)
            b = buckets.setdefault(
                (p.device, p.dtype),
                {"p": [], "g": [], "m": [], "v": [], "vmax": [], "t": []},
            )
            b["p"].append(p)
            b["g"].append(p.grad)
            b["m"].append(st["exp_avg"])
            b["v"].append(st["exp_avg_sq"])
            b["t"].append(st["step"])
            if amsgrad:
                b["vmax"].append(st["max_exp_avg_sq"])
        return buckets

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
                wd = group["weight_decay"]
                amsgrad = group["amsgrad"]
                for b in self._gather(group).values():
                    params, grads, ms, vs, steps = b["p"], b["g"], b["m"], b["v"], b["t"]
                    for t in steps:  # 0-dim CPU counters; keep them exact and in place
                        t += 1
                    if wd != 0:
                        torch._foreach_mul_(params, 1 - lr * wd)
                    torch._foreach_lerp_(ms, grads, 1 - beta1)
                    torch._foreach_mul_(vs, beta2)
                    torch._foreach_addcmul_(vs, grads, grads, 1 - beta2)
                    counts = [t.item() for t in steps]
                    neg_step_sizes = [(lr / (1 - beta1**n)) * -1 for n in counts]
                    bc2_sqrt = [(1 - beta2**n) ** 0.5 for n in counts]
                    if amsgrad:
                        torch._foreach_maximum_(b["vmax"], vs)
                        denom = torch._foreach_sqrt(b["vmax"])
                    else:
                        denom = torch._foreach_sqrt(vs)
                    torch._foreach_div_(denom, bc2_sqrt)
                    torch._foreach_add_(denom, eps)
                    torch._foreach_addcdiv_(params, ms, denom, neg_step_sizes)
        return loss


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def warmup_cosine(step: int, warmup: int, total: int, min_ratio: float = 0.0) -> float:
    """The learning-rate multiplier at ``step`` (R10, R11)."""
    if not (_is_int(step) and _is_int(warmup) and _is_int(total)):
        raise ValueError("step, warmup and total must be ints (not bools)")
    if isinstance(min_ratio, bool) or not isinstance(min_ratio, (int, float)):
        raise ValueError("min_ratio must be a real number")
    if step < 0 or warmup < 0 or warmup >= total or not (0.0 <= min_ratio <= 1.0):
        raise ValueError(
            f"out of range: step={step}, warmup={warmup}, total={total}, min_ratio={min_ratio}"
        )
    if step < warmup:
        return step / warmup
    progress = (step - warmup) / (total - warmup)
    if progress > 1.0:
        progress = 1.0
    cosine = torch.cos(torch.tensor(_PI * progress, dtype=torch.float64)).item()
    return float(min_ratio + (1.0 - min_ratio) * (1.0 + cosine) / 2.0)
