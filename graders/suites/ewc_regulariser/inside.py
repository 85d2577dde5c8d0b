"""Drivers of the ewc_regulariser hidden suite that run inside the sandbox, next to the code
they call (autograd does not cross the channel): the penalty's gradient and the two-task
training run. They only call the module's public API; the judge checks what they return
against its own oracles."""

from __future__ import annotations

import ewc as _ewc
import torch
from torch.nn import functional as F  # noqa: N812


def penalty_and_grads(ewc, model: torch.nn.Module):
    """``ewc.penalty(model)`` and, after ``backward()``, the gradient of every parameter
    (``None`` where none arrived)."""
    model.zero_grad(set_to_none=True)
    value = ewc.penalty(model)
    if isinstance(value, torch.Tensor) and value.requires_grad:
        value.backward()
    grads = {n: (None if p.grad is None else p.grad.detach().clone())
             for n, p in model.named_parameters()}  # fmt: skip
    model.zero_grad(set_to_none=True)
    return (value.detach() if isinstance(value, torch.Tensor) else value), grads


def _accuracy(model, x, y) -> float:
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def two_task_run(
    model: torch.nn.Module, data: dict, generator: torch.Generator, lr: float, steps: int,
    lam: float, n_samples: int,
) -> dict:  # fmt: skip
    """Train task A with SGD, consolidate with ``fisher_diagonal`` / ``OnlineEWC``, train task B
    on ``cross_entropy + penalty``; both tasks' test accuracies."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(data["xa"]), data["ya"]).backward()
        opt.step()
    acc_a_before = _accuracy(model, data["xat"], data["yat"])
    fisher = _ewc.fisher_diagonal(model, data["xa"], n_samples=n_samples, generator=generator)
    ewc = _ewc.OnlineEWC(lam, gamma=1.0)
    ewc.consolidate(model, fisher)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    task_loss = penalty = torch.zeros(())
    for _ in range(steps):
        opt.zero_grad()
        task_loss = F.cross_entropy(model(data["xb"]), data["yb"])
        penalty = ewc.penalty(model)
        (task_loss + penalty).backward()
        opt.step()
    return {
        "acc_a_before": acc_a_before,
        "acc_a": _accuracy(model, data["xat"], data["yat"]),
        "acc_b": _accuracy(model, data["xbt"], data["ybt"]),
        "max_fisher": max(float(f.max()) for f in fisher.values()),
        "final_penalty": float(penalty.detach()),
        "final_task_loss": float(task_loss.detach()),
    }
