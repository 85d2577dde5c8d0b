"""A sanity check to run before an expensive training job: overfit one batch, and diagnose.

Fill in standard_step and sanity_check. Read README.md first: it defines every issue the
diagnosis reports, the training it runs and the errors to raise.
"""

from __future__ import annotations

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
    """The verdict of :func:`sanity_check`.

    Attributes:
        ok: True exactly when ``issues`` is empty.
        issues: the issues found, a tuple in the order of :data:`ISSUES`.
        initial_loss: loss_fn(model(inputs), targets) before any training.
        final_loss: the same after the full-batch overfit run.
        steps: optimisation steps the full-batch overfit run took.
    """

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
    """One correct training step on ``batch = (inputs, targets)``: clear the gradients, forward,
    loss, backward, optimizer step. Returns the loss (before the update) as a float."""
    raise NotImplementedError


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
    """Overfit one batch on a copy of ``model`` and diagnose what stands in the way.

    Args:
        model: maps inputs (B, ...) to class scores (B, C). Never modified.
        batch: (inputs, targets), targets a 1-D integer tensor of class indices, B >= 4.
        loss_fn: loss_fn(outputs, targets) -> scalar tensor.
        train_step: the caller's step, train_step(model, batch, loss_fn, optimizer) -> loss
            (float or scalar tensor); None: :func:`standard_step`.
        lr: learning rate of the Adam optimiser the check trains with (> 0).
        max_steps: most optimisation steps of each training run (int >= 1).
        target_loss: a run stops after the first step whose loss is below it (> 0).

    Returns:
        A :class:`Diagnosis`; see README.md for when each issue is reported.

    Raises:
        TypeError: inputs or targets are not tensors.
        ValueError: batch is not a pair, targets are not a 1-D integer tensor, the sizes
            differ or B < 4, lr <= 0, max_steps not an int >= 1, target_loss <= 0.
    """
    raise NotImplementedError
