"""Style B: zlib crc32/adler32 fingerprint of the id followed by a seeded splitmix64 finaliser for the buckets;
forward gathers each branch only for its own rows (functional embedding) and scatters them
back with index_copy."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix64(z: int) -> int:
    """splitmix64 finaliser (a bijection of 64-bit ints with full avalanche)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _valid_int(v, lo: int) -> bool:
    return type(v) is not bool and isinstance(v, int) and v >= lo


def bucket_ids(item_ids: Sequence[str], num_buckets: int, *, seed: int = 0) -> torch.Tensor:
    """Bucket = mix64((crc32 | adler32 << 32)(utf8(id)) + salt(seed)) mod num_buckets."""
    if isinstance(item_ids, str):
        raise TypeError("item_ids must not be a str")
    items = tuple(item_ids)
    if not all(isinstance(s, str) for s in items):
        raise TypeError("every item id must be a str")
    if not _valid_int(num_buckets, 1):
        raise ValueError("num_buckets must be an int >= 1")
    if not _valid_int(seed, 0):
        raise ValueError("seed must be an int >= 0")
    salt = _mix64(((seed & _MASK64) * _GOLDEN + 1) & _MASK64)
    rest = seed >> 64
    while rest:  # seeds wider than 64 bits: fold the higher words in
        salt = _mix64(salt ^ (rest & _MASK64))
        rest >>= 64
    buckets = []
    for s in items:
        data = s.encode("utf-8", "surrogatepass")
        key = zlib.crc32(data) | (zlib.adler32(data) << 32)  # 64-bit fingerprint
        buckets.append((_mix64((key + salt) & _MASK64) >> 1) % num_buckets)  # 63 bits: fits int64
    return torch.as_tensor(buckets, dtype=torch.int64).view(-1)


class OOVEmbedding(nn.Module):
    """Quotient-remainder hashed item embeddings with a category fallback."""

    def __init__(
        self, num_quotient: int, num_remainder: int, num_categories: int, dim: int, *, seed: int = 0
    ) -> None:
        super().__init__()
        if not all(_valid_int(v, 1) for v in (num_quotient, num_remainder, num_categories, dim)):
            raise ValueError("num_quotient, num_remainder, num_categories and dim must be ints >= 1")
        if not _valid_int(seed, 0):
            raise ValueError("seed must be an int >= 0")
        self._shape = (num_quotient, num_remainder, num_categories, dim)
        self.seed = seed
        self.quotient = nn.Embedding(num_quotient, dim)
        self.remainder = nn.Embedding(num_remainder, dim)
        self.category = nn.Embedding(num_categories + 1, dim)

    def forward(
        self, buckets: torch.Tensor, category_ids: torch.Tensor, in_window: torch.Tensor
    ) -> torch.Tensor:
        q_rows, r_rows, n_cat, dim = self._shape
        args = []
        for x in (buckets, category_ids, in_window):
            if not torch.is_tensor(x):
                try:
                    x = torch.as_tensor(x)
                except Exception as exc:  # noqa: BLE001
                    raise ValueError("inputs must be tensors") from exc
            args.append(x)
        buckets, category_ids, in_window = args
        if buckets.ndim != 1 or category_ids.shape != buckets.shape or in_window.shape != buckets.shape:
            raise ValueError("inputs must be 1-D tensors of one length")
        int_types = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
        if buckets.dtype not in int_types or category_ids.dtype not in int_types:
            raise ValueError("buckets and category_ids must be integer tensors")
        if in_window.dtype is not torch.bool:
            raise ValueError("in_window must be bool")
        h = buckets.to(torch.int64)
        c = category_ids.to(torch.int64)
        if ((h < 0) | (h >= q_rows * r_rows)).any() or ((c < -1) | (c >= n_cat)).any():
            raise ValueError("bucket or category id out of range")

        dev = self.quotient.weight.device
        h, c, w = h.to(dev), c.to(dev), in_window.to(dev)
        hit = torch.nonzero(w).view(-1)
        miss = torch.nonzero(~w).view(-1)
        hh = h[hit]
        part_hit = F.embedding(hh // r_rows, self.quotient.weight) * F.embedding(
            hh % r_rows, self.remainder.weight
        )
        cc = c[miss]
        cc = torch.where(cc == -1, cc.new_tensor(n_cat), cc)
        part_miss = F.embedding(cc, self.category.weight)
        dtype = torch.promote_types(part_hit.dtype, part_miss.dtype)
        out = torch.zeros(h.shape[0], dim, dtype=dtype, device=dev)
        return out.index_copy(0, hit, part_hit.to(dtype)).index_copy(0, miss, part_miss.to(dtype))

    def embed(
        self, item_ids: Sequence[str], category_ids: torch.Tensor, in_window: torch.Tensor
    ) -> torch.Tensor:
        q_rows, r_rows, _, _ = self._shape
        return self(bucket_ids(item_ids, q_rows * r_rows, seed=self.seed), category_ids, in_window)
