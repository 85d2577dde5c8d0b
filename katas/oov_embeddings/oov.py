"""Embeddings for items the model has never seen: stable hashing, quotient-remainder tables and
a category fallback.

Fill in bucket_ids and the OOVEmbedding module. Read README.md first: it states what must be
stable, the exact table layout, the fallback rules and the performance target.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def bucket_ids(item_ids: Sequence[str], num_buckets: int, *, seed: int = 0) -> torch.Tensor:
    """Hash each item id into [0, num_buckets).

    Args:
        item_ids: a sequence (not a str) of str ids.
        num_buckets: number of buckets, an int >= 1.
        seed: selects the hash function, an int >= 0.

    Returns:
        int64 tensor of shape (N,): a deterministic function of (id, num_buckets, seed) alone,
        the same in every process, on every machine.

    Raises:
        TypeError: item_ids is a str or holds a non-str.
        ValueError: num_buckets or seed out of range.
    """
    raise NotImplementedError


class OOVEmbedding(nn.Module):
    """Quotient-remainder hashed item embeddings with a category fallback.

    Args:
        num_quotient: rows Q of the quotient table (int >= 1).
        num_remainder: rows R of the remainder table (int >= 1).
        num_categories: number of known categories (int >= 1).
        dim: embedding size (int >= 1).
        seed: the hash seed used by :meth:`embed` (int >= 0).

    Attributes:
        quotient: nn.Embedding(Q, dim); remainder: nn.Embedding(R, dim);
        category: nn.Embedding(num_categories + 1, dim), its last row for unknown categories.

    Raises:
        ValueError: an argument out of range.
    """

    def __init__(
        self, num_quotient: int, num_remainder: int, num_categories: int, dim: int, *, seed: int = 0
    ) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(
        self, buckets: torch.Tensor, category_ids: torch.Tensor, in_window: torch.Tensor
    ) -> torch.Tensor:
        """Embeddings of hashed items.

        Args:
            buckets: (N,) integer tensor of hashed ids h in [0, Q * R).
            category_ids: (N,) integer tensor in [-1, num_categories); -1 = unknown category.
            in_window: (N,) bool tensor: was the item seen in the training window?

        Returns:
            (N, dim) tensor: quotient[h // R] * remainder[h % R] (element-wise) where
            in_window, else category[c] (c = -1: the unknown-category row).

        Raises:
            ValueError: wrong shapes or dtypes, or a value out of range.
        """
        raise NotImplementedError

    def embed(
        self, item_ids: Sequence[str], category_ids: torch.Tensor, in_window: torch.Tensor
    ) -> torch.Tensor:
        """forward(bucket_ids(item_ids, Q * R, seed=self's seed), category_ids, in_window)."""
        raise NotImplementedError
