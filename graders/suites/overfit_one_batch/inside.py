"""Model classes, planted training steps and drivers of the overfit_one_batch hidden suite.

The model classes live here so the judge can send instances into the sandbox (a module is
pickled, so its class must be importable on both sides). The training steps and the functional
loss must run next to the model they train (autograd does not cross the channel), so the judge
names them and :func:`run_check` resolves the names here, in the sandbox, before it calls the
module's ``sanity_check``. Nothing here is a solution: the planted steps are the bugs and healthy
variants a caller might pass.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

D, C = 16, 4  # input size, classes


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
        self.body = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, C))
        self.aux = nn.Linear(D, C)

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


STEPS = {
    "step_no_zero_grad": step_no_zero_grad,
    "step_zero_after": step_zero_after,
    "step_model_zero_grad": step_model_zero_grad,
}
LOSSES = {"functional_cross_entropy": F.cross_entropy}


def run_check(model, batch, loss, step=None, kwargs=None) -> dict:
    """``sanity_check(model, batch, loss_fn, train_step=..., **kwargs)`` with the loss and the
    step resolved here by name; the Diagnosis's fields as plain values."""
    import sanity

    loss_fn = LOSSES[loss] if isinstance(loss, str) else loss
    kw = dict(kwargs or {})
    if step is not None:
        kw["train_step"] = STEPS[step]
    d = sanity.sanity_check(model, batch, loss_fn, **kw)
    return {
        "type": type(d).__name__,
        "ok": d.ok,
        "issues": d.issues,
        "initial_loss": d.initial_loss,
        "final_loss": d.final_loss,
        "steps": d.steps,
    }


def run_standard_step(model, batch, lr: float, stale_grad: float):
    """``standard_step`` once with SGD(lr) on a model whose ``.grad`` already holds
    ``stale_grad`` everywhere: the returned loss and the parameters after the step."""
    import sanity

    for p in model.parameters():
        p.grad = torch.full_like(p, stale_grad)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss = sanity.standard_step(model, batch, nn.CrossEntropyLoss(), opt)
    return loss, {n: p.detach().clone() for n, p in model.named_parameters()}
