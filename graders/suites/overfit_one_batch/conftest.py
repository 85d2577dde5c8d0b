"""Fixtures of the overfit_one_batch hidden suite: planted setups (small classifiers on
synthetic, learnable data, each with one known bug or none). The model classes and the planted
training steps live in inside.py (they must exist in the sandbox); a setup names its step and
its functional loss, which inside.run_check resolves there."""

from dataclasses import dataclass, field

import inside as planted
import pytest
import torch
from torch import nn

D, C, N = 16, 4, 128  # input size, classes, batch size
CORE = {
    "probabilities_into_cross_entropy",
    "gradients_accumulate",
    "frozen_parameters",
    "labels_misaligned",
    "learning_rate_too_low",
}


@dataclass
class Setup:
    """One planted setup: what to call sanity_check with, and the issues it must report."""

    name: str
    model: nn.Module
    batch: tuple
    loss_fn: object  # an nn.Module, or the name of a functional loss in inside.LOSSES
    kwargs: dict = field(default_factory=dict)
    expected: frozenset = frozenset()
    step: str | None = None  # the name of a train_step in inside.STEPS (None: standard_step)


def blobs(gen: torch.Generator, n: int = N):
    """Gaussian clusters, one per class, labels in random order (learnable, generalisable)."""
    centres = 1.5 * torch.randn(C, D, generator=gen)
    y = (torch.arange(n) % C)[torch.randperm(n, generator=gen)]
    return centres[y] + torch.randn(n, D, generator=gen), y


def mlp(seed: int, hidden: int = 64, softmax: bool = False) -> nn.Sequential:
    """A seeded 2-layer ReLU MLP, optionally ending in a Softmax."""
    torch.manual_seed(seed)
    layers = [nn.Linear(D, hidden), nn.ReLU(), nn.Linear(hidden, C)]
    if softmax:
        layers.append(nn.Softmax(dim=1))
    return nn.Sequential(*layers)


@pytest.fixture
def setups(kata_seed, torch_gen):
    """``setups(kind)``: the planted setups of one kind ('healthy', 'softmax', 'accumulate',
    'frozen', 'misaligned', 'lr'), built from the grading seed."""

    def make(kind: str) -> list[Setup]:
        x, y = blobs(torch_gen)
        ce = nn.CrossEntropyLoss()
        s = kata_seed
        if kind == "healthy":
            return [
                Setup("MLP, standard step", mlp(s), (x, y), ce),
                Setup("MLP, zero_grad after the update", mlp(s + 1), (x, y), ce, step="step_zero_after"),
                Setup("MLP, model.zero_grad, tensor loss", mlp(s + 2), (x, y), ce, step="step_model_zero_grad"),
                Setup("MLP, functional cross_entropy", mlp(s + 3), (x, y), "functional_cross_entropy"),
                Setup("residual MLP with LayerNorm", planted.Residual(s), (x, y), ce),
            ]  # fmt: skip
        if kind == "softmax":
            return [
                Setup("MLP ending in Softmax", mlp(s, softmax=True), (x, y), ce, expected=frozenset({"probabilities_into_cross_entropy"})),
            ]  # fmt: skip
        if kind == "accumulate":
            return [
                Setup("step without zero_grad", mlp(s), (x, y), ce, expected=frozenset({"gradients_accumulate"}), step="step_no_zero_grad"),
            ]  # fmt: skip
        if kind == "frozen":
            first = mlp(s)
            first[0].requires_grad_(False)
            every = mlp(s + 1)
            every.requires_grad_(False)
            want = frozenset({"frozen_parameters"})
            return [
                Setup("first layer frozen", first, (x, y), ce, expected=want),
                Setup("detach() in forward", planted.Detached(s), (x, y), ce, expected=want),
                Setup("a layer never used", planted.WithUnused(s), (x, y), ce, expected=want),
                Setup("every parameter frozen", every, (x, y), ce, expected=want),
            ]
        if kind == "misaligned":
            shuffled = y[torch.randperm(N, generator=torch_gen)]
            want = frozenset({"labels_misaligned"})
            return [
                Setup("labels shuffled against the inputs", mlp(s), (x, shuffled), ce, expected=want),
                Setup("labels from another batch", mlp(s + 1), (x, blobs(torch_gen)[1]), ce, expected=want),
            ]  # fmt: skip
        if kind == "lr":
            return [
                Setup("lr = 1e-7", mlp(s), (x, y), ce, dict(lr=1e-7), frozenset({"learning_rate_too_low"})),
                Setup("lr = 1e-9, max_steps = 40", mlp(s + 1), (x, y), ce, dict(lr=1e-9, max_steps=40), frozenset({"learning_rate_too_low"})),
            ]  # fmt: skip
        raise KeyError(kind)

    return make


@pytest.fixture
def timed_setups(kata_seed):
    """``timed_setups(softmax)``: a maker of fresh (model, batch, loss_fn) for the performance
    gates: a new seeded MLP each call, one of four pre-drawn batches."""

    def maker(softmax: bool):
        gen = torch.Generator().manual_seed(kata_seed)
        batches = [blobs(gen) for _ in range(4)]
        counter = iter(range(10**9))

        def make():
            i = next(counter)
            return mlp(kata_seed + i, softmax=softmax), batches[i % 4], nn.CrossEntropyLoss()

        return make

    return maker
