"""Oracles of the magnitude_pruning hidden suite, independent of any submission: the prunable
weights found by module type, brute-force global masks (a Python sort of (|w|, parameter
position, flat index) tuples), brute-force 2:4 masks (a loop over groups), and masked training
re-run by the judge on its own copy of the model with ``torch.func.functional_call``."""

import copy

import inside as models
import numpy as np
import pytest
import torch
from torch.func import functional_call
from torch.nn import functional as F  # noqa: N812


def prunable_names(model) -> list[str]:
    """Names (named_parameters order) of the weights of Linear/Conv1d/2d/3d modules."""
    owners = {id(m.weight) for m in model.modules() if isinstance(m, models.PRUNABLE)}
    return [n for n, p in model.named_parameters() if id(p) in owners]


def oracle_global_masks(model, sparsity: float) -> dict[str, torch.Tensor]:
    """Brute force: sort every prunable element by (|w|, parameter position, flat index)."""
    params = dict(model.named_parameters())
    names = prunable_names(model)
    entries = []
    for pos, name in enumerate(names):
        values = params[name].detach().double().abs().reshape(-1).tolist()
        entries += [(v, pos, i) for i, v in enumerate(values)]
    k = round(sparsity * len(entries))
    masks = {n: np.ones(params[n].numel(), dtype=bool) for n in names}
    for _, pos, i in sorted(entries)[:k]:
        masks[names[pos]][i] = False
    return {n: torch.from_numpy(m.reshape(tuple(params[n].shape))) for n, m in masks.items()}


def oracle_two_four(weight: torch.Tensor) -> torch.Tensor:
    """Brute force: a loop over every group of 4 along dimension 1."""
    w = weight.detach().double().numpy()
    keep = np.zeros(w.shape, dtype=bool)
    moved = np.moveaxis(w, 1, -1)
    kmoved = np.moveaxis(keep, 1, -1)  # a view: writes land in keep
    for idx in np.ndindex(*moved.shape[:-1]):
        for g in range(0, moved.shape[-1], 4):
            group = [(-abs(moved[idx + (g + j,)]), j) for j in range(4)]
            for _, j in sorted(group)[:2]:
                kmoved[idx + (g + j,)] = True
    return torch.from_numpy(keep)


class _Optimizer:
    """SGD (momentum, weight decay), Adam and AdamW written out from their papers and PyTorch's
    documented update rules: the judge's own optimizer, no torch.optim."""

    def __init__(self, name: str, params: list, options: dict) -> None:
        self.name, self.params, self.t = name, params, 0
        self.lr = options["lr"]
        self.wd = options.get("weight_decay", 0.0 if name != "AdamW" else 1e-2)
        self.momentum = options.get("momentum", 0.0)
        self.b1, self.b2 = options.get("betas", (0.9, 0.999))
        self.eps = options.get("eps", 1e-8)
        self.state = [None] * len(params)

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        for i, p in enumerate(self.params):
            g = p.grad
            if self.name == "SGD":
                if self.wd:
                    g = g + self.wd * p
                if self.momentum:
                    buf = g.clone() if self.state[i] is None else self.momentum * self.state[i] + g
                    self.state[i] = buf
                    g = buf
                p -= self.lr * g
                continue
            if self.name == "AdamW":
                p *= 1 - self.lr * self.wd
            elif self.wd:
                g = g + self.wd * p
            m, v = self.state[i] or (torch.zeros_like(p), torch.zeros_like(p))
            m = self.b1 * m + (1 - self.b1) * g
            v = self.b2 * v + (1 - self.b2) * g * g
            self.state[i] = (m, v)
            denom = (v.sqrt() / (1 - self.b2**self.t) ** 0.5) + self.eps
            p -= (self.lr / (1 - self.b1**self.t)) * m / denom


def oracle_train(model, masks, batches, optimizer: str, options: dict, probe):
    """Masked training on the judge's copy: effective weight = parameter * mask in every
    forward (pruned entries constant zeros), the judge's own optimizer; after each step the
    effective masked weights and the output on ``probe``."""
    model = copy.deepcopy(model)
    params = {n: p.detach().clone().requires_grad_(True) for n, p in model.named_parameters()}
    with torch.no_grad():
        for n, m in masks.items():
            params[n].mul_(m)
    opt = _Optimizer(optimizer, list(params.values()), options)

    def effective():
        return {n: (p * masks[n] if n in masks else p) for n, p in params.items()}

    history = []
    for x, y in batches:
        for p in params.values():
            p.grad = None
        F.cross_entropy(functional_call(model, effective(), (x,)), y).backward()
        opt.step()
        with torch.no_grad():
            eff = effective()
            out = functional_call(model, eff, (probe,))
        history.append({"weights": {n: eff[n].detach().clone() for n in masks}, "output": out})
    return history


@pytest.fixture(scope="session")
def oracle():
    """The oracles as a namespace."""

    class Oracle:
        prunable = staticmethod(prunable_names)
        global_masks = staticmethod(oracle_global_masks)
        two_four = staticmethod(oracle_two_four)
        train = staticmethod(oracle_train)

    return Oracle


@pytest.fixture
def edge_net(torch_gen):
    """``edge_net(scales=..., grid=...)``: a float64 EdgeNet drawn from this test's generator."""

    def make(scales=(1.0, 1.0, 1.0, 1.0), grid=0.0):
        return models.EdgeNet(torch_gen, scales, grid).double()

    return make
