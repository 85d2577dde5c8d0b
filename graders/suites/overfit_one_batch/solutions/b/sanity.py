"""Style B: a small `_Check` class with one method per issue; gradients probed functionally with
torch.autograd.grad (allow_unused) and written into .grad by hand for the accumulation probe;
training runs record the parameter trajectory through a callback-free loop with a step counter."""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

#: Every issue a Diagnosis may report, in the order it reports them.
ISSUES = (
    "probabilities_into_cross_entropy",
    "gradients_accumulate",
    "frozen_parameters",
    "labels_misaligned",
    "learning_rate_too_low",
    "did_not_overfit",
)


@dataclass(frozen=True)
class Diagnosis:
    """The verdict of :func:`sanity_check`."""

    ok: bool
    issues: tuple[str, ...]
    initial_loss: float
    final_loss: float
    steps: int


def standard_step(
    model: nn.Module,
    batch: tuple[torch.Tensor, torch.Tensor],
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
) -> float:
    """zero_grad -> forward -> loss -> backward -> step; the loss before the update."""
    x, y = batch
    optimizer.zero_grad(set_to_none=True)
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return loss.item()


_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def _positive_real(v) -> bool:
    return type(v) is not bool and isinstance(v, numbers.Real) and v > 0


def _scalar(v) -> float:
    return float(v.detach()) if isinstance(v, torch.Tensor) else float(v)


class _RunResult:
    def __init__(self, model, steps, start, at_ten):
        self.model, self.steps, self.start, self.at_ten = model, steps, start, at_ten


class _Check:
    def __init__(self, model, batch, loss_fn, train_step, lr, max_steps, target_loss):
        self.model = model
        self.x, self.y = batch
        self.loss_fn = loss_fn
        self.step = train_step or standard_step
        self.lr, self.max_steps, self.target = lr, max_steps, target_loss

    # -- helpers -----------------------------------------------------------------------------
    def copy(self) -> nn.Module:
        m = copy.deepcopy(self.model)
        for p in m.parameters():
            p.grad = None
        return m

    def gradients(self, m):
        """(outputs, loss, {name: grad or None}) of the loss on the whole batch."""
        named = list(m.named_parameters())
        out = m(self.x)
        loss = self.loss_fn(out, self.y)
        live = [(n, p) for n, p in named if p.requires_grad]
        grads = {n: None for n, _ in named}
        if live and isinstance(loss, torch.Tensor) and loss.requires_grad:
            gs = torch.autograd.grad(loss, [p for _, p in live], allow_unused=True)
            grads.update({n: g for (n, _), g in zip(live, gs)})
        return out, loss, grads

    def run(self, x, y, watch=()) -> _RunResult:
        m = self.copy()
        params = dict(m.named_parameters())
        snapshot = lambda: [params[n].detach().clone() for n in watch]  # noqa: E731
        start = snapshot()
        trainable = [p for p in m.parameters() if p.requires_grad]
        at_ten, steps = None, 0
        if trainable and self.trainable_flow:
            opt = torch.optim.Adam(trainable, lr=self.lr)
            while steps < self.max_steps:
                value = _scalar(self.step(m, (x, y), self.loss_fn, opt))
                steps += 1
                if steps == 10:
                    at_ten = snapshot()
                if value < self.target:
                    break
        return _RunResult(m, steps, start, at_ten if at_ten is not None else snapshot())

    # -- the issues --------------------------------------------------------------------------
    def probabilities(self, out) -> bool:
        if not isinstance(self.loss_fn, nn.CrossEntropyLoss):
            return False
        o = out.detach()
        if o.ndim < 2:
            return False
        inside = torch.logical_and(o >= 0.0, o <= 1.0).all()
        sums = torch.isclose(o.sum(1), torch.ones((), dtype=o.dtype), rtol=0.0, atol=1e-4).all()
        return bool(inside) and bool(sums)

    @staticmethod
    def frozen(m, grads) -> tuple[bool, list[str]]:
        flowing = []
        any_frozen = False
        for n, p in m.named_parameters():
            g = grads[n]
            if not p.requires_grad or g is None or torch.count_nonzero(g) == 0:
                any_frozen = True
            else:
                flowing.append(n)
        return any_frozen, flowing

    def accumulates(self, grads) -> bool:
        m = self.copy()
        live = [(n, p) for n, p in m.named_parameters() if p.requires_grad]
        G = {}
        for n, p in live:
            g = grads[n]
            G[n] = torch.zeros_like(p) if g is None else g.detach().clone()
            p.grad = G[n].clone()
        opt = torch.optim.SGD([p for _, p in live], lr=0.0)
        self.step(m, (self.x, self.y), self.loss_fn, opt)
        sq_gap, sq_ref = 0.0, 0.0
        for n, p in live:
            now = torch.zeros_like(p) if p.grad is None else p.grad.detach()
            sq_gap += float(((now - 2.0 * G[n]).double() ** 2).sum())
            sq_ref += float(((2.0 * G[n]).double() ** 2).sum())
        return sq_ref > 0.0 and sq_gap ** 0.5 <= 0.01 * sq_ref ** 0.5

    def misaligned(self) -> bool:
        xe, ye = self.x[::2], self.y[::2]
        xo, yo = self.x[1::2], self.y[1::2]
        m = self.run(xe, ye).model
        with torch.no_grad():
            acc_e = (m(xe).argmax(1) == ye).float().mean().item()
            acc_o = (m(xo).argmax(1) == yo).float().mean().item()
        _, counts = torch.unique(yo, return_counts=True)
        chance = counts.max().item() / yo.shape[0]
        return acc_e >= 0.9 and acc_o <= chance + 0.25

    @staticmethod
    def too_slow(result: _RunResult) -> bool:
        if not result.start:
            return False
        d2 = sum(float(((b - a).double() ** 2).sum()) for a, b in zip(result.start, result.at_ten))
        n2 = sum(float((a.double() ** 2).sum()) for a in result.start)
        return d2 ** 0.5 < 1e-4 * n2 ** 0.5


