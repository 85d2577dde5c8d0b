"""The bar of the oov_embeddings performance gate: a plain vectorised forward (validation, two
gathers and a product, one gather for the fallback, torch.where), as the statement asks for.
Visible only in the baseline sandbox."""

import torch
from torch import nn


class PlainOOV(nn.Module):
    """The statement's three tables and a plain, idiomatic vectorised forward."""

    def __init__(self, num_quotient: int, num_remainder: int, num_categories: int, dim: int):
        super().__init__()
        self.q, self.r, self.c = num_quotient, num_remainder, num_categories
        self.quotient = nn.Embedding(num_quotient, dim)
        self.remainder = nn.Embedding(num_remainder, dim)
        self.category = nn.Embedding(num_categories + 1, dim)

    def forward(self, buckets, category_ids, in_window):
        if buckets.dim() != 1 or category_ids.shape != buckets.shape:
            raise ValueError("shapes")
        if in_window.shape != buckets.shape or in_window.dtype != torch.bool:
            raise ValueError("in_window")
        if buckets.dtype.is_floating_point or category_ids.dtype.is_floating_point:
            raise ValueError("dtypes")
        if len(buckets) and (buckets.min() < 0 or buckets.max() >= self.q * self.r):
            raise ValueError("buckets out of range")
        if len(buckets) and (category_ids.min() < -1 or category_ids.max() >= self.c):
            raise ValueError("categories out of range")
        hashed = self.quotient(buckets // self.r) * self.remainder(buckets % self.r)
        fallback = self.category(torch.where(category_ids < 0, self.c, category_ids))
        return torch.where(in_window[:, None], hashed, fallback)
