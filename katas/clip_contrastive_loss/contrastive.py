"""CLIP's symmetric contrastive loss (Radford et al. 2021), unsharded and sharded.

Write the two functions below; README.md states every rule the hidden tests check.
"""

from __future__ import annotations

import torch


def clip_loss(
    image_emb: torch.Tensor,
    text_emb: torch.Tensor,
    logit_scale: torch.Tensor,
    *,
    max_scale: float = 100.0,
) -> torch.Tensor:
    """Symmetric InfoNCE loss of a batch of N (image, text) pairs.

    Args:
        image_emb: ``(N, D)`` float32 or float64 image embeddings, not normalised; row i is
            the image of pair i.
        text_emb: ``(N, D)`` text embeddings of the same shape, dtype and device; row i is the
            text of pair i.
        logit_scale: 0-dim tensor of the same dtype and device: the learnable log of the
            inverse temperature; the logits are scaled by ``min(exp(logit_scale), max_scale)``.
        max_scale: the upper bound of the scale (CLIP: 100).

    Returns:
        A 0-dim tensor of the embeddings' dtype and device: the mean of the image->text and
        text->image cross-entropies (R1-R6), differentiable with respect to both embeddings
        and ``logit_scale``.

    Raises:
        ValueError: an embedding tensor that is not 2-D, shapes that differ, or N == 0 (R7).
    """
    raise NotImplementedError


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
    """The loss one rank computes in data-parallel training (R8, R9).

    Args:
        image_local: ``(n, D)`` this rank's image embeddings.
        text_local: ``(n, D)`` this rank's text embeddings.
        image_gathered: a list of S tensors ``(n_q, D)``, q = 0 .. S-1, as
            ``torch.distributed.all_gather`` fills it on every rank: entry q holds rank q's
            image embeddings (entry ``rank`` a copy of ``image_local``). Shards may differ in
            size.
        text_gathered: the same for the texts.
        rank: this rank, an ``int`` in ``range(S)``.
        logit_scale: 0-dim tensor, as in :func:`clip_loss`.
        max_scale: as in :func:`clip_loss`.

    Returns:
        A 0-dim tensor: the value of :func:`clip_loss` on the whole concatenated batch, whose
        gradient flows only into ``image_local``, ``text_local`` and ``logit_scale``.

    Raises:
        ValueError: ``rank`` not in ``range(S)``, the two lists of different lengths, or a
            gathered entry ``rank`` whose shape differs from the local tensor's (R7).
    """
    raise NotImplementedError
