"""Sandbox-side driver of the distillation_loss hidden suite: autograd does not cross the
channel, so the backward pass runs here, next to the submitted ``distillation_loss``. It only
calls the public API; the judge checks what it returns against its own float64 oracle.
Nothing here is a solution."""

from __future__ import annotations

import torch


def loss_and_grads(student, teacher, targets, teacher_requires_grad=False, **kwargs):
    """Call ``distillation_loss`` on leaf copies of the logits (the student's requiring grad),
    then ``backward()`` where the loss is attached to a graph. Returns a dict: ``loss``
    (detached), ``attached`` (whether it requires grad), ``student_grad`` and ``teacher_grad``
    (``None`` where none arrived)."""
    import distillation

    s = student.detach().clone().requires_grad_(True)
    t = teacher.detach().clone().requires_grad_(teacher_requires_grad)
    loss = distillation.distillation_loss(s, t, targets, **kwargs)
    attached = isinstance(loss, torch.Tensor) and loss.requires_grad
    if attached:
        loss.backward()
    return {
        "loss": loss.detach() if isinstance(loss, torch.Tensor) else loss,
        "attached": attached,
        "student_grad": None if s.grad is None else s.grad.detach(),
        "teacher_grad": None if t.grad is None else t.grad.detach(),
    }
