"""Knowledge distillation: the loss that trains a small student on a frozen teacher.

Reference solution. Source: G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a
Neural Network" (2015), section 2: the soft targets' cross-entropy at temperature T, scaled by
T**2 so that its gradients keep their magnitude as T changes, mixed with the hard-label
cross-entropy. Written as a KL divergence (the teacher's entropy does not depend on the
student), as ``torch.nn.KLDivLoss`` with ``log_target=True`` computes it; every log-probability
comes from ``log_softmax`` (the log-sum-exp trick), never from ``log(softmax(...))``.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F  # noqa: N812


def _check(student_logits, teacher_logits, targets, temperature, alpha, ignore_index):
    if teacher_logits.shape != student_logits.shape:
        raise ValueError(
            f"teacher_logits has shape {tuple(teacher_logits.shape)}, student_logits "
            f"{tuple(student_logits.shape)}"
        )
    if targets.shape != student_logits.shape[:-1]:
        raise ValueError(
            f"targets has shape {tuple(targets.shape)}, expected {tuple(student_logits.shape[:-1])}"
        )
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    num_classes = student_logits.shape[-1]
    bad = (targets != ignore_index) & ((targets < 0) | (targets >= num_classes))
    if bool(bad.any()):
        raise ValueError(
            f"targets must be ignore_index ({ignore_index}) or lie in [0, {num_classes})"
        )


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    targets: torch.Tensor,
    temperature: float = 4.0,
    alpha: float = 0.5,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Hinton et al. (2015) distillation loss: ``alpha * T**2 * S + (1 - alpha) * H``.

    ``S`` is KL(softmax(teacher / T) || softmax(student / T)) and ``H`` the cross-entropy of the
    raw student logits with ``targets``, both averaged over the positions whose target is not
    ``ignore_index``.

    Args:
        student_logits: shape (*, C), class dimension last, float32 or float64.
        teacher_logits: the frozen teacher's logits, same shape, dtype and device.
        targets: int64 of shape student_logits.shape[:-1], each in [0, C) or ignore_index.
        temperature: T > 0, softens both distributions of the soft term.
        alpha: weight of the soft term, in [0, 1].
        ignore_index: target value of positions that count in neither term.

    Returns:
        A 0-dim tensor of student_logits' dtype and device, differentiable with respect to
        student_logits only (0.0, still attached to the graph, when every position is ignored).

    Raises:
        ValueError: teacher_logits' or targets' shape does not match, temperature <= 0, alpha
            outside [0, 1], or a target neither ignore_index nor in [0, C).
    """
    _check(student_logits, teacher_logits, targets, temperature, alpha, ignore_index)
    num_classes = student_logits.shape[-1]
    student = student_logits.reshape(-1, num_classes)
    teacher = teacher_logits.detach().reshape(-1, num_classes)
    labels = targets.reshape(-1)
    keep = labels != ignore_index
    kept = int(keep.sum())
    if kept == 0:
        return student[:0].sum()  # 0.0, attached to the student's graph
    if kept < labels.numel():
        student, teacher, labels = student[keep], teacher[keep], labels[keep]
    t = float(temperature)
    log_p = F.log_softmax(student / t, dim=-1)
    log_q = F.log_softmax(teacher / t, dim=-1)
    soft = F.kl_div(log_p, log_q, reduction="sum", log_target=True) / kept
    hard = F.cross_entropy(student, labels, reduction="sum") / kept
    return alpha * t * t * soft + (1.0 - alpha) * hard
