"""CLIP's symmetric contrastive loss (Radford et al. 2021), unsharded and sharded.

Solution a: torch.nn.functional helpers (normalize, cross_entropy); the sharded case
rebuilds the global batch with torch.cat after swapping in the local tensors.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check_pair(image_emb: torch.Tensor, text_emb: torch.Tensor) -> None:
    if image_emb.dim() != 2 or text_emb.dim() != 2:
        raise ValueError(
            f"embeddings must be 2-D (N, D), got {tuple(image_emb.shape)} and "
            f"{tuple(text_emb.shape)}"
        )
    if image_emb.shape != text_emb.shape:
        raise ValueError(
            f"image and text embeddings differ in shape: {tuple(image_emb.shape)} vs "
            f"{tuple(text_emb.shape)}"
        )
    if image_emb.shape[0] == 0:
        raise ValueError("empty batch (N == 0)")


def clip_loss(
    image_emb: torch.Tensor,
    text_emb: torch.Tensor,
    logit_scale: torch.Tensor,
    *,
    max_scale: float = 100.0,
) -> torch.Tensor:
    """Symmetric InfoNCE loss of a batch of N (image, text) pairs (R1-R7)."""
    _check_pair(image_emb, text_emb)
    dtype = image_emb.dtype
    # Work in float64 whatever the input precision: the backward of the row normalisation
    # divides by the row norm (down to 0.01) after cancelling the radial part of a gradient
    # that scales with s (up to 100), which float32 cannot resolve to the required 1e-4.
    # The casts are differentiable, so the gradients come back in the inputs' dtype.
    work = torch.float64
    # Clamp after the exp: d s / d logit_scale = exp(logit_scale) below the bound, 0 above.
    scale = torch.exp(logit_scale.to(work)).clamp(max=float(max_scale))
    u = F.normalize(image_emb.to(work), p=2.0, dim=1)
    v = F.normalize(text_emb.to(work), p=2.0, dim=1)
    logits = scale * (u @ v.t())
    labels = torch.arange(logits.shape[0], device=logits.device)
    loss_image = F.cross_entropy(logits, labels)
    loss_text = F.cross_entropy(logits.t(), labels)
    return ((loss_image + loss_text) / 2).to(dtype)


def clip_loss_shard(
    image_local: torch.Tensor,
    text_local: torch.Tensor,
    image_gathered: list[torch.Tensor],
    text_gathered: list[torch.Tensor],
    rank: int,
    logit_scale: torch.Tensor,
    *,
    max_scale: float = 100.0,
) -> torch.Tensor:
    """The loss one rank computes in data-parallel training (R7-R9)."""
    if len(image_gathered) != len(text_gathered):
        raise ValueError(
            f"gathered lists differ in length: {len(image_gathered)} vs {len(text_gathered)}"
        )
    world = len(image_gathered)
    if rank not in range(world):  # a negative rank is an error, not an index from the end
        raise ValueError(f"rank {rank!r} not in range({world})")
    rank = int(rank)
    if tuple(image_gathered[rank].shape) != tuple(image_local.shape):
        raise ValueError("image_gathered[rank] does not have the shape of image_local")
    if tuple(text_gathered[rank].shape) != tuple(text_local.shape):
        raise ValueError("text_gathered[rank] does not have the shape of text_local")

    # all_gather outputs are constants; this rank's own pairs carry the gradient.
    images = [t.detach() for t in image_gathered]
    texts = [t.detach() for t in text_gathered]
    images[rank] = image_local
    texts[rank] = text_local
    for t in images + texts:
        if t.dim() != 2:
            raise ValueError("every gathered shard must be 2-D (n_q, D)")
    return clip_loss(torch.cat(images, dim=0), torch.cat(texts, dim=0), logit_scale,
                     max_scale=max_scale)
