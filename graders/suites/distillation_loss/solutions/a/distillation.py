"""Knowledge distillation: the loss that trains a small student on a frozen teacher.

Solution A: select the kept positions with a boolean index, then use the
``torch.nn.functional`` building blocks (log_softmax, kl_div, cross_entropy),
all evaluated in float64 so that logits up to 1e4 (and tiny temperatures) stay
accurate for float32 inputs too; the result is cast back to the input dtype.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _check(student_logits, teacher_logits, targets, temperature, alpha, ignore_index):
    if student_logits.dim() < 1:
        raise ValueError("student_logits must have a class dimension")
    if tuple(teacher_logits.shape) != tuple(student_logits.shape):
        raise ValueError(
            f"teacher_logits shape {tuple(teacher_logits.shape)} != "
            f"student_logits shape {tuple(student_logits.shape)}"
        )
    if tuple(targets.shape) != tuple(student_logits.shape[:-1]):
        raise ValueError(
            f"targets shape {tuple(targets.shape)} != {tuple(student_logits.shape[:-1])}"
        )
    t = float(temperature)
    if not t > 0 or math.isnan(t):
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    a = float(alpha)
    if not 0.0 <= a <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha!r}")
    num_classes = student_logits.shape[-1]
    keep = targets != ignore_index
    kept_targets = targets[keep]
    if kept_targets.numel() and bool(
        ((kept_targets < 0) | (kept_targets >= num_classes)).any()
    ):
        raise ValueError("a target is neither ignore_index nor in [0, C)")
    return t, a, keep


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
    """
    T, a, keep = _check(student_logits, teacher_logits, targets, temperature, alpha, ignore_index)
    out_dtype = student_logits.dtype
    num_classes = student_logits.shape[-1]

    m = int(keep.sum().item())
    if m == 0:
        # 0.0, still attached to the student's graph (gradient of zeros).
        return (student_logits.sum() * 0).to(out_dtype)

    s = student_logits.reshape(-1, num_classes)[keep.reshape(-1)].to(torch.float64)
    t = teacher_logits.detach().reshape(-1, num_classes)[keep.reshape(-1)].to(torch.float64)
    y = targets.reshape(-1)[keep.reshape(-1)].to(torch.long)

    # Soft term: KL(q || p) at temperature T; kl_div uses xlogy, so 0 * log 0 = 0.
    log_p = F.log_softmax(s / T, dim=-1)
    q = F.softmax(t / T, dim=-1)
    soft = F.kl_div(log_p, q, reduction="sum", log_target=False) / m

    # Hard term: cross-entropy on the raw (temperature 1) logits.
    hard = F.cross_entropy(s, y, reduction="sum") / m

    loss = (a * T * T) * soft + (1.0 - a) * hard
    return loss.to(out_dtype)
