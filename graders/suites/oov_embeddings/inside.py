"""Sandbox-side drivers of the oov_embeddings hidden suite (they hold no solution).

They run next to the module they are given, where autograd and torch's global generator live.
"""

import torch


def manual_seed(seed: int) -> None:
    """Seed torch's global generator of this sandbox."""
    torch.manual_seed(seed)


def table_grads(emb, buckets, category_ids, in_window) -> dict:
    """Backward of ``emb(buckets, category_ids, in_window).sum()`` here; each parameter's
    gradient (``None`` where none reached it)."""
    for p in emb.parameters():
        p.grad = None
    emb(buckets, category_ids, in_window).sum().backward()
    return {
        name: None if p.grad is None else p.grad.detach().to_dense().clone()
        for name, p in emb.named_parameters()
    }
