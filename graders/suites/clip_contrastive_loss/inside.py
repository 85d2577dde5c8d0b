"""Sandbox-side drivers of the clip_contrastive_loss hidden suite.

Autograd does not cross the channel, so the backward passes run here, next to the module's
functions: each driver builds fresh leaf tensors from the values the judge sent, calls the
module's public function once, runs ``backward()`` and returns the value and the gradients by
value (``None`` where no gradient arrived). Nothing here computes the loss itself: the judge
checks what comes back against its own float64 oracle.
"""

from __future__ import annotations

import contrastive as _contrastive
import torch


def _grad(t: torch.Tensor):
    return None if t.grad is None else t.grad.detach().clone()


def _backward(loss) -> object:
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
    return loss.detach().clone() if isinstance(loss, torch.Tensor) else loss


def loss_and_grads(image, text, logit_scale, max_scale: float = 100.0) -> dict:
    """``clip_loss`` on fresh leaves and, after ``backward()``, the gradients of the two
    embeddings and of ``logit_scale``."""
    x = image.detach().clone().requires_grad_(True)
    y = text.detach().clone().requires_grad_(True)
    t = logit_scale.detach().clone().requires_grad_(True)
    loss = _backward(_contrastive.clip_loss(x, y, t, max_scale=max_scale))
    return {"loss": loss, "image": _grad(x), "text": _grad(y), "logit_scale": _grad(t)}


def shard_grads(images: list, texts: list, rank: int, logit_scale, max_scale: float = 100.0):
    """``clip_loss_shard`` of one rank, where every tensor passed in (the local ones and every
    gathered entry, the rank's own copy included) is a separate leaf that requires grad; after
    ``backward()``, the gradients of them all."""
    local_i = images[rank].detach().clone().requires_grad_(True)
    local_t = texts[rank].detach().clone().requires_grad_(True)
    gathered_i = [g.detach().clone().requires_grad_(True) for g in images]
    gathered_t = [g.detach().clone().requires_grad_(True) for g in texts]
    t = logit_scale.detach().clone().requires_grad_(True)
    loss = _contrastive.clip_loss_shard(
        local_i, local_t, gathered_i, gathered_t, rank, t, max_scale=max_scale
    )
    loss = _backward(loss)
    return {
        "loss": loss,
        "image_local": _grad(local_i),
        "text_local": _grad(local_t),
        "image_gathered": [_grad(g) for g in gathered_i],
        "text_gathered": [_grad(g) for g in gathered_t],
        "logit_scale": _grad(t),
    }
