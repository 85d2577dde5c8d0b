"""Drivers of the class_incremental_head hidden suite that run inside the sandbox, next to the
head they train (autograd does not cross the channel): building a head from a seed, training
loops, a loss with its gradient, and the class-incremental run (task A, add classes, task B on
new data only). They only call the head's public API; the judge checks what they return against
its own oracles."""

from __future__ import annotations

import head as _head_module
import torch


def new_head(seed: int, in_features: int, num_classes: int, scale: float = 16.0):
    """``IncrementalHead(in_features, num_classes, scale)`` built after
    ``torch.manual_seed(seed)`` (its weights come from torch's global generator)."""
    torch.manual_seed(seed)
    return _head_module.IncrementalHead(in_features, num_classes, scale)


def to_dtype(head, dtype):
    """``head.to(dtype)`` (returns the head)."""
    return head.to(dtype)


def state_dtypes(head) -> list[str]:
    """The dtypes of every floating tensor in the head's state_dict (parameters and buffers)."""
    return sorted({str(t.dtype) for t in head.state_dict().values() if torch.is_floating_point(t)})


def shift_parameters(head, seed: int, sigma: float) -> None:
    """Add ``sigma * randn`` to every trainable parameter (moves the biases away from 0)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in head.parameters():
            if p.requires_grad:
                p.add_(sigma * torch.randn(p.shape, generator=gen).to(p.dtype))


def loss_and_grad(head, logits: torch.Tensor, targets: torch.Tensor):
    """``head.loss(logits, targets)`` and its gradient with respect to ``logits``."""
    z = logits.detach().clone().requires_grad_(True)
    loss = head.loss(z, targets)
    loss.backward()
    return loss.detach(), (None if z.grad is None else z.grad.detach())


def train(head, x, y, steps: int, lr: float = 0.05) -> None:
    """Full-batch Adam on ``head.loss``, with a fresh optimiser over ``head.parameters()``."""
    opt = torch.optim.Adam(head.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        head.loss(head(x), y).backward()
        opt.step()


def sgd_on_squares(head, x, steps: int, lr: float) -> None:
    """SGD over ``head.parameters()`` on ``sum(head(x) ** 2)``: a loss that pulls every logit,
    old classes' included, toward 0."""
    opt = torch.optim.SGD(head.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        (head(x) ** 2).sum().backward()
        opt.step()


def logits_after_adds(seed: int, d: int, c0: int, ks: list[int], x: torch.Tensor):
    """Build a head, then add ``ks[0]``, ``ks[1]`` ... classes: the logits of ``x`` and
    ``num_classes`` before the first add and after each one."""
    head = new_head(seed, d, c0)
    out = []
    with torch.no_grad():
        out.append((head(x).detach().clone(), head.num_classes))
        for k in ks:
            head.add_classes(k)
            out.append((head(x).detach().clone(), head.num_classes))
    return out


def class_incremental_run(
    seed: int, data: dict, d: int, k_old: int, k_new: int, steps_a: int, steps_b: int
) -> dict:
    """Train task A (classes 0..k_old-1), add k_new classes, train task B on new data only;
    the old classes' probabilities on task-A test data at each stage, and the predictions."""
    head = new_head(seed, d, k_old)
    train(head, data["xa"], data["ya"], steps_a)
    with torch.no_grad():
        before = head.predict_proba(data["xat"]).detach().clone()
        pred_before = head.predict(data["xat"]).clone()
    head.add_classes(k_new)
    with torch.no_grad():
        after_add = head.predict_proba(data["xat"]).detach().clone()
    train(head, data["xb"], data["yb"], steps_b)
    with torch.no_grad():
        after = head.predict_proba(data["xat"]).detach().clone()
        pred_a = head.predict(data["xat"]).clone()
        pred_b = head.predict(data["xbt"]).clone()
    return {
        "proba_before": before, "proba_after_add": after_add, "proba_after": after,
        "pred_before": pred_before, "pred_a": pred_a, "pred_b": pred_b,
    }  # fmt: skip
