"""Style B: consolidated classes live in buffers (not parameters at all); only the classes added
last are nn.Parameters. Cosine via a dot product divided by the outer product of norms, loss
written out with logsigmoid."""

from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn


class IncrementalHead(nn.Module):
    """Cosine classifier with per-class sigmoid outputs that can grow new classes."""

    def __init__(self, in_features: int, num_classes: int, scale: float = 16.0) -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("num_classes", num_classes)):
            if type(v) is bool or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        if type(scale) is bool or not isinstance(scale, numbers.Real):
            raise ValueError("scale must be a real number")
        if not (scale > 0) or math.isinf(scale):
            raise ValueError("scale must be a finite number > 0")
        self._d = int(in_features)
        self._scale = float(scale)
        # consolidated (frozen) classes: buffers, so no optimiser can ever see them
        self.register_buffer("frozen_weight", torch.zeros(0, self._d))
        self.register_buffer("frozen_bias", torch.zeros(0))
        # trainable classes (the latest group)
        self.live_weight = nn.Parameter(torch.randn(int(num_classes), self._d))
        self.live_bias = nn.Parameter(torch.zeros(int(num_classes)))

    @property
    def num_classes(self) -> int:
        return self.frozen_weight.shape[0] + self.live_weight.shape[0]

    @property
    def weight(self) -> torch.Tensor:
        return torch.cat((self.frozen_weight, self.live_weight), 0)

    @property
    def bias(self) -> torch.Tensor:
        return torch.cat((self.frozen_bias, self.live_bias), 0)

    @staticmethod
    def _cosine(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        dots = torch.einsum("bd,cd->bc", x, w)
        nx = x.norm(dim=1)
        nw = w.norm(dim=1)
        den = nx[:, None] * nw[None, :]
        ok = den > 0
        return torch.where(ok, dots / torch.where(ok, den, torch.ones_like(den)), torch.zeros_like(dots))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if not isinstance(features, torch.Tensor):
            raise ValueError("features must be a tensor")
        if not torch.is_floating_point(features):
            raise ValueError("features must be floating point")
        if features.ndim != 2 or features.shape[-1] != self._d:
            raise ValueError(f"features must have shape (B, {self._d})")
        x = features.to(dtype=self.live_weight.dtype)
        # frozen and live classes scored separately, so the frozen logits are bit-for-bit
        # independent of the classes added later
        frozen = self._scale * self._cosine(x, self.frozen_weight) + self.frozen_bias
        live = self._scale * self._cosine(x, self.live_weight) + self.live_bias
        return torch.cat((frozen, live), dim=1)

    def predict_proba(self, features: torch.Tensor) -> torch.Tensor:
        return self.forward(features).sigmoid()

    @torch.no_grad()
    def predict(self, features: torch.Tensor) -> torch.Tensor:
        logits = self.forward(features)
        # first index of the row maximum (explicit tie rule)
        is_max = logits == logits.max(dim=1, keepdim=True).values
        idx = torch.arange(logits.shape[1], device=logits.device).expand_as(logits)
        big = torch.full_like(idx, logits.shape[1])
        return torch.where(is_max, idx, big).min(dim=1).values.to(torch.int64)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        int_types = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
        if not isinstance(targets, torch.Tensor) or targets.dtype not in int_types:
            raise TypeError("targets must be an integer tensor")
        if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
            raise ValueError("logits must be 2-D")
        n, c = logits.shape
        if c != self.num_classes:
            raise ValueError("logits must have one column per class")
        if targets.ndim != 1 or targets.shape[0] != n or n == 0:
            raise ValueError("targets must be (B,) with B = logits.shape[0] >= 1")
        tmin, tmax = int(targets.min()), int(targets.max())
        if tmin < 0 or tmax >= c:
            raise ValueError("target out of range")
        y = torch.zeros_like(logits).scatter_(1, targets.long().unsqueeze(1), 1.0)
        # BCE with logits: -(y log sigmoid(z) + (1 - y) log sigmoid(-z))
        ll = y * F.logsigmoid(logits) + (1.0 - y) * F.logsigmoid(-logits)
        return -ll.sum() / n

    def add_classes(self, k: int) -> None:
        if type(k) is bool or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError("k must be an int >= 1")
        dev, dt = self.live_weight.device, self.live_weight.dtype
        self.frozen_weight = torch.cat((self.frozen_weight, self.live_weight.detach().clone()), 0)
        self.frozen_bias = torch.cat((self.frozen_bias, self.live_bias.detach().clone()), 0)
        self.live_weight = nn.Parameter(torch.randn(int(k), self._d).to(device=dev, dtype=dt))
        self.live_bias = nn.Parameter(torch.zeros(int(k), device=dev, dtype=dt))
