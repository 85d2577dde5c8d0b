"""Float64 numpy oracle of the distillation_loss hidden suite: the loss of the statement and
its gradient with respect to the student's logits in closed form, independent of torch and of
any submission, plus the wrong variants a failure message can name."""

from __future__ import annotations

import numpy as np


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def loss_and_grad(
    student,
    teacher,
    targets,
    temperature: float,
    alpha: float,
    ignore_index: int = -100,
    *,
    squared: bool = True,
    swap_kl: bool = False,
    hard_at_t: bool = False,
    swap_alpha: bool = False,
    soft_over_all: bool = False,
    denominator: str = "kept",
) -> tuple[float, np.ndarray]:
    """``(loss, d loss / d student)`` in float64: ``alpha T^2 S + (1 - alpha) H`` with S the
    KL from the teacher to the student at temperature T and H the cross-entropy of the raw
    logits, both means over the kept positions (R1-R6); d S / d s = (p - q) / (T M) and
    d H / d s = (softmax(s) - onehot(y)) / M on kept rows, 0 on ignored ones.

    The keyword flags build the wrong variants named in failure messages: no T^2, KL from the
    student to the teacher, the hard term at temperature T, alpha on the wrong term, ignored
    positions kept in the soft term, another denominator ("all" positions, "first" dimension).
    """
    s = np.asarray(student, dtype=np.float64)
    t = np.asarray(teacher, dtype=np.float64)
    y = np.asarray(targets).reshape(-1)
    c = s.shape[-1]
    s2, t2 = s.reshape(-1, c), t.reshape(-1, c)
    keep = y != ignore_index
    m = int(keep.sum())
    grad = np.zeros_like(s2)
    if m == 0:
        return 0.0, grad.reshape(s.shape)
    den = {"kept": m, "all": y.size, "first": s.shape[0]}[denominator]
    soft_rows = np.ones_like(keep) if soft_over_all else keep
    log_p = _log_softmax(s2[soft_rows] / temperature)
    log_q = _log_softmax(t2[soft_rows] / temperature)
    if swap_kl:
        log_p, log_q = log_q, log_p
    q = np.exp(log_q)
    soft = float((q * (log_q - log_p)).sum()) / den
    sk, yk = s2[keep], y[keep]
    log_p1 = _log_softmax(sk / temperature if hard_at_t else sk)
    rows = np.arange(len(yk))
    hard = float(-log_p1[rows, yk].sum()) / den
    a_soft, a_hard = (1 - alpha, alpha) if swap_alpha else (alpha, 1 - alpha)
    scale = temperature * temperature if squared else 1.0
    loss = a_soft * scale * soft + a_hard * hard
    if not (swap_kl or hard_at_t or soft_over_all):
        onehot = np.zeros_like(sk)
        onehot[rows, yk] = 1.0
        grad[keep] = (
            a_soft * scale * (np.exp(log_p) - q) / temperature + a_hard * (np.exp(log_p1) - onehot)
        ) / den
    return loss, grad.reshape(s.shape)


def oracle(student, teacher, targets, temperature, alpha, ignore_index=-100):
    """The statement's loss and gradient."""
    return loss_and_grad(student, teacher, targets, temperature, alpha, ignore_index)


#: wrong variants a failure message can recognise, with the rule each breaks
VARIANTS = {
    "the soft term without the T**2 factor (R2)": {"squared": False},
    "the KL divergence from the student to the teacher instead of from the teacher to the "
    "student (R1)": {"swap_kl": True},
    "the hard term computed at temperature T instead of on the raw logits (R3)": {
        "hard_at_t": True
    },
    "alpha weighting the hard term instead of the soft term (R4)": {"swap_alpha": True},
    "ignored positions kept in the soft term (R5)": {"soft_over_all": True},
    "both terms divided by the number of positions including the ignored ones (R5)": {
        "denominator": "all"
    },
    "both terms divided by the size of the first dimension (R5)": {"denominator": "first"},
}


def make_batch(rng: np.random.Generator, shape, scale=2.0, ignore_fraction=0.25, ignore_index=-100):
    """Random float64 logits of ``shape`` (the teacher correlated with the student but not equal)
    and int64 targets, about ``ignore_fraction`` of them ``ignore_index``: always at least one
    kept and, with two positions or more and a positive fraction, at least one ignored."""
    c = shape[-1]
    student = rng.normal(scale=scale, size=shape)
    teacher = rng.normal(scale=scale, size=shape) + 0.5 * student
    targets = rng.integers(0, c, size=shape[:-1]).astype(np.int64)
    flat = targets.reshape(-1)
    ignored = rng.random(flat.size) < ignore_fraction
    order = rng.permutation(flat.size)
    ignored[order[0]] = False
    if flat.size >= 2 and ignore_fraction > 0:
        ignored[order[1]] = True
    flat[ignored] = ignore_index
    return student, teacher, flat.reshape(targets.shape)
