"""Fixtures of the adamw_optimizer hidden suite: random training specs and the oracle.

The oracle is ``torch.optim.AdamW`` itself, run judge-side by the same driver (inside.py) that
runs the candidate's optimizer in the sandbox: same model, same data, same plan of which
parameters get a gradient at which step. The candidate's sandbox cannot reach it
(kata.toml ``forbidden``).
"""

from __future__ import annotations

import inside as driver
import pytest
import torch

from graders.checks import assert_tensor

#: Parameter groups by name prefix: every parameter of inside.Net in exactly one group.
GROUP_PREFIXES = (["trunk"], ["head_a", "frozen"], ["head_b"])


def random_spec(rng, dtype: str = "float64", steps: int = 200, groups: bool = True, **extra):
    """A training spec drawn from ``rng``: seed, constructor options and, with ``groups``, three
    parameter groups each overriding some options (the third inherits the defaults' betas)."""
    lr_hi = 5e-3 if dtype == "float64" else 3e-3
    defaults = {
        "lr": float(rng.uniform(1e-3, lr_hi)),
        "betas": (float(rng.uniform(0.85, 0.95)), float(rng.uniform(0.99, 0.999))),
        "eps": float(10 ** rng.uniform(-8, -6)),
        "weight_decay": float(rng.uniform(0.05, 0.3)),
        "amsgrad": False,
    }
    spec = {"seed": int(rng.integers(0, 2**31)), "dtype": dtype, "steps": steps,
            "defaults": defaults}  # fmt: skip
    if groups:
        spec["groups"] = [
            {"prefixes": GROUP_PREFIXES[0], "lr": float(rng.uniform(5e-4, lr_hi))},
            {"prefixes": GROUP_PREFIXES[1], "betas": (0.8, 0.99), "eps": 1e-7,
             "weight_decay": float(rng.uniform(0.0, 0.1))},
            {"prefixes": GROUP_PREFIXES[2], "weight_decay": float(rng.uniform(0.3, 0.6))},
        ]  # fmt: skip
    spec.update(extra)
    return spec


def options_text(spec: dict) -> str:
    """A short description of a spec for failure messages."""
    d = spec["defaults"]
    groups = len(spec.get("groups") or []) or 1
    return (
        f"AdamW(lr={d['lr']:.3g}, betas=({d['betas'][0]:.3g}, {d['betas'][1]:.4g}), "
        f"eps={d['eps']:.2g}, weight_decay={d['weight_decay']:.3g}, amsgrad={d['amsgrad']}) "
        f"over {groups} group(s), {spec['dtype']} parameters"
    )


def rtol_of(spec: dict) -> float:
    """R3's tolerance: 1e-10 on float64 parameters, 1e-5 on float32."""
    return 1e-10 if spec["dtype"] == "float64" else 1e-5


def oracle(spec: dict, opt_cls=torch.optim.AdamW, **kwargs) -> dict:
    """The judge's run of the same driver with ``torch.optim.AdamW`` (or another class)."""
    out = driver.train(opt_cls, spec, **kwargs)
    assert out["error"] is None, f"the oracle run failed: {out['error']}"
    return out


def check_run(got: dict, what: str, rule: str) -> None:
    """The candidate's run raised nothing."""
    if got["error"] is not None:
        raise AssertionError(f"{what} raised {got['error']} ({rule})")


def compare_params(got: dict, want: dict, spec: dict, what: str, rule: str, hint: str = ""):
    """Every parameter of the candidate's run equals the oracle's to R3's tolerance."""
    check_run(got, what, rule)
    for name, expected in want["params"].items():
        try:
            assert_tensor(got["params"].get(name), expected, rtol=rtol_of(spec),
                          what=f"{what}: parameter {name!r}")  # fmt: skip
        except AssertionError as exc:
            raise AssertionError(f"{exc} ({rule}){hint}") from None


@pytest.fixture
def spec(rng):
    """``spec(dtype="float64", steps=200, groups=True, **extra)``: a random training spec."""

    def make(dtype: str = "float64", steps: int = 200, groups: bool = True, **extra):
        return random_spec(rng, dtype, steps, groups, **extra)

    return make
