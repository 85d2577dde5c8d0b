"""Fixtures of the overfit_one_batch hidden suite: the modules and planted setups (small
classifiers on synthetic, learnable data, each with one known bug or none)."""

from dataclasses import dataclass, field

import pytest
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

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
    loss_fn: object
    kwargs: dict = field(default_factory=dict)
    expected: frozenset = frozenset()


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


class Detached(nn.Module):
    """The first layer's output is detached: that layer never gets a gradient."""

    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.l1, self.l2 = nn.Linear(D, 64), nn.Linear(64, C)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x)).detach())


class WithUnused(nn.Module):
    """A head that is built but never used in forward."""

    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.body, self.aux = mlp(seed), nn.Linear(D, C)

    def forward(self, x):
        return self.body(x)


class Residual(nn.Module):
    """A healthy model with a non-sequential forward and layer norm."""

    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.inp, self.block, self.norm = nn.Linear(D, 48), nn.Linear(48, 48), nn.LayerNorm(48)
        self.out = nn.Linear(48, C)

    def forward(self, x):
        h = F.relu(self.inp(x))
        return self.out(self.norm(h + F.relu(self.block(h))))


def step_no_zero_grad(model, batch, loss_fn, optimizer):
    """The planted bug: never clears .grad."""
    x, y = batch
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_zero_after(model, batch, loss_fn, optimizer):
    """Healthy: clears the gradients (to zeros, not None) after the update."""
    x, y = batch
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=False)
    return loss.item()


def step_model_zero_grad(model, batch, loss_fn, optimizer):
    """Healthy: model.zero_grad() first, returns the loss as a tensor."""
    x, y = batch
    model.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


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
                Setup("MLP, zero_grad after the update", mlp(s + 1), (x, y), ce, dict(train_step=step_zero_after)),
                Setup("MLP, model.zero_grad, tensor loss", mlp(s + 2), (x, y), ce, dict(train_step=step_model_zero_grad)),
                Setup("MLP, functional cross_entropy", mlp(s + 3), (x, y), F.cross_entropy),
                Setup("residual MLP with LayerNorm", Residual(s), (x, y), ce),
            ]  # fmt: skip
        if kind == "softmax":
            return [
                Setup("MLP ending in Softmax", mlp(s, softmax=True), (x, y), ce, expected=frozenset({"probabilities_into_cross_entropy"})),
            ]  # fmt: skip
        if kind == "accumulate":
            return [
                Setup("step without zero_grad", mlp(s), (x, y), ce, dict(train_step=step_no_zero_grad), frozenset({"gradients_accumulate"})),
            ]  # fmt: skip
        if kind == "frozen":
            first = mlp(s)
            first[0].requires_grad_(False)
            every = mlp(s + 1)
            every.requires_grad_(False)
            want = frozenset({"frozen_parameters"})
            return [
                Setup("first layer frozen", first, (x, y), ce, expected=want),
                Setup("detach() in forward", Detached(s), (x, y), ce, expected=want),
                Setup("a layer never used", WithUnused(s), (x, y), ce, expected=want),
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
