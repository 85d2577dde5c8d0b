"""Style A: procedural. One probe pass (initial loss, probabilities, frozen parameters, the
gradient G and the accumulation probe) on a deep copy, then a generic `_training_run` helper
used for the full-batch and the even-indexed runs."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

#: Every issue a Diagnosis may report, in the order it reports them.
ISSUES = (
    "probabilities_into_cross_entropy",
    "gradients_accumulate",
    "frozen_parameters",
    "labels_misaligned",
    "learning_rate_too_low",
    "did_not_overfit",
)


@dataclass(frozen=True)
class Diagnosis:
    """The verdict of :func:`sanity_check`."""

    ok: bool
    issues: tuple[str, ...]
    initial_loss: float
    final_loss: float
    steps: int


def standard_step(
    model: nn.Module,
    batch: tuple[torch.Tensor, torch.Tensor],
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
) -> float:
    """Clear the gradients, forward, loss, backward, optimizer step; return the loss."""
    inputs, targets = batch
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def _as_float(loss) -> float:
    if isinstance(loss, torch.Tensor):
        return float(loss.detach())
    return float(loss)


def _fresh_copy(model: nn.Module) -> nn.Module:
    clone = copy.deepcopy(model)
    for p in clone.parameters():
        p.grad = None
    return clone


def _validate(batch, lr, max_steps, target_loss):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError("batch must be a pair (inputs, targets)")
    inputs, targets = batch
    if not isinstance(inputs, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise TypeError("inputs and targets must be tensors")
    if (
        targets.dim() != 1
        or targets.is_floating_point()
        or targets.is_complex()
        or targets.dtype == torch.bool
    ):
        raise ValueError("targets must be a 1-D integer tensor")
    if inputs.dim() == 0 or inputs.shape[0] != targets.shape[0]:
        raise ValueError("inputs and targets must have the same number of samples")
    if targets.shape[0] < 4:
        raise ValueError("the batch must hold at least 4 samples")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
        raise ValueError("lr must be > 0")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise ValueError("max_steps must be an int >= 1")
    if isinstance(target_loss, bool) or not isinstance(target_loss, (int, float)) or not target_loss > 0:
        raise ValueError("target_loss must be > 0")
    return inputs, targets


def _flat(tensors) -> torch.Tensor:
    if not tensors:
        return torch.zeros(0)
    return torch.cat([t.detach().reshape(-1).double() for t in tensors])


def _training_run(model, data, loss_fn, train_step, lr, max_steps, target_loss, watch=()):
    """Train a fresh copy; returns (trained copy, steps, theta_0, theta_10) over `watch` names."""
    m = _fresh_copy(model)
    named = dict(m.named_parameters())
    trainable = [p for p in m.parameters() if p.requires_grad]
    watched = [named[n] for n in watch]
    theta0 = _flat(watched)
    theta10 = None
    steps = 0
    if trainable:
        opt = torch.optim.Adam(trainable, lr=lr)
        for steps in range(1, max_steps + 1):
            loss = _as_float(train_step(m, data, loss_fn, opt))
            if steps == 10 and watched:
                theta10 = _flat(watched)
            if loss < target_loss:
                break
    if theta10 is None:
        theta10 = _flat(watched)
    return m, steps, theta0, theta10


@torch.no_grad()
def _accuracy(model, x, y) -> float:
    return (model(x).argmax(dim=1) == y).double().mean().item()


def sanity_check(
    model: nn.Module,
    batch: tuple[torch.Tensor, torch.Tensor],
    loss_fn: Callable,
    *,
    train_step: Callable | None = None,
    lr: float = 1e-2,
    max_steps: int = 300,
    target_loss: float = 0.05,
) -> Diagnosis:
    """Overfit one batch on copies of ``model`` and diagnose what stands in the way."""
    inputs, targets = _validate(batch, lr, max_steps, target_loss)
    step = standard_step if train_step is None else train_step
    found: set[str] = set()
    data = (inputs, targets)

    # ---- probe pass: initial loss, probabilities, frozen parameters, gradient G -------------
    probe = _fresh_copy(model)
    outputs = probe(inputs)
    loss = loss_fn(outputs, targets)
    initial_loss = _as_float(loss)

    if isinstance(loss_fn, nn.CrossEntropyLoss):
        o = outputs.detach()
        if o.dim() >= 2 and o.numel() > 0:
            in_range = bool(((o >= 0) & (o <= 1)).all())
            rows_ok = bool(((o.sum(dim=1) - 1).abs() <= 1e-4).all())
            if in_range and rows_ok:
                found.add("probabilities_into_cross_entropy")

    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
    getting_grad = []
    for name, p in probe.named_parameters():
        if not p.requires_grad or p.grad is None or not bool((p.grad != 0).any()):
            found.add("frozen_parameters")
        else:
            getting_grad.append(name)

    # ---- does train_step clear the gradients? ----------------------------------------------
    if getting_grad:
        live = [p for p in probe.parameters() if p.requires_grad]
        G = [p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p) for p in live]
        step(probe, data, loss_fn, torch.optim.SGD(live, lr=0.0))
        after = [p.grad.detach() if p.grad is not None else torch.zeros_like(p) for p in live]
        twice = _flat([2 * g for g in G])
        gap = (_flat(after) - twice).norm().item()
        ref = twice.norm().item()
        if ref > 0 and gap <= 0.01 * ref:
            found.add("gradients_accumulate")

    # Nothing to train when no parameter can get a gradient.
    can_train = bool(getting_grad)
    run_steps = max_steps if can_train else 0

    # ---- labels_misaligned: train on the even samples, test on the odd ones ----------------
    x_even, y_even = inputs[0::2], targets[0::2]
    x_odd, y_odd = inputs[1::2], targets[1::2]
    if can_train:
        even_model, *_ = _training_run(
            model, (x_even, y_even), loss_fn, step, lr, run_steps, target_loss
        )
    else:
        even_model = _fresh_copy(model)
    acc_even = _accuracy(even_model, x_even, y_even)
    acc_odd = _accuracy(even_model, x_odd, y_odd)
    chance = torch.bincount(y_odd.long() - int(y_odd.min())).max().item() / y_odd.numel()
    if acc_even >= 0.9 and acc_odd <= chance + 0.25:
        found.add("labels_misaligned")

    # ---- the full-batch run -----------------------------------------------------------------
    if can_train:
        full_model, steps, theta0, theta10 = _training_run(
            model, data, loss_fn, step, lr, run_steps, target_loss, watch=getting_grad
        )
        moved = (theta10 - theta0).norm().item()
        if moved < 1e-4 * theta0.norm().item():
            found.add("learning_rate_too_low")
    else:
        full_model, steps = _fresh_copy(model), 0
    with torch.no_grad():
        final_loss = _as_float(loss_fn(full_model(inputs), targets))
    if not final_loss < target_loss:  # NaN counts as not overfitted
        found.add("did_not_overfit")

    issues = tuple(name for name in ISSUES if name in found)
    return Diagnosis(
        ok=not issues,
        issues=issues,
        initial_loss=initial_loss,
        final_loss=final_loss,
        steps=steps,
    )
