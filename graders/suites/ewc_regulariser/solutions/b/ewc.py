"""Style B: per-input jacobians with vmap(jacrev(...)) of the whole log-softmax vector, then the
sampled labels picked with torch.gather; OnlineEWC stores flattened Fisher/anchor vectors and
computes the penalty as one dot product over torch.cat of the parameters."""

from __future__ import annotations

import math
import numbers

import torch
from torch.func import functional_call, jacrev, vmap


def _validate(inputs, n_samples) -> None:
    if type(n_samples) is bool or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError("n_samples must be an int >= 1")
    if not isinstance(inputs, torch.Tensor) or inputs.ndim == 0 or inputs.shape[0] < 1:
        raise ValueError("inputs must contain at least one sample")


def fisher_diagonal(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    *,
    n_samples: int = 1,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """E_x E_{y ~ p(.|x)} (d log p(y|x) / d theta)^2, Monte Carlo over sampled labels."""
    _validate(inputs, n_samples)
    n_samples = int(n_samples)
    learn = {}
    fixed = {}
    for name, p in model.named_parameters():
        (learn if p.requires_grad else fixed)[name] = p.detach()
    for name, b in model.named_buffers():
        fixed[name] = b
    if not learn:
        return {}

    def log_probs(params, x):
        out = functional_call(model, {**fixed, **params}, (x[None],))
        return torch.log_softmax(out[0], dim=-1)  # (C,)

    jac = vmap(jacrev(log_probs), in_dims=(None, 0))
    N = inputs.shape[0]
    block = max(1, 2048 // max(1, n_samples))
    sums = {name: torch.zeros_like(p) for name, p in learn.items()}
    for lo in range(0, N, block):
        x = inputs[lo : lo + block]
        with torch.no_grad():
            p_y = model(x).detach().softmax(dim=-1)
            y = torch.multinomial(p_y.double(), n_samples, replacement=True, generator=generator)
        J = jac(learn, x)  # name -> (b, C, *shape)
        for name, Jn in J.items():
            flat = Jn.reshape(Jn.shape[0], Jn.shape[1], -1)  # (b, C, P)
            idx = y.unsqueeze(-1).expand(-1, -1, flat.shape[-1])  # (b, S, P)
            picked = torch.gather(flat, 1, idx)  # (b, S, P)
            sums[name] += picked.pow(2).sum(dim=(0, 1)).reshape(sums[name].shape)
    denom = N * n_samples
    return {name: s / denom for name, s in sums.items()}


class OnlineEWC:
    """Online EWC with one running Fisher, normalised by its maximum in the penalty."""

    def __init__(self, lam: float, gamma: float = 1.0) -> None:
        for v in (lam, gamma):
            if type(v) is bool or not isinstance(v, numbers.Real) or math.isnan(v):
                raise ValueError("lam and gamma must be real numbers")
        if lam < 0 or math.isinf(lam):
            raise ValueError("lam must be >= 0")
        if not 0 <= gamma <= 1:
            raise ValueError("gamma must be in [0, 1]")
        self._lam = float(lam)
        self._gamma = float(gamma)
        self._names: list[str] | None = None  # order of the flattened vectors
        self._shapes: dict[str, torch.Size] = {}
        self._F: torch.Tensor | None = None  # flat running Fisher
        self._theta_star: torch.Tensor | None = None  # flat anchor

    @property
    def fisher(self) -> dict[str, torch.Tensor]:
        if self._names is None or self._F is None:
            return {}
        out, offset = {}, 0
        for name in self._names:
            n = math.prod(self._shapes[name])
            out[name] = self._F[offset : offset + n].view(self._shapes[name]).clone()
            offset += n
        return out

    def consolidate(self, model: torch.nn.Module, fisher: dict[str, torch.Tensor]) -> None:
        params = dict(model.named_parameters())
        unknown = [k for k in fisher if k not in params]
        if unknown:
            raise ValueError(f"not parameters of the model: {unknown}")
        for k, v in fisher.items():
            if not isinstance(v, torch.Tensor) or tuple(v.shape) != tuple(params[k].shape):
                raise ValueError(f"shape mismatch for {k!r}")
        if self._names is not None and set(fisher) != set(self._names):
            raise ValueError("consolidated names differ from before")
        names = self._names if self._names is not None else sorted(fisher)
        if not names:
            self._names, self._shapes = [], {}
            self._F = torch.zeros(0)
            self._theta_star = torch.zeros(0)
            return
        dev, dt = params[names[0]].device, params[names[0]].dtype
        incoming = torch.cat([fisher[k].detach().reshape(-1).to(dev, dt) for k in names])
        if self._F is None:
            F_new = incoming.clone()
        else:
            F_new = self._gamma * self._F.to(dev, dt) + incoming
        self._F = F_new
        self._theta_star = torch.cat([params[k].detach().reshape(-1).to(dev, dt) for k in names]).clone()
        self._names = list(names)
        self._shapes = {k: params[k].shape for k in names}

    def _zero(self, model: torch.nn.Module) -> torch.Tensor:
        ps = [p for p in model.parameters()]
        if not ps:
            return torch.zeros(())
        z = torch.zeros((), dtype=ps[0].dtype, device=ps[0].device)
        live = [p.reshape(-1) for p in ps if p.requires_grad]
        if live:
            z = z + torch.cat(live).sum() * 0.0  # zero, but connected to the parameters
        return z

    def penalty(self, model: torch.nn.Module) -> torch.Tensor:
        if not self._names or self._F is None or self._F.numel() == 0:
            return self._zero(model)
        fmax = self._F.max()
        if float(fmax) == 0.0:
            return self._zero(model)
        params = dict(model.named_parameters())
        try:
            theta = torch.cat([params[k].reshape(-1) for k in self._names])
        except KeyError as e:
            raise ValueError(f"model lacks a consolidated parameter: {e}") from None
        F_hat = (self._F / fmax).to(theta.device, theta.dtype)
        diff = theta - self._theta_star.to(theta.device, theta.dtype)
        return 0.5 * self._lam * torch.dot(F_hat, diff * diff)
