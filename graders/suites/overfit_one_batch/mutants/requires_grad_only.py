# kills: test_correctness.py::test_flags_frozen_parameters
"""Mutant: frozen parameters found from requires_grad flags only: a detach() in forward or an unused layer goes unnoticed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

ISSUES = (
    "probabilities_into_cross_entropy",
    "gradients_accumulate",
    "frozen_parameters",
    "labels_misaligned",
    "learning_rate_too_low",
    "did_not_overfit",
)

PROBABILITY_TOL = 1e-4  # rows summing to 1 within this are probabilities
ACCUMULATE_TOL = 0.01  # .grad within 1 % of 2 G after the probe step: accumulated
UPDATE_RATIO_MIN = 1e-4  # relative parameter change over the first 10 steps
UPDATE_RATIO_STEPS = 10
FIT_ACCURACY = 0.9  # the even half counts as fitted at this training accuracy
CHANCE_MARGIN = 0.25  # held-out accuracy at most chance + this: labels carry no signal


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
    """One correct training step: clear gradients, forward, loss, backward, update."""
    inputs, targets = batch
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def _live(model: nn.Module) -> list[nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


def _flat(params: list[torch.Tensor]) -> torch.Tensor:
    if not params:
        return torch.zeros(0)
    return torch.cat([p.detach().reshape(-1).double() for p in params])


def _as_float(loss) -> float:
    return float(loss.detach()) if torch.is_tensor(loss) else float(loss)


def _accuracy(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(inputs).argmax(dim=1) == targets).double().mean())


def _fit(model, batch, loss_fn, step, lr, max_steps, target_loss, watch=None):
    """Train ``model`` on ``batch`` with Adam until a step's loss is below target_loss.

    Returns (steps, relative change of ``watch`` after the first UPDATE_RATIO_STEPS steps)."""
    live = _live(model)
    if not live:
        return 0, None
    optimizer = torch.optim.Adam(live, lr=lr)
    start = _flat(watch) if watch else None
    ratio = None
    steps = 0
    for steps in range(1, max_steps + 1):
        loss = _as_float(step(model, batch, loss_fn, optimizer))
        if watch and steps == UPDATE_RATIO_STEPS:
            ratio = float((_flat(watch) - start).norm() / start.norm().clamp_min(1e-12))
        if loss < target_loss:
            break
    if watch and ratio is None:  # stopped before UPDATE_RATIO_STEPS steps
        ratio = float((_flat(watch) - start).norm() / start.norm().clamp_min(1e-12))
    return steps, ratio


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
    """Overfit one batch on a copy of ``model`` and diagnose what stops it (see module doc)."""
    if not (isinstance(batch, tuple | list) and len(batch) == 2):
        raise ValueError("batch must be a pair (inputs, targets)")
    inputs, targets = batch
    if not (torch.is_tensor(inputs) and torch.is_tensor(targets)):
        raise TypeError("inputs and targets must be tensors")
    if targets.dtype.is_floating_point or targets.dtype == torch.bool or targets.dim() != 1:
        raise ValueError("targets must be a 1-D integer tensor of class indices")
    if inputs.shape[0] != targets.shape[0] or targets.shape[0] < 4:
        raise ValueError("inputs and targets must hold the same number (>= 4) of samples")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 1:
        raise ValueError(f"max_steps must be an int >= 1, got {max_steps!r}")
    if not target_loss > 0:
        raise ValueError(f"target_loss must be > 0, got {target_loss!r}")
    step = train_step or standard_step
    batch = (inputs, targets)
    found: set[str] = set()

    # 1. outputs that are already probabilities, fed to CrossEntropyLoss
    probe = copy.deepcopy(model)
    with torch.no_grad():
        out = probe(inputs)
    if (
        isinstance(loss_fn, nn.CrossEntropyLoss)
        and out.dim() == 2
        and bool(((out >= 0) & (out <= 1)).all())
        and float((out.sum(dim=1) - 1).abs().max()) <= PROBABILITY_TOL
    ):
        found.add("probabilities_into_cross_entropy")

    # 2. parameters that get no gradient from the loss
    for p in probe.parameters():
        p.grad = None
    loss = loss_fn(probe(inputs), targets)
    if loss.requires_grad:
        loss.backward()
    receives = {n for n, p in probe.named_parameters() if p.grad is not None and bool(p.grad.any())}
    if any(not p.requires_grad for p in probe.parameters()):
        found.add("frozen_parameters")

    # 3. a step that does not clear .grad: start from .grad = G, step with lr 0, look for 2 G
    named = dict(probe.named_parameters())
    grads = {n: named[n].grad.detach().clone() for n in receives}
    if grads:
        for n, p in named.items():
            p.grad = grads[n].clone() if n in grads else None
        step(probe, batch, loss_fn, torch.optim.SGD(_live(probe), lr=0.0))
        after = {n: named[n].grad for n in grads}
        base = torch.sqrt(sum((g.double() ** 2).sum() for g in grads.values()))
        if all(a is not None for a in after.values()):
            diff = torch.sqrt(
                sum(((after[n].double() - 2 * grads[n].double()) ** 2).sum() for n in grads)
            )
            if float(diff) <= ACCUMULATE_TOL * float(base):
                found.add("gradients_accumulate")

    # 4. overfit the whole batch; watch the parameters that receive a gradient
    fitted = copy.deepcopy(model)
    with torch.no_grad():
        initial_loss = float(loss_fn(fitted(inputs), targets))
    watch = [p for n, p in fitted.named_parameters() if n in receives]
    steps, ratio = _fit(fitted, batch, loss_fn, step, lr, max_steps, target_loss, watch)
    with torch.no_grad():
        final_loss = float(loss_fn(fitted(inputs), targets))
    if ratio is not None and ratio < UPDATE_RATIO_MIN:
        found.add("learning_rate_too_low")
    if not final_loss < target_loss:
        found.add("did_not_overfit")

    # 5. do the labels carry information? fit the even half, predict the odd half
    held = copy.deepcopy(model)
    even = (inputs[0::2], targets[0::2])
    odd_x, odd_y = inputs[1::2], targets[1::2]
    _fit(held, even, loss_fn, step, lr, max_steps, target_loss)
    chance = float(torch.bincount(odd_y).max()) / odd_y.shape[0]
    if (
        _accuracy(held, *even) >= FIT_ACCURACY
        and _accuracy(held, odd_x, odd_y) <= chance + CHANCE_MARGIN
    ):
        found.add("labels_misaligned")

    issues = tuple(i for i in ISSUES if i in found)
    return Diagnosis(not issues, issues, initial_loss, final_loss, steps)
