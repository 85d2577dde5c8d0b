"""Sandbox-side helper of the prevalence_metrics hidden suite (it holds no solution)."""


def modified_arguments(module: str, function: str, args: list) -> list:
    """Positions of the numpy array arguments that ``module.function(*args)`` changed in place,
    compared with copies taken here (no solution: a check run next to the code it checks)."""
    import importlib

    import numpy as np

    fn = getattr(importlib.import_module(module), function)
    copies = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
    fn(*args)
    return [
        i
        for i, (a, c) in enumerate(zip(args, copies, strict=True))
        if c is not None and not (a.dtype == c.dtype and np.array_equal(a, c, equal_nan=True))
    ]
