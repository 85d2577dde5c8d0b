# kills: test_correctness.py::test_no_library_optimizer
# breaks: R12
# Mutant: AdamW is torch.optim.AdamW under another name (a subclass that adds nothing).
"""AdamW and a warm-up + cosine schedule: torch's own AdamW, re-exported."""

from __future__ import annotations

import math

import torch


class AdamW(torch.optim.AdamW):
    """torch.optim.AdamW with the kata's signature."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)


def warmup_cosine(step: int, warmup: int, total: int, min_ratio: float = 0.0) -> float:
    """The learning-rate multiplier at ``step``: linear warm-up from 0, then cosine decay to
    ``min_ratio`` (``transformers.get_cosine_schedule_with_warmup`` with a floor).

    Args:
        step: the scheduler's step count (``LambdaLR``'s epoch), an int >= 0.
        warmup: warm-up steps, an int with ``0 <= warmup < total``.
        total: the step at which the decay reaches ``min_ratio`` (held there afterwards).
        min_ratio: the floor, in [0, 1].

    Returns:
        ``step / warmup`` while ``step < warmup``, then
        ``min_ratio + (1 - min_ratio) * (1 + cos(pi * progress)) / 2`` with
        ``progress = min(1, (step - warmup) / (total - warmup))``.

    Raises:
        ValueError: an argument out of range or not an int.
    """
    for name, value in (("step", step), ("warmup", warmup), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an int, got {value!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if not 0 <= warmup < total:
        raise ValueError(f"need 0 <= warmup < total, got warmup={warmup}, total={total}")
    if isinstance(min_ratio, bool) or not 0.0 <= min_ratio <= 1.0:
        raise ValueError(f"min_ratio must lie in [0, 1], got {min_ratio!r}")
    if step < warmup:
        return step / warmup
    progress = min(1.0, (step - warmup) / (total - warmup))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
