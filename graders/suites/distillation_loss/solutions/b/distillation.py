"""Knowledge distillation: the loss that trains a small student on a frozen teacher.

Solution B: explicit log-sum-exp arithmetic over *all* positions with a keep mask
(no torch.nn.functional), evaluated in float64 and cast back to the input dtype.
"""

from __future__ import annotations

import torch


def _log_softmax(x: torch.Tensor) -> torch.Tensor:
    """Shift by the (detached) row maximum, then subtract log(sum(exp))."""
    shift = x.detach().amax(dim=-1, keepdim=True)
    z = x - shift
    return z - torch.log(torch.exp(z).sum(dim=-1, keepdim=True))


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
    # ---- validation (R10) -------------------------------------------------------------
    if student_logits.ndim == 0:
        raise ValueError("student_logits needs a class dimension")
    if teacher_logits.shape != student_logits.shape:
        raise ValueError("teacher_logits and student_logits shapes differ")
    if targets.shape != student_logits.shape[:-1]:
        raise ValueError("targets shape must be student_logits.shape[:-1]")
    T = float(temperature)
    if not (T > 0.0):  # also rejects NaN
        raise ValueError("temperature must be positive")
    a = float(alpha)
    if not (0.0 <= a <= 1.0):  # also rejects NaN
        raise ValueError("alpha must be in [0, 1]")
    C = student_logits.shape[-1]
    keep = targets != ignore_index
    bad = keep & ((targets < 0) | (targets >= C))
    if bool(bad.any()):
        raise ValueError("target out of range and not ignore_index")

    if C == 0:  # no class at all: every position is necessarily ignored (M = 0)
        return (student_logits.sum() * 0).to(student_logits.dtype)

    # ---- computation in float64 over all positions ------------------------------------
    s = student_logits.to(torch.float64)
    t = teacher_logits.detach().to(torch.float64)
    keep_f = keep.to(torch.float64)
    m = keep_f.sum()
    denom = torch.clamp(m, min=1.0)  # M = 0: every term is masked out, result 0.0

    # Soft term: sum_c q (log q - log p), with 0 * log 0 = 0.
    log_q = _log_softmax(t / T)
    q = torch.exp(log_q)
    log_p = _log_softmax(s / T)
    diff = torch.where(q > 0, log_q, torch.zeros_like(log_q)) - log_p
    kl_pos = (torch.where(q > 0, q, torch.zeros_like(q)) * diff).sum(dim=-1)

    # Hard term: -log softmax(s)[y], with ignored targets replaced by a safe class.
    safe_y = torch.where(keep, targets, torch.zeros_like(targets)).to(torch.long)
    log_p1 = _log_softmax(s)
    nll_pos = -log_p1.gather(-1, safe_y.unsqueeze(-1)).squeeze(-1)

    zero = torch.zeros((), dtype=torch.float64, device=s.device)
    soft = torch.where(keep, kl_pos, zero).sum() / denom
    hard = torch.where(keep, nll_pos, zero).sum() / denom

    loss = (a * T * T) * soft + (1.0 - a) * hard
    return loss.to(student_logits.dtype)
