"""Fixtures of the class_incremental_head hidden suite: the module, synthetic feature streams,
and a class-incremental run (task A, add classes, task B on new data only) shared by the tests
that judge what happens to the old classes."""

from dataclasses import dataclass

import pytest
import torch
from torch.nn import functional as F  # noqa: N812

D = 32  # feature size
K_OLD, K_NEW = 5, 5  # classes of task A, classes added for task B
NOISE = 0.8  # per-sample noise norm relative to the class direction


def make_stream(gen: torch.Generator, classes: int = K_OLD + K_NEW, d: int = D):
    """``draw(class_ids, n)`` -> (features, labels): one random unit direction per class, plus
    isotropic noise, times a random positive magnitude per sample (0.5 .. 2.5)."""
    centres = F.normalize(torch.randn(classes, d, generator=gen), dim=1)

    def draw(class_ids, n):
        y = torch.tensor(list(class_ids)).repeat_interleave(n)
        x = centres[y] + NOISE * torch.randn(len(y), d, generator=gen) / d**0.5
        x = x * (0.5 + 2.0 * torch.rand(len(y), 1, generator=gen))
        return x, y

    return draw


def train(head, x, y, steps: int, lr: float = 0.05) -> None:
    """Full-batch Adam on head.loss, with a fresh optimiser over head.parameters()."""
    opt = torch.optim.Adam(head.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        head.loss(head(x), y).backward()
        opt.step()


@dataclass
class StreamRun:
    """What a class-incremental run measured."""

    proba_before: torch.Tensor  # old-class probabilities on task-A test data after task A
    proba_after_add: torch.Tensor  # the same right after add_classes
    proba_after: torch.Tensor  # the same after training task B
    acc_a_before: float  # task-A accuracy (over the old classes) after task A
    acc_a: float  # task-A accuracy over all classes after task B
    acc_b: float  # task-B accuracy over all classes after task B
    share_a_as_new: float  # share of task-A test samples predicted as a new class


def class_incremental_run(module, seed: int, steps_a: int = 100, steps_b: int = 300) -> StreamRun:
    """Train task A (classes 0..4), add 5 classes, train task B (5..9) on new data only."""
    gen = torch.Generator().manual_seed(seed)
    draw = make_stream(gen)
    xa, ya = draw(range(K_OLD), 60)
    xb, yb = draw(range(K_OLD, K_OLD + K_NEW), 60)
    xat, yat = draw(range(K_OLD), 100)
    xbt, ybt = draw(range(K_OLD, K_OLD + K_NEW), 100)
    torch.manual_seed(seed)
    head = module.IncrementalHead(D, K_OLD)
    train(head, xa, ya, steps_a)
    with torch.no_grad():
        before = head.predict_proba(xat).detach().clone()
        acc_a_before = (head.predict(xat) == yat).float().mean().item()
    head.add_classes(K_NEW)
    with torch.no_grad():
        after_add = head.predict_proba(xat).detach()[:, :K_OLD].clone()
    train(head, xb, yb, steps_b)
    with torch.no_grad():
        after = head.predict_proba(xat).detach()[:, :K_OLD].clone()
        pred_a, pred_b = head.predict(xat), head.predict(xbt)
    return StreamRun(
        before, after_add, after, acc_a_before,
        (pred_a == yat).float().mean().item(), (pred_b == ybt).float().mean().item(),
        (pred_a >= K_OLD).float().mean().item(),
    )  # fmt: skip


@pytest.fixture(scope="module")
def stream_run(sol, kata_seed):
    """The class-incremental run of the submitted head, seeded by the grading seed."""
    return class_incremental_run(sol, kata_seed)
