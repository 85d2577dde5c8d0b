"""Fixtures of the ewc_regulariser hidden suite: the modules, an exact Fisher oracle (the
expectation over labels written as a sum over classes, one autograd call per (input, class)),
and the two-task benchmark."""

from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


def mlp(sizes, seed: int, gain: float = 1.0, dtype=torch.float32) -> nn.Sequential:
    """A ReLU MLP with the given layer sizes, initialised from ``seed`` (weights times gain)."""
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).to(dtype)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(gain)
    return model


def exact_fisher(model: nn.Module, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
    """sum_c p(c | x) (d log p(c | x) / d theta)^2 averaged over inputs: the true Fisher
    without Monte Carlo noise."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    total = {n: torch.zeros_like(p) for n, p in named}
    for i in range(inputs.shape[0]):
        logp = torch.log_softmax(model(inputs[i : i + 1]), dim=1)[0]
        probs = logp.detach().exp()
        for c in range(logp.shape[0]):
            grads = torch.autograd.grad(logp[c], [p for _, p in named], retain_graph=True)
            for (n, _), g in zip(named, grads, strict=True):
                total[n] += probs[c] * g**2
    return {n: t / inputs.shape[0] for n, t in total.items()}


# -- the two-task benchmark ----------------------------------------------------------------------

D, HIDDEN = 8, 32
SCALE = 10.0  # inputs are not standardised
LABEL_NOISE = 0.1  # training labels flipped at random
LR, STEPS, LAM = 0.01, 600, 100.0


@dataclass
class BenchmarkRun:
    """Accuracies of one two-task run (test labels are clean)."""

    acc_a_before: float  # task A after training task A
    acc_a: float  # task A after training task B with the penalty
    acc_b: float  # task B after training it
    max_fisher: float  # largest entry of task A's Fisher
    final_penalty: float
    final_task_loss: float


def make_tasks(gen: torch.Generator):
    """Task A: points around +2u, label sign(w.z); task B: around -2u, label sign(-w.z)
    (the rule flips, so fine-tuning on B overwrites A); u orthogonal to w; inputs scaled by 10."""
    w = F.normalize(torch.randn(D, generator=gen), dim=0)
    u = torch.randn(D, generator=gen)
    u = F.normalize(u - (u @ w) * w, dim=0)

    def task(sign: float, centre: float, n: int, noisy: bool):
        z = torch.randn(n, D, generator=gen)
        y = (sign * (z @ w) > 0).long()
        if noisy:
            flip = torch.rand(n, generator=gen) < LABEL_NOISE
            y = torch.where(flip, 1 - y, y)
        return (z + centre * u) * SCALE, y

    return task


def two_task_run(inside_mod, seed: int) -> BenchmarkRun:
    """Train task A, consolidate with fisher_diagonal / OnlineEWC, train task B with
    cross_entropy + penalty, and measure both tasks (the training runs inside the sandbox)."""
    gen = torch.Generator().manual_seed(seed)
    task = make_tasks(gen)
    xa, ya = task(1.0, 2.0, 500, True)
    xb, yb = task(-1.0, -2.0, 500, True)
    xat, yat = task(1.0, 2.0, 2000, False)
    xbt, ybt = task(-1.0, -2.0, 2000, False)
    data = {"xa": xa, "ya": ya, "xb": xb, "yb": yb, "xat": xat, "yat": yat, "xbt": xbt,
            "ybt": ybt}  # fmt: skip
    model = mlp([D, HIDDEN, 2], seed)
    out = inside_mod.two_task_run(model, data, gen, LR, STEPS, LAM, 4)
    return BenchmarkRun(
        out["acc_a_before"], out["acc_a"], out["acc_b"], out["max_fisher"],
        out["final_penalty"], out["final_task_loss"],
    )  # fmt: skip


@pytest.fixture(scope="session")
def make_mlp():
    """``make_mlp(sizes, seed, gain=1.0, dtype=torch.float32)``: a seeded ReLU MLP."""
    return mlp


@pytest.fixture(scope="session")
def true_fisher():
    """``true_fisher(model, inputs)``: the exact true Fisher (sum over classes)."""
    return exact_fisher


@pytest.fixture(scope="session")
def bench_setting() -> str:
    """The benchmark's setting, for failure messages."""
    return (
        f"MLP {D}-{HIDDEN}-2, SGD lr {LR}, {STEPS} steps per task, lam {LAM:g}, inputs x{SCALE:g}"
    )


@pytest.fixture(scope="module")
def benchmark(sol, inside, kata_seed) -> BenchmarkRun:
    """The two-task run of the submitted module, seeded by the grading seed."""
    return two_task_run(inside(sol), kata_seed)
