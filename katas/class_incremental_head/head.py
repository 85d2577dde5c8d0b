"""A classifier head for a non-stationary stream: new classes arrive, old ones must stay.

Fill in the class below. Read README.md first: it states the exact outputs, the loss, what
add_classes must guarantee and the errors to raise.
"""

from __future__ import annotations

import torch
from torch import nn


class IncrementalHead(nn.Module):
    """A classification head over fixed-size feature vectors that can grow new classes.

    Args:
        in_features: size D of a feature vector (int >= 1).
        num_classes: number of classes at the start (int >= 1).
        scale: the fixed logit scale s > 0 (not learned).

    Raises:
        ValueError: in_features or num_classes not an int >= 1, or scale <= 0.
    """

    def __init__(self, in_features: int, num_classes: int, scale: float = 16.0) -> None:
        super().__init__()
        raise NotImplementedError

    @property
    def num_classes(self) -> int:
        """Number of classes so far (C)."""
        raise NotImplementedError

    @property
    def weight(self) -> torch.Tensor:
        """(C, D) tensor: the weight vector of every class, oldest class first."""
        raise NotImplementedError

    @property
    def bias(self) -> torch.Tensor:
        """(C,) tensor: the bias of every class, oldest class first."""
        raise NotImplementedError

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits of every class.

        Args:
            features: (B, D) floating tensor.

        Returns:
            (B, C) logits: scale * cos(features[b], weight[c]) + bias[c].

        Raises:
            ValueError: features is not a floating tensor of shape (B, D).
        """
        raise NotImplementedError

    def predict_proba(self, features: torch.Tensor) -> torch.Tensor:
        """(B, C) probabilities: for each class, the probability that the sample belongs to it."""
        raise NotImplementedError

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        """(B,) int64: the class with the largest logit, the lowest index on ties."""
        raise NotImplementedError

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The training loss of a batch (a scalar tensor that backpropagates to the logits).

        Args:
            logits: (B, C) output of forward.
            targets: (B,) integer class indices in [0, C).

        Raises:
            TypeError: targets is not an integer tensor.
            ValueError: logits not (B, C) with B >= 1 and C = num_classes, targets not (B,),
                or a target outside [0, C).
        """
        raise NotImplementedError

    def add_classes(self, k: int) -> None:
        """Add k new classes (indices C .. C+k-1), without changing what the head says about
        the classes it already has.

        Raises:
            ValueError: k is not an int >= 1.
        """
        raise NotImplementedError
