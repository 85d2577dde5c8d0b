"""Choosing what to label next: uncertainty from a cheap proxy model, diversity from a
k-center core-set.

Fill in the three functions below. Read README.md first: it defines the entropy, the greedy
rule, the tie-breaks, the candidate pool and the performance target.
"""

from __future__ import annotations

import torch


def predictive_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of softmax(logits) per row, in nats.

    Args:
        logits: (n, C) floating tensor; -inf marks a masked class, every row has a finite entry.

    Returns:
        (n,) float64 tensor, with 0 * log 0 taken as 0.

    Raises:
        ValueError: not a 2-D floating tensor, C == 0, a NaN or +inf, or a row of only -inf.
    """
    raise NotImplementedError


def k_center_greedy(
    features: torch.Tensor, k: int, *, labelled: torch.Tensor | None = None
) -> torch.Tensor:
    """k-center greedy (Sener & Savarese 2018): repeatedly pick the point farthest from every
    centre so far (the labelled points and the earlier picks).

    Args:
        features: (n, d) floating tensor; Euclidean distances computed in float64.
        k: number of picks, 1 <= k <= n - len(labelled).
        labelled: 1-D integer tensor of distinct indices already labelled (None: none).

    Returns:
        (k,) int64 tensor of distinct indices, in pick order, never a labelled one. Without
        labelled points the first pick is index 0. Ties go to the lowest index.

    Raises:
        ValueError: bad features, k out of range, or bad labelled indices.
    """
    raise NotImplementedError


def select_batch(
    logits: torch.Tensor,
    features: torch.Tensor,
    k: int,
    *,
    labelled: torch.Tensor | None = None,
    pool_size: int | None = None,
) -> torch.Tensor:
    """A labelling batch that is uncertain and diverse.

    The candidates are the pool_size unlabelled points of highest predictive entropy; k-center
    greedy over them, with the labelled points as initial centres, picks the batch. See
    README.md for the exact rules.

    Args:
        logits: (n, C) proxy-model logits.
        features: (n, d) proxy-model embeddings.
        k: batch size, 1 <= k <= number of unlabelled points.
        labelled: 1-D integer tensor of distinct labelled indices (None: none).
        pool_size: number of candidates, k <= pool_size <= unlabelled points (None:
            min(unlabelled points, 10 * k)).

    Returns:
        (k,) int64 tensor of distinct indices into the n points, in pick order.

    Raises:
        ValueError: bad shapes, k, pool_size or labelled indices.
    """
    raise NotImplementedError
