"""Style A: torch.func vmap(grad(...)) over (input, label) pairs, processed in fixed-size chunks
whose squared gradients are accumulated; OnlineEWC keeps plain dicts and builds the penalty with
a Python sum over parameter tensors."""

from __future__ import annotations

import math

import torch
from torch.func import functional_call, grad, vmap

_CHUNK = 4096  # (input, label) pairs per vmapped call


def _check_n_samples(n_samples) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError("n_samples must be an int >= 1")
    return n_samples


@torch.no_grad()
def _draw_labels(model, inputs, n_samples, generator) -> torch.Tensor:
    """(N, n_samples) labels drawn from softmax(model(inputs))."""
    logits = model(inputs)
    probs = torch.softmax(logits.detach().to(torch.float64), dim=-1)
    return torch.multinomial(probs, n_samples, replacement=True, generator=generator)


def fisher_diagonal(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    *,
    n_samples: int = 1,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Monte Carlo diagonal Fisher: mean over pairs of (d log p(y | x) / d theta) ** 2."""
    n_samples = _check_n_samples(n_samples)
    if not isinstance(inputs, torch.Tensor) or inputs.dim() == 0 or inputs.shape[0] == 0:
        raise ValueError("inputs must hold at least one sample")
    named = dict(model.named_parameters())
    trainable = {n: p.detach() for n, p in named.items() if p.requires_grad}
    constants = {n: p.detach() for n, p in named.items() if not p.requires_grad}
    constants.update(dict(model.named_buffers()))
    if not trainable:
        return {}

    labels = _draw_labels(model, inputs, n_samples, generator)  # (N, S)
    N = inputs.shape[0]
    # pairs in input-major order: (x_0, y_00), (x_0, y_01), ..., (x_1, y_10), ...
    pair_x_index = torch.arange(N, device=inputs.device).repeat_interleave(n_samples)
    pair_y = labels.reshape(-1)

    def log_prob(params, x, y):
        out = functional_call(model, (params, constants), (x.unsqueeze(0),))
        logp = torch.log_softmax(out, dim=-1)[0]
        return torch.gather(logp, 0, y.reshape(1)).squeeze(0)

    per_pair_grad = vmap(grad(log_prob), in_dims=(None, 0, 0))
    total = {n: torch.zeros_like(p) for n, p in trainable.items()}
    n_pairs = pair_y.shape[0]
    for start in range(0, n_pairs, _CHUNK):
        sel = pair_x_index[start : start + _CHUNK]
        g = per_pair_grad(trainable, inputs[sel], pair_y[start : start + _CHUNK])
        for n in total:
            total[n] += g[n].square().sum(dim=0)
    return {n: t / n_pairs for n, t in total.items()}


class OnlineEWC:
    """Online EWC (Schwarz et al. 2018) with a max-normalised Fisher."""

    def __init__(self, lam: float, gamma: float = 1.0) -> None:
        if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not (0.0 <= lam < math.inf):
            raise ValueError("lam must be a finite number >= 0")
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not (0.0 <= gamma <= 1.0):
            raise ValueError("gamma must lie in [0, 1]")
        self.lam = float(lam)
        self.gamma = float(gamma)
        self._fisher: dict[str, torch.Tensor] = {}
        self._anchor: dict[str, torch.Tensor] = {}
        self._names: frozenset[str] | None = None

    @property
    def fisher(self) -> dict[str, torch.Tensor]:
        return dict(self._fisher)

    def consolidate(self, model: torch.nn.Module, fisher: dict[str, torch.Tensor]) -> None:
        params = dict(model.named_parameters())
        for name, f in fisher.items():
            if name not in params:
                raise ValueError(f"{name!r} is not a parameter of the model")
            if not isinstance(f, torch.Tensor) or f.shape != params[name].shape:
                raise ValueError(f"Fisher of {name!r} has the wrong shape")
        names = frozenset(fisher)
        if self._names is not None and names != self._names:
            raise ValueError("the Fisher names differ from the earlier consolidations'")
        new_fisher = {}
        for name, f in fisher.items():
            f = f.detach()
            if name in self._fisher:
                prev = self._fisher[name]
                new_fisher[name] = self.gamma * prev + f.to(device=prev.device, dtype=prev.dtype)
            else:
                new_fisher[name] = f.clone()
        self._fisher = new_fisher
        self._anchor = {name: params[name].detach().clone() for name in fisher}
        self._names = names

    def penalty(self, model: torch.nn.Module) -> torch.Tensor:
        params = dict(model.named_parameters())
        fmax = max((float(f.max()) for f in self._fisher.values() if f.numel()), default=0.0)
        if not self._fisher or fmax == 0.0:
            ref = next(iter(params.values()), None)
            if ref is None:
                return torch.zeros(())
            zero = torch.zeros((), dtype=ref.dtype, device=ref.device)
            for p in params.values():  # a zero that still backpropagates (zero gradients)
                if p.requires_grad:
                    zero = zero + 0.0 * p.sum()
            return zero
        total = None
        for name, f in self._fisher.items():
            if name not in params:
                raise ValueError(f"model has no parameter {name!r}")
            p = params[name]
            if p.shape != f.shape:
                raise ValueError(f"parameter {name!r} changed shape")
            f_hat = (f / fmax).to(device=p.device, dtype=p.dtype)
            anchor = self._anchor[name].to(device=p.device, dtype=p.dtype)
            term = (f_hat * (p - anchor).square()).sum()
            total = term if total is None else total + term
        return (self.lam / 2.0) * total
