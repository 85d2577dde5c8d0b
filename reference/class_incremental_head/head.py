"""A classifier head that learns new classes without disturbing the old ones (reference).

Softmax cross-entropy couples every class through the normalisation: adding a class changes
the probability of every old class, and training the new classes on new data only pushes the
old logits down (their gradient is p_c > 0 on every new sample), so old classes are forgotten
and predictions drift toward the newest classes. This head avoids the coupling:

- one independent sigmoid (binary cross-entropy) per class: a class's probability depends on
  its own logit only (the "sigmoid instead of softmax" fix of the interview question; also e.g.
  Wightman et al. 2021, "ResNet strikes back", for BCE training of classifiers);
- cosine-normalised logits, scale * cos(features, w_c) + b_c (Hou et al. 2019, "Learning a
  Unified Classifier Incrementally via Rebalancing", LUCIR; Gidaris & Komodakis 2018): a class
  trained later cannot win by growing a larger weight norm;
- add_classes consolidates: the parameters of the classes learned so far are frozen (they get
  no gradient), so their outputs for a given feature vector never change again.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


class IncrementalHead(nn.Module):
    """Per-class sigmoid head with cosine-normalised weights and consolidated old classes."""

    def __init__(self, in_features: int, num_classes: int, scale: float = 16.0) -> None:
        super().__init__()
        if not isinstance(in_features, int) or in_features < 1:
            raise ValueError(f"in_features must be an int >= 1, got {in_features!r}")
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be an int >= 1, got {num_classes!r}")
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale!r}")
        self.in_features = in_features
        self.scale = float(scale)
        # one (weight, bias) block per add: earlier blocks are frozen
        self.weights = nn.ParameterList([nn.Parameter(torch.randn(num_classes, in_features))])
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(num_classes))])

    @property
    def num_classes(self) -> int:
        """Number of classes so far."""
        return sum(w.shape[0] for w in self.weights)

    @property
    def weight(self) -> torch.Tensor:
        """(C, in_features) weights of every class, oldest first."""
        return torch.cat(list(self.weights), dim=0)

    @property
    def bias(self) -> torch.Tensor:
        """(C,) biases of every class, oldest first."""
        return torch.cat(list(self.biases), dim=0)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits scale * cos(features, w_c) + b_c, shape (B, C)."""
        if (
            features.dim() != 2
            or features.shape[1] != self.in_features
            or not features.is_floating_point()
        ):
            raise ValueError(
                f"features must be a floating tensor of shape (B, {self.in_features}), "
                f"got {features.dtype} {tuple(features.shape)}"
            )
        x = F.normalize(features, dim=1)
        w = F.normalize(self.weight, dim=1)
        return self.scale * (x @ w.T) + self.bias

    def predict_proba(self, features: torch.Tensor) -> torch.Tensor:
        """Independent per-class probabilities sigmoid(logits), shape (B, C)."""
        return torch.sigmoid(self(features))

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        """The class with the largest logit (lowest index on ties), int64 of shape (B,)."""
        return torch.argmax(self(features), dim=1)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Binary cross-entropy against one-hot targets: summed over classes, mean over batch."""
        if (
            targets.dtype.is_floating_point
            or targets.dtype.is_complex
            or targets.dtype == torch.bool
        ):
            raise TypeError("targets must be an integer tensor")
        C = self.num_classes
        if logits.dim() != 2 or logits.shape[0] < 1 or logits.shape[1] != C:
            raise ValueError(f"logits must be (B, {C}) with B >= 1, got {tuple(logits.shape)}")
        if targets.shape != (logits.shape[0],):
            raise ValueError("targets must be (B,), one per row of the logits")
        if int(targets.min()) < 0 or int(targets.max()) >= C:
            raise ValueError(f"targets must lie in [0, {C})")
        onehot = F.one_hot(targets.long(), C).to(logits.dtype)
        per_class = F.binary_cross_entropy_with_logits(logits, onehot, reduction="none")
        return per_class.sum(dim=1).mean()

    def add_classes(self, k: int) -> None:
        """Freeze every existing class, then append k new trainable classes."""
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be an int >= 1, got {k!r}")
        for p in (*self.weights, *self.biases):
            p.requires_grad_(False)
        old = self.weights[0]
        self.weights.append(
            nn.Parameter(torch.randn(k, self.in_features).to(device=old.device, dtype=old.dtype))
        )
        self.biases.append(nn.Parameter(torch.zeros(k, device=old.device, dtype=old.dtype)))
