"""Style A: keyed BLAKE2b (hashlib) per id for the buckets; forward computes both branches for
every row with nn.Embedding module calls and merges them with torch.where."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch
from torch import nn


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def bucket_ids(item_ids: Sequence[str], num_buckets: int, *, seed: int = 0) -> torch.Tensor:
    """Hash each item id into [0, num_buckets) with BLAKE2b keyed by the seed."""
    if isinstance(item_ids, str):
        raise TypeError("item_ids must be a sequence of str, not a str")
    ids = list(item_ids)
    for x in ids:
        if not isinstance(x, str):
            raise TypeError(f"item id {x!r} is not a str")
    if not _is_int(num_buckets) or num_buckets < 1:
        raise ValueError("num_buckets must be an int >= 1")
    if not _is_int(seed) or seed < 0:
        raise ValueError("seed must be an int >= 0")
    key = seed.to_bytes((seed.bit_length() + 7) // 8 or 1, "little")
    if len(key) > 64:  # blake2b keys are at most 64 bytes: fold longer seeds
        key = hashlib.blake2b(key).digest()
    out = []
    for x in ids:
        digest = hashlib.blake2b(
            x.encode("utf-8", "surrogatepass"), digest_size=8, key=key, person=b"oov-bkt"
        ).digest()
        out.append((int.from_bytes(digest, "little") >> 1) % num_buckets)  # 63 bits: fits int64
    return torch.tensor(out, dtype=torch.int64).reshape(len(out))


class OOVEmbedding(nn.Module):
    """Quotient-remainder hashed item embeddings with a category fallback."""

    def __init__(
        self, num_quotient: int, num_remainder: int, num_categories: int, dim: int, *, seed: int = 0
    ) -> None:
        super().__init__()
        for name, v in (("num_quotient", num_quotient), ("num_remainder", num_remainder),
                        ("num_categories", num_categories), ("dim", dim)):
            if not _is_int(v) or v < 1:
                raise ValueError(f"{name} must be an int >= 1")
        if not _is_int(seed) or seed < 0:
            raise ValueError("seed must be an int >= 0")
        self.num_quotient = num_quotient
        self.num_remainder = num_remainder
        self.num_categories = num_categories
        self.dim = dim
        self.seed = seed
        self.quotient = nn.Embedding(num_quotient, dim)
        self.remainder = nn.Embedding(num_remainder, dim)
        self.category = nn.Embedding(num_categories + 1, dim)

    @staticmethod
    def _as_tensor(x, name):
        if not isinstance(x, torch.Tensor):
            try:
                x = torch.as_tensor(x)
            except Exception as exc:  # noqa: BLE001
                raise ValueError(f"{name} must be a tensor") from exc
        return x

    def _check(self, buckets, category_ids, in_window):
        buckets = self._as_tensor(buckets, "buckets")
        category_ids = self._as_tensor(category_ids, "category_ids")
        in_window = self._as_tensor(in_window, "in_window")
        if buckets.dim() != 1:
            raise ValueError("buckets must be 1-D")
        n = buckets.shape[0]
        if category_ids.shape != (n,) or in_window.shape != (n,):
            raise ValueError("buckets, category_ids and in_window must all have shape (N,)")
        for name, t in (("buckets", buckets), ("category_ids", category_ids)):
            if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
                raise ValueError(f"{name} must be an integer tensor")
        if in_window.dtype != torch.bool:
            raise ValueError("in_window must be a bool tensor")
        if n:
            total = self.num_quotient * self.num_remainder
            if int(buckets.min()) < 0 or int(buckets.max()) >= total:
                raise ValueError("bucket out of range [0, Q * R)")
            if int(category_ids.min()) < -1 or int(category_ids.max()) >= self.num_categories:
                raise ValueError("category id out of range [-1, num_categories)")
        return buckets.long(), category_ids.long(), in_window

    def forward(
        self, buckets: torch.Tensor, category_ids: torch.Tensor, in_window: torch.Tensor
    ) -> torch.Tensor:
        h, c, w = self._check(buckets, category_ids, in_window)
        dev = self.quotient.weight.device
        h, c, w = h.to(dev), c.to(dev), w.to(dev)
        r = self.num_remainder
        hashed = self.quotient(torch.div(h, r, rounding_mode="floor")) * self.remainder(h % r)
        cat_rows = torch.where(c < 0, torch.full_like(c, self.num_categories), c)
        fallback = self.category(cat_rows)
        return torch.where(w.unsqueeze(1), hashed, fallback)

    def embed(
        self, item_ids: Sequence[str], category_ids: torch.Tensor, in_window: torch.Tensor
    ) -> torch.Tensor:
        h = bucket_ids(item_ids, self.num_quotient * self.num_remainder, seed=self.seed)
        return self.forward(h, category_ids, in_window)
