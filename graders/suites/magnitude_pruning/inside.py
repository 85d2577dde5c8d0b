"""Model classes and drivers of the magnitude_pruning hidden suite.

The model classes live here so the judge can send instances into the sandbox (a module is
pickled, so its class must be importable on both sides). ``apply_and_read`` and ``train_masked``
run next to the model because what ``apply_masks`` changes (a parametrization, a hook) and the
training loop that must not revive pruned weights cannot cross the channel: they return plain
tensors, which the judge compares with its own oracle. Nothing here is a solution.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


class Gate(nn.Module):
    """A custom module whose parameter is named ``weight``: never prunable."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.linspace(0.5, 1.5, n))

    def forward(self, x):
        return x * self.weight


class WideLinear(nn.Linear):
    """A subclass of nn.Linear: prunable like its base."""


class EdgeNet(nn.Module):
    """A small image classifier: Conv2d (+bias) / BatchNorm / Conv2d (no bias) / pooling /
    Linear subclass / LayerNorm / Gate / Linear. ``scales`` multiply each prunable weight, so
    layers sit at different magnitudes."""

    def __init__(self, gen: torch.Generator, scales=(1.0, 1.0, 1.0, 1.0), grid: float = 0.0):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1, bias=False),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), WideLinear(32, 16), nn.LayerNorm(16), Gate(16), nn.ReLU(),
            nn.Linear(16, 10),
        )  # fmt: skip
        _randomise(self, gen, scales, grid)

    def forward(self, x):
        return self.head(self.features(x))


class SignalNet(nn.Module):
    """Conv1d, Conv3d, Embedding, Linear: every prunable kind, and an Embedding (not prunable)."""

    def __init__(self, gen: torch.Generator, scales=(1.0, 1.0, 1.0), grid: float = 0.0):
        super().__init__()
        self.embed = nn.Embedding(12, 4)
        self.conv1d = nn.Conv1d(4, 6, 3)
        self.conv3d = nn.Conv3d(2, 3, (2, 2, 2))
        self.norm = nn.LayerNorm(6)
        self.out = nn.Linear(6, 5)
        _randomise(self, gen, scales, grid)

    def forward(self, tokens):
        h = self.conv1d(self.embed(tokens).transpose(1, 2)).mean(-1)
        return self.out(self.norm(h))


class MLP(nn.Module):
    """Linear(i, h) / Gate / Linear(h, o): N = h * (i + o) prunable weights."""

    def __init__(self, gen: torch.Generator, i: int, h: int, o: int):
        super().__init__()
        self.fc1 = nn.Linear(i, h)
        self.gate = Gate(h)
        self.fc2 = nn.Linear(h, o)
        _randomise(self, gen, (1.0, 1.0), 0.0)

    def forward(self, x):
        return self.fc2(torch.relu(self.gate(self.fc1(x))))


class Shared(nn.Module):
    """float16 Linear, BatchNorm buffers, one Gate registered under two names, odd sizes."""

    def __init__(self, gen: torch.Generator):
        super().__init__()
        self.fc1 = nn.Linear(3, 5)
        self.gate = Gate(5)
        self.again = self.gate  # the same module twice: its parameter counts once
        self.norm = nn.BatchNorm1d(5)
        self.fc2 = nn.Linear(5, 7, bias=False).half()
        self.conv = nn.Conv1d(1, 3, 3)
        _randomise(self, gen, (1.0, 1.0, 1.0), 0.0)


PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _randomise(model: nn.Module, gen: torch.Generator, scales, grid: float) -> None:
    """Every parameter from ``gen``; prunable weights times their scale, rounded to ``grid``
    (ties) when ``grid`` > 0; biases and other parameters O(1)."""
    with torch.no_grad():
        layers = [m for m in model.modules() if isinstance(m, PRUNABLE)]
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
        for layer, scale in zip(layers, scales, strict=True):
            w = torch.randn(layer.weight.shape, generator=gen) * scale
            if grid:
                w = torch.round(w / grid) * grid
            layer.weight.copy_(w)


def _param_slots(model: nn.Module) -> list[tuple[str, str, str]]:
    """(parameter name, owning module name, attribute) of every parameter, before pruning."""
    slots = []
    for name, _ in model.named_parameters():
        owner, _, attr = name.rpartition(".")
        slots.append((name, owner, attr))
    return slots


def _read(model: nn.Module, slots) -> dict:
    """Every parameter slot read through its module's attribute (what forward uses)."""
    return {
        name: getattr(model.get_submodule(owner), attr).detach().clone()
        for name, owner, attr in slots
    }


def apply_and_read(model, masks, x):
    """``apply_masks(model, masks)``; then every parameter read as ``module.attr`` and the
    model's output on ``x`` (no grad)."""
    import pruning

    slots = _param_slots(model)
    pruning.apply_masks(model, masks)
    weights = _read(model, slots)
    with torch.no_grad():
        out = model(x)
    return weights, out


def train_masked(model, masks, batches, optimizer: str, options: dict, probe):
    """``apply_masks``, then one ``optimizer`` (built after it over ``model.parameters()``)
    step per batch of cross-entropy. After each step: the masked weights read before any
    forward pass, the model's output on ``probe`` (no grad), then the masked weights read
    again."""
    import pruning

    slots = [s for s in _param_slots(model) if s[0] in masks]
    pruning.apply_masks(model, masks)
    opt = getattr(torch.optim, optimizer)(model.parameters(), **options)
    history = []
    for x, y in batches:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        before = _read(model, slots)
        with torch.no_grad():
            out = model(probe)
        history.append(
            {"before_forward": before, "output": out, "after_forward": _read(model, slots)}
        )
    return history
