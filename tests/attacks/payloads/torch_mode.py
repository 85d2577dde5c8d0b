"""Attack class 3 (torch): a global TorchFunctionMode that makes every torch call return
zeros-like results, .numpy() of zeros and .item() 1.0, pushed at import; the kata's functions
themselves are the stub's."""

import torch
from torch.overrides import TorchFunctionMode


class Everything(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name == "item":
            return 1.0
        out = func(*args, **(kwargs or {}))
        return (
            torch.zeros_like(out)
            if isinstance(out, torch.Tensor) and out.is_floating_point()
            else out
        )


Everything().__enter__()