def sanity_check(
    model: nn.Module,
    batch: tuple[torch.Tensor, torch.Tensor],
    loss_fn: Callable,
    *,
    train_step: Callable | None = None,
    lr: float = 1e-2,
    max_steps: int = 300,
    target_loss: float = 0.05,
) -> Diagnosis:
    """Overfit one batch on copies of ``model`` and diagnose what stands in the way."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError("batch must be (inputs, targets)")
    x, y = batch
    if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
        raise TypeError("inputs and targets must be tensors")
    if y.ndim != 1 or y.dtype not in _INT_DTYPES:
        raise ValueError("targets must be a 1-D integer tensor")
    if x.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError("inputs and targets differ in size")
    if y.shape[0] < 4:
        raise ValueError("need B >= 4")
    if not _positive_real(lr):
        raise ValueError("lr must be > 0")
    if type(max_steps) is bool or not isinstance(max_steps, numbers.Integral) or max_steps < 1:
        raise ValueError("max_steps must be an int >= 1")
    if not _positive_real(target_loss):
        raise ValueError("target_loss must be > 0")

    chk = _Check(model, (x, y), loss_fn, train_step, lr, int(max_steps), target_loss)
    probe = chk.copy()
    out, loss0, grads = chk.gradients(probe)
    initial_loss = _scalar(loss0)
    any_frozen, flowing = chk.frozen(probe, grads)
    chk.trainable_flow = bool(flowing)  # nothing can be trained when no gradient flows

    flags = {
        "probabilities_into_cross_entropy": chk.probabilities(out),
        "gradients_accumulate": bool(flowing) and chk.accumulates(grads),
        "frozen_parameters": any_frozen,
        "labels_misaligned": chk.misaligned(),
    }
    full = chk.run(x, y, watch=flowing)
    flags["learning_rate_too_low"] = chk.too_slow(full)
    with torch.no_grad():
        final_loss = _scalar(loss_fn(full.model(x), y))
    flags["did_not_overfit"] = not (final_loss < target_loss)

    issues = tuple(k for k in ISSUES if flags[k])
    return Diagnosis(not issues, issues, initial_loss, final_loss, full.steps)
