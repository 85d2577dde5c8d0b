"""Sandbox-side drivers of the diffusion_q_sample hidden suite.

``big_tensor_dtypes`` runs ``q_sample`` (or ``q_sample_correlated``) under a
``TorchDispatchMode`` that records the dtype of every tensor an operation produces with at least
as many elements as ``x0``: the judge checks that the batch is only ever touched in x0's own
dtype (the coefficients are cast before they meet it), which no comparison of values can see.
Nothing here is a solution.
"""

from __future__ import annotations

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class _Watch(TorchDispatchMode):
    def __init__(self, numel: int) -> None:
        super().__init__()
        self.numel = numel
        self.seen: list[tuple[str, str]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for value in tree_flatten(out)[0]:
            if isinstance(value, torch.Tensor) and value.numel() >= self.numel:
                self.seen.append((str(func.__name__), str(value.dtype).removeprefix("torch.")))
        return out


def big_tensor_dtypes(name: str, *args):
    """Call ``diffusion.<name>(*args)``; return (result, [(op, dtype) of every tensor produced
    with at least x0.numel() elements])."""
    import diffusion

    fn = getattr(diffusion, name)
    watch = _Watch(args[0].numel())
    with watch:
        out = fn(*args)
    return out, watch.seen
