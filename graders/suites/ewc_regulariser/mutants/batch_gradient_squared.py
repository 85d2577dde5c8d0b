# kills: test_correctness.py::test_fisher_of_constant_model,test_correctness.py::test_fisher_matches_true_fisher
"""Mutant: squares the mean gradient of the batch instead of averaging the squared per-sample gradients."""

from __future__ import annotations

import torch
from torch.func import functional_call, grad, vmap

_CHUNK = 2048  # (input, label) pairs per vmap call: bounds memory at N * n_samples * params


def fisher_diagonal(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    *,
    n_samples: int = 1,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Monte Carlo estimate of the diagonal of the true Fisher information of ``model``."""
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be an int >= 1, got {n_samples!r}")
    if inputs.dim() < 1 or inputs.shape[0] < 1:
        raise ValueError("inputs must hold at least one sample")
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    params = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    frozen = {n: p.detach() for n, p in model.named_parameters() if not p.requires_grad}
    buffers = dict(model.named_buffers())
    with torch.no_grad():
        logits = model(inputs)
        probs = torch.softmax(logits.double(), dim=1)
    # labels from the model's own predictive distribution (the true Fisher)
    labels = torch.multinomial(probs.cpu(), n_samples, replacement=True, generator=generator)
    labels = labels.to(logits.device).reshape(-1)  # sample-major: input i gives rows i*S .. i*S+S-1
    onehot = torch.nn.functional.one_hot(labels, logits.shape[1]).to(logits.dtype)
    index = torch.arange(inputs.shape[0], device=inputs.device).repeat_interleave(n_samples)

    def log_likelihood(p, x, y):
        out = functional_call(model, ({**p, **frozen}, buffers), (x.unsqueeze(0),))
        return (torch.log_softmax(out, dim=1)[0] * y).sum()

    per_sample = vmap(grad(log_likelihood), in_dims=(None, 0, 0))
    total = {n: torch.zeros_like(params[n]) for n in names}
    for start in range(0, index.shape[0], _CHUNK):
        rows = index[start : start + _CHUNK]
        grads = per_sample(params, inputs[rows], onehot[start : start + _CHUNK])
        for n in names:
            total[n] += grads[n].sum(dim=0)
    count = index.shape[0]
    return {n: (total[n] / count) ** 2 for n in names}


class OnlineEWC:
    """Online EWC penalty (lambda / 2) sum F_hat (theta - theta*)^2 with F_hat = F / max F."""

    def __init__(self, lam: float, gamma: float = 1.0) -> None:
        if not lam >= 0:
            raise ValueError(f"lam must be >= 0, got {lam!r}")
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must lie in [0, 1], got {gamma!r}")
        self.lam = float(lam)
        self.gamma = float(gamma)
        self._fisher: dict[str, torch.Tensor] = {}
        self._anchor: dict[str, torch.Tensor] = {}

    @property
    def fisher(self) -> dict[str, torch.Tensor]:
        """The running (unnormalised) Fisher, by parameter name; empty before consolidate."""
        return dict(self._fisher)

    def consolidate(self, model: torch.nn.Module, fisher: dict[str, torch.Tensor]) -> None:
        """F <- gamma F + fisher; the anchor becomes a copy of the model's current parameters."""
        params = dict(model.named_parameters())
        for name, value in fisher.items():
            if name not in params:
                raise ValueError(f"{name!r} is not a parameter of the model")
            if value.shape != params[name].shape:
                raise ValueError(
                    f"fisher[{name!r}] has shape {tuple(value.shape)}, the parameter "
                    f"{tuple(params[name].shape)}"
                )
        if self._fisher and set(fisher) != set(self._fisher):
            raise ValueError("fisher names differ from the ones consolidated before")
        new = {n: v.detach().clone() for n, v in fisher.items()}
        if self._fisher:
            new = {n: self.gamma * self._fisher[n] + new[n] for n in new}
        self._fisher = new
        self._anchor = {n: params[n].detach().clone() for n in new}

    def penalty(self, model: torch.nn.Module) -> torch.Tensor:
        """(lam / 2) * sum_i (F_i / max_j F_j) * (theta_i - theta*_i)^2, a scalar tensor."""
        params = dict(model.named_parameters())
        if not self._fisher:
            first = next(iter(params.values()), None)
            return torch.zeros((), dtype=first.dtype if first is not None else None)
        top = max(float(f.max()) for f in self._fisher.values())
        if top <= 0.0:
            return sum(((params[n] - self._anchor[n]) * 0.0).sum() for n in self._fisher)
        total = sum(
            (self._fisher[n] / top * (params[n] - self._anchor[n]) ** 2).sum() for n in self._fisher
        )
        return 0.5 * self.lam * total
