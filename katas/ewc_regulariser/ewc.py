"""Elastic Weight Consolidation for a model that must keep learning.

Fill in fisher_diagonal and the OnlineEWC class. Read README.md first: it defines the Fisher
estimate, the online update and the penalty exactly, and states the performance target.
"""

from __future__ import annotations

import torch


def fisher_diagonal(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    *,
    n_samples: int = 1,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Monte Carlo estimate of the diagonal of the Fisher information of a classifier.

    F = E_x E_{y ~ p(y | x)} [(d log p(y | x) / d theta) ** 2] with p = softmax(model(x)) and
    x over the rows of ``inputs``; ``n_samples`` labels are drawn per input from p(. | x) with
    ``generator`` (Kirkpatrick et al. 2017; Martens 2020 on the true vs empirical Fisher).

    Args:
        model: maps a batch (B, *) to logits (B, C).
        inputs: (N, *) tensor, N >= 1.
        n_samples: labels drawn per input (int >= 1).
        generator: torch.Generator for the label draws (None: torch's global generator).

    Returns:
        {name: tensor} for every parameter with requires_grad, by model.named_parameters()
        name, each of the parameter's shape, dtype and device: the mean over the N * n_samples
        (input, label) pairs of the squared per-pair gradient.

    Raises:
        ValueError: n_samples is not an int >= 1, or inputs holds no sample.
    """
    raise NotImplementedError


class OnlineEWC:
    """Online EWC (Schwarz et al. 2018) with a normalised Fisher.

    Args:
        lam: penalty strength lambda >= 0.
        gamma: decay of the running Fisher at each consolidation, in [0, 1].

    Raises:
        ValueError: lam < 0 or gamma outside [0, 1].
    """

    def __init__(self, lam: float, gamma: float = 1.0) -> None:
        raise NotImplementedError

    @property
    def fisher(self) -> dict[str, torch.Tensor]:
        """The running Fisher F (unnormalised), by parameter name; {} before any consolidate."""
        raise NotImplementedError

    def consolidate(self, model: torch.nn.Module, fisher: dict[str, torch.Tensor]) -> None:
        """End of a task: F <- gamma * F + fisher (F <- fisher the first time), and the anchor
        theta* becomes a copy of the model's current values of those parameters.

        Raises:
            ValueError: a name that is not a parameter of the model, a shape that differs from
                the parameter's, or names that differ from the ones consolidated before.
        """
        raise NotImplementedError

    def penalty(self, model: torch.nn.Module) -> torch.Tensor:
        """(lam / 2) * sum_i (F_i / max_j F_j) * (theta_i - theta*_i) ** 2 over every entry of
        every consolidated parameter: a scalar tensor that backpropagates to the parameters;
        zero before any consolidate (and when max F = 0)."""
        raise NotImplementedError
