"""The bar of ewc_regulariser's performance gate (baseline sandbox only): a plain, idiomatic
vectorised Fisher, written as in the torch.func "per-sample gradients" tutorial (vmap over grad
of a functional_call), with no tuning, and the per-sample Python loop it replaces (for reviewers'
measurements)."""

from __future__ import annotations

import torch
from torch.func import functional_call, grad, vmap


def fisher_vmap(model, inputs, *, n_samples=1, generator=None):
    """The true Fisher's diagonal: labels from softmax(model(x)), vmap(grad) per pair."""
    params = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    with torch.no_grad():
        probs = torch.softmax(model(inputs), dim=1)
    labels = torch.multinomial(probs, n_samples, replacement=True, generator=generator)
    xs = inputs.repeat_interleave(n_samples, dim=0)
    ys = labels.reshape(-1)

    def log_p(p, x, y):
        out = functional_call(model, p, (x.unsqueeze(0),))
        return torch.log_softmax(out, dim=1)[0].gather(0, y.unsqueeze(0)).squeeze(0)

    grads = vmap(grad(log_p), in_dims=(None, 0, 0))(params, xs, ys)
    return {n: (g**2).mean(dim=0) for n, g in grads.items()}


def fisher_loop(model, inputs, *, n_samples=1, generator=None):
    """The same with one forward and one autograd.grad call per (input, label) pair."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    total = [torch.zeros_like(p) for p in params]
    for i in range(inputs.shape[0]):
        logp = torch.log_softmax(model(inputs[i : i + 1]), dim=1)[0]
        ys = torch.multinomial(logp.detach().exp(), n_samples, replacement=True,
                               generator=generator)  # fmt: skip
        for y in ys.tolist():
            grads = torch.autograd.grad(logp[y], params, retain_graph=True)
            for t, g in zip(total, grads, strict=True):
                t += g**2
    count = inputs.shape[0] * n_samples
    return {n: t / count for (n, _), t in zip(named, total, strict=True)}
