"""Public examples for distillation_loss: they show the API and settle the readings the
statement picks, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import pytest
import torch
from distillation import distillation_loss

STUDENT = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]], dtype=torch.float64)
TEACHER = torch.tensor([[3.0, 0.0, -2.0], [0.5, 0.5, 2.0]], dtype=torch.float64)
TARGETS = torch.tensor([0, 2])


def test_worked_example_at_temperature_one():
    """Two samples, three classes, T = 1: alpha = 0 is the cross-entropy alone, alpha = 1 the
    soft term alone (positive: the teacher and the student disagree), and the loss is linear in
    alpha between them (R4)."""
    hard = distillation_loss(STUDENT, TEACHER, TARGETS, temperature=1.0, alpha=0.0)
    soft = distillation_loss(STUDENT, TEACHER, TARGETS, temperature=1.0, alpha=1.0)
    mixed = distillation_loss(STUDENT, TEACHER, TARGETS, temperature=1.0, alpha=0.25)
    assert hard.shape == () and hard.dtype == torch.float64
    assert hard.item() == pytest.approx(0.20557865810672135, rel=1e-9)  # cross-entropy
    assert soft.item() > 0
    assert mixed.item() == pytest.approx(0.25 * soft.item() + 0.75 * hard.item(), rel=1e-9)


def test_hard_term_uses_raw_logits():
    """When the student matches the teacher, the soft term is 0 and, at any temperature, the
    loss is (1 - alpha) times the cross-entropy of the student's raw logits (R3)."""
    ce = torch.nn.functional.cross_entropy(STUDENT, TARGETS)
    loss = distillation_loss(STUDENT, STUDENT.clone(), TARGETS, temperature=4.0, alpha=0.25)
    assert loss.item() == pytest.approx(0.75 * ce.item(), rel=1e-9)


def test_sequences_count_positions_and_skip_padding():
    """A (B, L, C) batch is its positions flattened; padded positions (ignore_index) count in
    neither term, whatever their logits, and the mean is over the kept positions (R5)."""
    g = torch.Generator().manual_seed(0)
    student = torch.randn(2, 3, 5, generator=g, dtype=torch.float64)
    teacher = torch.randn(2, 3, 5, generator=g, dtype=torch.float64)
    targets = torch.tensor([[1, 4, -100], [0, -100, -100]])
    loss = distillation_loss(student, teacher, targets, temperature=2.0, alpha=0.3)
    flat = distillation_loss(
        student.reshape(6, 5), teacher.reshape(6, 5), targets.reshape(6), temperature=2.0, alpha=0.3
    )
    assert loss.item() == pytest.approx(flat.item(), rel=1e-12)
    keep = targets.reshape(6) != -100
    only_kept = distillation_loss(
        student.reshape(6, 5)[keep],
        teacher.reshape(6, 5)[keep],
        targets.reshape(6)[keep],
        temperature=2.0,
        alpha=0.3,
    )
    assert loss.item() == pytest.approx(only_kept.item(), rel=1e-12)  # divided by M = 3, not 6


def test_all_padding_gives_zero():
    """Every position ignored: the loss is 0.0 and backward still works (R6)."""
    student = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    loss = distillation_loss(
        student, torch.randn(4, 3, dtype=torch.float64), torch.full((4,), 255), ignore_index=255
    )
    assert loss.item() == 0.0
    loss.backward()
    assert torch.equal(student.grad, torch.zeros(4, 3, dtype=torch.float64))


def test_gradient_reaches_the_student_only():
    """The student gets a gradient; the frozen teacher gets none (R8)."""
    student = STUDENT.clone().requires_grad_(True)
    teacher = TEACHER.clone().requires_grad_(True)
    distillation_loss(student, teacher, TARGETS, temperature=3.0, alpha=0.7).backward()
    assert student.grad is not None and torch.isfinite(student.grad).all()
    assert teacher.grad is None


def test_bad_temperature():
    """The temperature must be positive (R10)."""
    with pytest.raises(ValueError):
        distillation_loss(STUDENT, TEACHER, TARGETS, temperature=0.0)
