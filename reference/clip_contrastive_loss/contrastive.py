"""Reference solution of clip_contrastive_loss: CLIP's symmetric InfoNCE loss.

Source: Radford et al. 2021, "Learning Transferable Visual Models From Natural Language
Supervision" (Figure 3's pseudocode: L2-normalised embeddings, logits scaled by
``exp(t)``, the mean of the image->text and text->image cross-entropies; the learnable
log-temperature clipped so that the scale never exceeds 100). The sharded form follows
OpenCLIP's ``ClipLoss`` with ``local_loss=False, gather_with_grad=False``: every rank
computes the loss over the whole gathered batch, with its own embeddings (which carry
gradient) in place of their gathered copies.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F  # noqa: N812


def _check_pair(image_emb: torch.Tensor, text_emb: torch.Tensor) -> None:
    if image_emb.dim() != 2 or text_emb.dim() != 2:
        raise ValueError(
            f"embeddings must be 2-D (N, D), got {tuple(image_emb.shape)} and "
            f"{tuple(text_emb.shape)}"
        )
    if image_emb.shape != text_emb.shape:
        raise ValueError(
            f"image_emb {tuple(image_emb.shape)} and text_emb {tuple(text_emb.shape)} differ"
        )
    if image_emb.shape[0] == 0:
        raise ValueError("empty batch")


def clip_loss(
    image_emb: torch.Tensor,
    text_emb: torch.Tensor,
    logit_scale: torch.Tensor,
    *,
    max_scale: float = 100.0,
) -> torch.Tensor:
    """Symmetric InfoNCE loss of CLIP (Radford et al. 2021).

    Args:
        image_emb: ``(N, D)`` image embeddings (not normalised); row i matches text row i.
        text_emb: ``(N, D)`` text embeddings, same shape and dtype.
        logit_scale: 0-dim tensor, the learnable log inverse temperature.
        max_scale: the bound on ``exp(logit_scale)``.

    Returns:
        0-dim tensor of the embeddings' dtype: the mean of the two directions' losses.

    Raises:
        ValueError: embeddings not 2-D, of different shapes, or an empty batch.
    """
    _check_pair(image_emb, text_emb)
    # clamp in log space: the same scale as min(exp, max_scale), with no inf * 0 in backward
    scale = logit_scale.clamp(max=math.log(max_scale)).exp()
    u = F.normalize(image_emb, dim=-1)
    v = F.normalize(text_emb, dim=-1)
    logits = scale * (u @ v.T)
    labels = torch.arange(logits.shape[0], device=logits.device)
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))


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
    """One rank's loss in data-parallel training (OpenCLIP ``ClipLoss``, full loss per rank).

    Args:
        image_local: ``(n, D)`` this rank's image embeddings (they carry gradient).
        text_local: ``(n, D)`` this rank's text embeddings.
        image_gathered: S tensors ``(n_q, D)``, as ``torch.distributed.all_gather`` fills
            them on every rank (entry ``rank`` is a copy of ``image_local``).
        text_gathered: likewise for the texts.
        rank: this rank, in ``range(S)``.
        logit_scale: 0-dim tensor, as in :func:`clip_loss`.
        max_scale: as in :func:`clip_loss`.

    Returns:
        0-dim tensor: the unsharded loss of the concatenated batch, whose gradient reaches
        only ``image_local``, ``text_local`` and ``logit_scale``.

    Raises:
        ValueError: ``rank`` outside ``range(S)``, gathered lists of different lengths, or a
            gathered entry ``rank`` whose shape differs from the local one.
    """
    shards = len(image_gathered)
    if len(text_gathered) != shards:
        raise ValueError(f"{shards} image shards but {len(text_gathered)} text shards")
    if not 0 <= rank < shards:
        raise ValueError(f"rank {rank} outside range({shards})")
    if (
        image_gathered[rank].shape != image_local.shape
        or text_gathered[rank].shape != text_local.shape
    ):
        raise ValueError("the gathered entry of this rank does not have the local shape")
    images = [g.detach() for g in image_gathered]
    texts = [g.detach() for g in text_gathered]
    images[rank] = image_local
    texts[rank] = text_local
    return clip_loss(torch.cat(images), torch.cat(texts), logit_scale, max_scale=max_scale)
