"""Model classes and drivers of the robustness_eval hidden suite.

The model classes live here so the judge can send instances into the sandbox (a module is
pickled, so its class must be importable on both sides). The batch-size driver runs next to
the model (a forward hook cannot cross the channel). Nothing here is a solution.
"""

from __future__ import annotations

import torch


class Linear(torch.nn.Module):
    """A random linear classifier on flattened images: very sensitive to small rotations of
    noise images."""

    def __init__(self, pixels: int, classes: int, gen: torch.Generator):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(classes, pixels, generator=gen))

    def forward(self, x):
        return x.flatten(1) @ self.weight.T


class Stochastic(torch.nn.Module):
    """Dropout and batch norm: different in train mode, deterministic in eval mode."""

    def __init__(self, pixels: int, gen: torch.Generator):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(10, pixels, generator=gen))
        self.drop = torch.nn.Dropout(0.5)
        self.norm = torch.nn.BatchNorm1d(10)

    def forward(self, x):
        return self.norm(self.drop(x.flatten(1)) @ self.weight.T)


class Constant(torch.nn.Module):
    """Every logit 0 for every image: all classes tie."""

    def __init__(self, classes: int):
        super().__init__()
        self.classes = classes

    def forward(self, x):
        return torch.zeros(x.shape[0], self.classes)


def eval_batch_sizes(model, images, labels, angles, scales, batch_size=None):
    """``robustness_eval`` with a forward pre-hook on ``model`` recording the batch sizes it
    saw: (report, sizes)."""
    import robustness

    seen: list[int] = []
    hook = model.register_forward_pre_hook(lambda _m, args: seen.append(int(args[0].shape[0])))
    try:
        report = robustness.robustness_eval(
            model, images, labels, angles, scales, batch_size=batch_size
        )
    finally:
        hook.remove()
    return report, seen
