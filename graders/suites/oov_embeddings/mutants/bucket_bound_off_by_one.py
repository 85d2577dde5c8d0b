# kills: test_correctness.py::test_bad_arguments
"""Mutant: buckets checked against Q * R inclusive: h = Q * R slips through and fails later with an IndexError."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch
from torch import nn


def _check_ids(item_ids: Sequence[str]) -> None:
    if isinstance(item_ids, str):
        raise TypeError("item_ids must be a sequence of str, not a str")
    for item in item_ids:
        if not isinstance(item, str):
            raise TypeError(f"item ids must be str, got {type(item).__name__}")


def bucket_ids(item_ids: Sequence[str], num_buckets: int, *, seed: int = 0) -> torch.Tensor:
    """Stable hash of each id into [0, num_buckets): int64 tensor of shape (N,)."""
    _check_ids(item_ids)
    if not isinstance(num_buckets, int) or isinstance(num_buckets, bool) or num_buckets < 1:
        raise ValueError(f"num_buckets must be an int >= 1, got {num_buckets!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    key = seed.to_bytes(8, "little") if seed < 2**64 else str(seed).encode()
    blake = hashlib.blake2b
    values = [
        int.from_bytes(blake(item.encode("utf-8"), digest_size=8, key=key).digest(), "little")
        % num_buckets
        for item in item_ids
    ]
    return torch.tensor(values, dtype=torch.int64)


class OOVEmbedding(nn.Module):
    """Quotient-remainder hashed item embeddings with a category fallback."""

    def __init__(
        self, num_quotient: int, num_remainder: int, num_categories: int, dim: int, *, seed: int = 0
    ) -> None:
        super().__init__()
        for name, value in (("num_quotient", num_quotient), ("num_remainder", num_remainder),
                            ("num_categories", num_categories), ("dim", dim)):  # fmt: skip
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        self.num_quotient, self.num_remainder = num_quotient, num_remainder
        self.num_categories, self.seed = num_categories, seed
        self.quotient = nn.Embedding(num_quotient, dim)
        self.remainder = nn.Embedding(num_remainder, dim)
        self.category = nn.Embedding(num_categories + 1, dim)  # last row: unknown category

    def forward(
        self, buckets: torch.Tensor, category_ids: torch.Tensor, in_window: torch.Tensor
    ) -> torch.Tensor:
        """(N, dim): Q[h // R] * R[h % R] for items in the training window, else the row of
        their category (the unknown-category row for category -1)."""
        if not torch.is_tensor(buckets) or buckets.dim() != 1:
            raise ValueError("buckets must be a 1-D tensor")
        if buckets.dtype.is_floating_point or buckets.dtype == torch.bool:
            raise ValueError("buckets must be integers")
        n = buckets.shape[0]
        if not torch.is_tensor(category_ids) or category_ids.shape != (n,):
            raise ValueError(f"category_ids must be a tensor of shape ({n},)")
        if category_ids.dtype.is_floating_point or category_ids.dtype == torch.bool:
            raise ValueError("category_ids must be integers")
        if (
            not torch.is_tensor(in_window)
            or in_window.shape != (n,)
            or in_window.dtype != torch.bool
        ):
            raise ValueError(f"in_window must be a bool tensor of shape ({n},)")
        virtual = self.num_quotient * self.num_remainder
        if n and (int(buckets.min()) < 0 or int(buckets.max()) > virtual):
            raise ValueError(f"buckets must lie in [0, {virtual})")
        if n and (int(category_ids.min()) < -1 or int(category_ids.max()) >= self.num_categories):
            raise ValueError(f"category ids must lie in [-1, {self.num_categories})")
        device = self.quotient.weight.device
        h = buckets.to(device=device, dtype=torch.int64)
        hashed = self.quotient(h // self.num_remainder) * self.remainder(h % self.num_remainder)
        cats = category_ids.to(device=device, dtype=torch.int64)
        fallback = self.category(torch.where(cats < 0, self.num_categories, cats))
        return torch.where(in_window.to(device).unsqueeze(1), hashed, fallback)

    def embed(
        self, item_ids: Sequence[str], category_ids: torch.Tensor, in_window: torch.Tensor
    ) -> torch.Tensor:
        """forward on the stable buckets of the ids: bucket_ids(item_ids, Q * R, seed=seed)."""
        buckets = bucket_ids(item_ids, self.num_quotient * self.num_remainder, seed=self.seed)
        return self(buckets, category_ids, in_window)
