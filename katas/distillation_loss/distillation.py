"""Knowledge distillation: the loss that trains a small student on a frozen teacher.

Fill in ``distillation_loss``. Read README.md first: it states the exact formula, how positions
and ``ignore_index`` are counted, the errors to raise and the tolerances of the tests.
"""

from __future__ import annotations

import torch


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
    raise NotImplementedError
