"""Public examples for adamw_optimizer: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import copy
import math

import pytest
import torch
from adamw import AdamW, warmup_cosine


def test_is_an_optimizer_with_torch_defaults():
    """AdamW is a torch.optim.Optimizer; a group's own options override the constructor's."""
    a, b = torch.zeros(3, requires_grad=True), torch.zeros(2, requires_grad=True)
    opt = AdamW([{"params": [a]}, {"params": [b], "lr": 0.1}], weight_decay=0.0)
    assert isinstance(opt, torch.optim.Optimizer)
    first, second = opt.param_groups
    assert first["lr"] == 1e-3 and second["lr"] == 0.1
    assert tuple(first["betas"]) == (0.9, 0.999) and first["eps"] == 1e-8
    assert first["weight_decay"] == second["weight_decay"] == 0.0
    assert first["amsgrad"] is False


def test_first_step_without_weight_decay():
    """Without weight decay, Adam's first step moves each element by lr * g / (|g| + eps'):
    the bias-corrected moments are g and g**2 at step 1."""
    p = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    opt = AdamW([p], lr=0.1, eps=1e-8, weight_decay=0.0)
    p.grad = torch.tensor([0.3, -4.0, 0.0], dtype=torch.float64)
    opt.step()
    g = torch.tensor([0.3, -4.0, 0.0], dtype=torch.float64)
    expected = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) - 0.1 * g / (g.abs() + 1e-8)
    assert torch.allclose(p.detach(), expected, rtol=0, atol=1e-12)
    assert p.dtype == torch.float64


def test_parameter_without_gradient_is_left_alone():
    """A parameter whose .grad is None is skipped: unchanged, and no state is created."""
    used = torch.ones(4, requires_grad=True)
    unused = torch.ones(4, requires_grad=True)
    opt = AdamW([used, unused], lr=0.01, weight_decay=0.5)
    used.grad = torch.ones(4)
    opt.step()
    assert torch.equal(unused.detach(), torch.ones(4))
    assert len(opt.state[unused]) == 0
    assert not torch.equal(used.detach(), torch.ones(4))


def test_state_dict_round_trip():
    """A checkpoint taken after 3 steps resumes in a new optimizer and continues identically."""
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 2).double()
    twin = torch.nn.Linear(5, 2).double()
    x, y = torch.randn(16, 5, dtype=torch.float64), torch.randn(16, 2, dtype=torch.float64)

    def train(m, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((m(x) - y) ** 2).mean().backward()
            opt.step()

    opt = AdamW(model.parameters(), lr=0.01)
    train(model, opt, 3)
    twin.load_state_dict(model.state_dict())
    resumed = AdamW(twin.parameters(), lr=123.0)  # the loaded options win
    resumed.load_state_dict(copy.deepcopy(opt.state_dict()))  # as if saved to disk
    train(model, opt, 4)
    train(twin, resumed, 4)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-12)


def test_warmup_cosine_values():
    """Warm-up from 0 (step 0 gives 0), 1 at the end of the warm-up, min_ratio at total."""
    assert warmup_cosine(0, 10, 100) == 0.0
    assert warmup_cosine(5, 10, 100) == pytest.approx(0.5)
    assert warmup_cosine(10, 10, 100) == pytest.approx(1.0)
    assert warmup_cosine(55, 10, 100) == pytest.approx(0.5)  # half-way through the cosine
    assert warmup_cosine(100, 10, 100, 0.1) == pytest.approx(0.1)
    assert warmup_cosine(0, 0, 100) == 1.0  # no warm-up
    mid = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.25))
    assert warmup_cosine(32, 10, 98, 0.1) == pytest.approx(mid)


def test_warmup_cosine_with_lambda_lr():
    """With LambdaLR the lr of each step is base_lr * warmup_cosine(step, ...)."""
    p = torch.zeros(2, requires_grad=True)
    opt = AdamW([p], lr=0.5)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: warmup_cosine(s, 4, 20))
    seen = []
    for _ in range(6):
        seen.append(opt.param_groups[0]["lr"])
        p.grad = torch.ones(2)
        opt.step()
        sched.step()
    assert seen == pytest.approx([0.0, 0.125, 0.25, 0.375, 0.5, 0.5 * warmup_cosine(5, 4, 20)])


def test_bad_options():
    """Negative options and betas outside [0, 1) are errors."""
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError):
        AdamW([p], lr=-0.1)
    with pytest.raises(ValueError):
        AdamW([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError):
        warmup_cosine(5, 10, 10)
