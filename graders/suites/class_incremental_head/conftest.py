"""Fixtures of the class_incremental_head hidden suite: synthetic feature streams drawn in the
judge, and a class-incremental run (task A, add classes, task B on new data only) that trains the
submitted head inside its sandbox (inside.py) and is shared by the tests that judge what happens
to the old classes."""

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


@dataclass
class StreamRun:
    """What a class-incremental run measured."""

    proba_before: torch.Tensor  # old-class probabilities on task-A test data after task A
    proba_after_add: torch.Tensor  # the same right after add_classes (old columns only)
    proba_after: torch.Tensor  # the same after training task B (old columns only)
    acc_a_before: float  # task-A accuracy (over the old classes) after task A
    acc_a: float  # task-A accuracy over all classes after task B
    acc_b: float  # task-B accuracy over all classes after task B
    share_a_as_new: float  # share of task-A test samples predicted as a new class


def class_incremental_run(
    inside_mod, seed: int, steps_a: int = 100, steps_b: int = 300
) -> StreamRun:
    """Train task A (classes 0..4), add 5 classes, train task B (5..9) on new data only."""
    gen = torch.Generator().manual_seed(seed)
    draw = make_stream(gen)
    xa, ya = draw(range(K_OLD), 60)
    xb, yb = draw(range(K_OLD, K_OLD + K_NEW), 60)
    xat, yat = draw(range(K_OLD), 100)
    xbt, ybt = draw(range(K_OLD, K_OLD + K_NEW), 100)
    data = {"xa": xa, "ya": ya, "xb": xb, "yb": yb, "xat": xat, "xbt": xbt}
    out = inside_mod.class_incremental_run(seed, data, D, K_OLD, K_NEW, steps_a, steps_b)
    pred_a, pred_b = out["pred_a"], out["pred_b"]
    return StreamRun(
        out["proba_before"][:, :K_OLD], out["proba_after_add"][:, :K_OLD],
        out["proba_after"][:, :K_OLD],
        (out["pred_before"] == yat).float().mean().item(),
        (pred_a == yat).float().mean().item(), (pred_b == ybt).float().mean().item(),
        (pred_a >= K_OLD).float().mean().item(),
    )  # fmt: skip


@pytest.fixture(scope="module")
def stream_run(sol, inside, kata_seed):
    """The class-incremental run of the submitted head, seeded by the grading seed."""
    return class_incremental_run(inside(sol), kata_seed)
