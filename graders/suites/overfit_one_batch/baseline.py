"""The bar of overfit_one_batch's performance gates (baseline sandbox only): a plain solution of
the complexity the statement asks for. Each probe is one forward/backward pass on its own deep
copy; the two training runs stop at the first step whose loss is below target_loss. No tuning.
(The issues' names are given to the candidate in the stub; argument checks are left out, the
gates never pass bad arguments.)"""

from __future__ import annotations

import copy
from collections import namedtuple

import torch
from torch import nn

ISSUES = (
    "probabilities_into_cross_entropy",
    "gradients_accumulate",
    "frozen_parameters",
    "labels_misaligned",
    "learning_rate_too_low",
    "did_not_overfit",
)


Diagnosis = namedtuple("Diagnosis", "ok issues initial_loss final_loss steps")  # noqa: PYI024


def standard_step(model, batch, loss_fn, optimizer):
    x, y = batch
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _train(model, batch, loss_fn, step, lr, max_steps, target_loss, watch=()):
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        return 0, None
    opt = torch.optim.Adam(params, lr=lr)
    start = [p.detach().clone() for p in watch]
    ratio, n = None, 0
    for n in range(1, max_steps + 1):
        loss = step(model, batch, loss_fn, opt)
        loss = float(loss.detach()) if torch.is_tensor(loss) else float(loss)
        if watch and n == 10:
            ratio = _ratio(watch, start)
        if loss < target_loss:
            break
    if watch and ratio is None:
        ratio = _ratio(watch, start)
    return n, ratio


def _ratio(params, start):
    moved = sum(float(((p.detach() - s) ** 2).sum()) for p, s in zip(params, start, strict=True))
    norm = sum(float((s**2).sum()) for s in start)
    return (moved / max(norm, 1e-24)) ** 0.5


def sanity_check(model, batch, loss_fn, *, train_step=None, lr=1e-2, max_steps=300,
                 target_loss=0.05):  # fmt: skip
    x, y = batch
    step = train_step or standard_step
    found = set()

    probe = copy.deepcopy(model)
    out = probe(x)
    if isinstance(loss_fn, nn.CrossEntropyLoss):
        o = out.detach()
        if bool(((o >= 0) & (o <= 1)).all()) and float((o.sum(1) - 1).abs().max()) <= 1e-4:
            found.add("probabilities_into_cross_entropy")
    loss = loss_fn(out, y)
    if loss.requires_grad:
        loss.backward()
    named = dict(probe.named_parameters())
    live = {n for n, p in named.items() if p.grad is not None and bool(p.grad.any())}
    if len(live) < len(named):
        found.add("frozen_parameters")

    if live:
        g = {n: named[n].grad.clone() for n in live}
        for n, p in named.items():
            p.grad = g[n].clone() if n in live else None
        step(probe, batch, loss_fn, torch.optim.SGD([named[n] for n in live], lr=0.0))
        if all(named[n].grad is not None for n in live):
            err = sum(float(((named[n].grad - 2 * g[n]) ** 2).sum()) for n in live) ** 0.5
            size = sum(float((g[n] ** 2).sum()) for n in live) ** 0.5
            if err <= 0.01 * size:
                found.add("gradients_accumulate")

    fit = copy.deepcopy(model)
    with torch.no_grad():
        initial = float(loss_fn(fit(x), y))
    watch = [p for n, p in fit.named_parameters() if n in live]
    steps, ratio = _train(fit, batch, loss_fn, step, lr, max_steps, target_loss, watch)
    with torch.no_grad():
        final = float(loss_fn(fit(x), y))
    if ratio is not None and ratio < 1e-4:
        found.add("learning_rate_too_low")
    if not final < target_loss:
        found.add("did_not_overfit")

    half = copy.deepcopy(model)
    _train(half, (x[0::2], y[0::2]), loss_fn, step, lr, max_steps, target_loss)
    with torch.no_grad():
        fit_acc = float((half(x[0::2]).argmax(1) == y[0::2]).double().mean())
        held_acc = float((half(x[1::2]).argmax(1) == y[1::2]).double().mean())
    chance = float(torch.bincount(y[1::2]).max()) / len(y[1::2])
    if fit_acc >= 0.9 and held_acc <= chance + 0.25:
        found.add("labels_misaligned")

    issues = tuple(i for i in ISSUES if i in found)
    return Diagnosis(not issues, issues, initial, final, steps)
