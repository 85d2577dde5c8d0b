"""Style A: one (weight, bias) Parameter chunk per task kept in ParameterLists; older chunks are
frozen (requires_grad off, .grad cleared) and detached in forward. Cosine via row-normalisation."""

from __future__ import annotations

import math

import torch
from torch import nn


def _is_pos_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 1


def _unit_rows(m: torch.Tensor) -> torch.Tensor:
    """Rows divided by their norm; zero rows stay zero (cos with a zero vector is 0)."""
    scale = m.detach().abs().amax(dim=1, keepdim=True)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    m = m / scale  # avoid under/overflow of the norm; the direction is unchanged
    norm = torch.linalg.vector_norm(m, dim=1, keepdim=True)
    safe = torch.where(norm > 0, norm, torch.ones_like(norm))
    return m / safe


class IncrementalHead(nn.Module):
    """Cosine classifier with per-class sigmoid outputs that can grow new classes."""

    def __init__(self, in_features: int, num_classes: int, scale: float = 16.0) -> None:
        super().__init__()
        if not _is_pos_int(in_features):
            raise ValueError("in_features must be an int >= 1")
        if not _is_pos_int(num_classes):
            raise ValueError("num_classes must be an int >= 1")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)):
            raise ValueError("scale must be a number")
        if not (0.0 < float(scale) < math.inf):
            raise ValueError("scale must be > 0")
        self.in_features = in_features
        self.scale = float(scale)
        self.weights = nn.ParameterList([nn.Parameter(torch.randn(num_classes, in_features))])
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(num_classes))])

    @property
    def num_classes(self) -> int:
        return sum(int(w.shape[0]) for w in self.weights)

    def _chunks(self):
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            if i < last:  # consolidated: never part of any graph
                yield w.detach(), b.detach()
            else:
                yield w, b

    @property
    def weight(self) -> torch.Tensor:
        return torch.cat([w for w, _ in self._chunks()], dim=0)

    @property
    def bias(self) -> torch.Tensor:
        return torch.cat([b for _, b in self._chunks()], dim=0)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if (
            not isinstance(features, torch.Tensor)
            or not features.is_floating_point()
            or features.dim() != 2
            or features.shape[1] != self.in_features
        ):
            raise ValueError(f"features must be a (B, {self.in_features}) floating tensor")
        dtype = self.weights[-1].dtype
        ux = _unit_rows(features.to(dtype))
        # one matmul per class group: a group's logits never depend on how many classes follow
        parts = [self.scale * (ux @ _unit_rows(w).t()) + b for w, b in self._chunks()]
        return torch.cat(parts, dim=1)

    def predict_proba(self, features: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self(features))

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return torch.argmax(self(features), dim=1).to(torch.int64)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if not isinstance(targets, torch.Tensor) or targets.is_floating_point() or targets.is_complex() or targets.dtype == torch.bool:
            raise TypeError("targets must be an integer tensor")
        C = self.num_classes
        if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[1] != C:
            raise ValueError(f"logits must be (B, {C})")
        B = logits.shape[0]
        if targets.shape != (B,) or B == 0:
            raise ValueError("targets must be (B,) with B >= 1 matching the logits")
        if bool((targets < 0).any()) or bool((targets >= C).any()):
            raise ValueError("targets must lie in [0, C)")
        onehot = torch.nn.functional.one_hot(targets.to(torch.long), C).to(logits.dtype)
        per_entry = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, onehot, reduction="none"
        )
        return per_entry.sum(dim=1).mean()

    def add_classes(self, k: int) -> None:
        if not _is_pos_int(k):
            raise ValueError("k must be an int >= 1")
        ref_w, ref_b = self.weights[-1], self.biases[-1]
        for p in list(self.weights) + list(self.biases):
            p.requires_grad_(False)
            p.grad = None
        new_w = torch.randn(k, self.in_features).to(device=ref_w.device, dtype=ref_w.dtype)
        new_b = torch.zeros(k, device=ref_b.device, dtype=ref_b.dtype)
        self.weights.append(nn.Parameter(new_w))
        self.biases.append(nn.Parameter(new_b))
