"""Sandbox-side drivers of the adamw_optimizer hidden suite.

The optimizer updates a model in place, and autograd does not cross the channel, so the model
must live in the sandbox next to the optimizer: :func:`train` builds a small model from a seed,
trains it with an optimizer class for a number of steps (gradients from real backward passes,
some parameters left without a gradient at some steps, as a spec says) and returns the
parameters and the optimizer's state dict by value. The judge runs the very same function,
judge-side, with ``torch.optim.AdamW`` and compares. The ``bench_*`` functions hold the large
parameter set of the performance gate in the sandbox, so only a step index crosses per timed
call. Nothing here is a solution: the optimizer is always the module's own.
"""

from __future__ import annotations

import importlib
from typing import Any

import torch
from torch import nn

D_IN, D_HID, D_OUT, BATCH = 8, 16, 4, 32


class Net(nn.Module):
    """A trunk shared by two heads (a multi-task model): ``head_b`` takes part in the loss only
    at the steps a plan says, so its parameters have no gradient (or a zero one) at the others.
    ``frozen`` never gets a gradient (``requires_grad=False``)."""

    def __init__(self, seed: int, dtype: torch.dtype) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.trunk = nn.Sequential(
            nn.Linear(D_IN, D_HID), nn.Tanh(), nn.LayerNorm(D_HID), nn.Linear(D_HID, D_HID)
        )
        self.head_a = nn.Linear(D_HID, D_OUT)
        self.head_b = nn.Linear(D_HID, D_OUT)
        self.frozen = nn.Parameter(torch.ones(D_OUT), requires_grad=False)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * 0.5)
        self.to(dtype)

    def forward(self, x: torch.Tensor, use_a: bool, use_b: bool) -> torch.Tensor:
        h = torch.tanh(self.trunk(x))
        out = torch.zeros((), dtype=x.dtype)
        if use_a:
            out = out + self.head_a(h) * self.frozen
        if use_b:
            out = out + 0.5 * self.head_b(h)
        return out


def _dtype(name: str) -> torch.dtype:
    return {"float64": torch.float64, "float32": torch.float32}[name]


def batches(spec: dict) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The data of every step, drawn from the spec's seed (the same on both sides)."""
    gen = torch.Generator().manual_seed(int(spec["seed"]) + 1)
    dtype = _dtype(spec["dtype"])
    out = []
    for s in range(int(spec["steps"])):
        scale = float(spec.get("grad_scales", [1.0])[s % len(spec.get("grad_scales", [1.0]))])
        x = torch.randn(BATCH, D_IN, generator=gen, dtype=torch.float64)
        y = torch.randn(BATCH, D_OUT, generator=gen, dtype=torch.float64) * scale
        out.append((x.to(dtype), y.to(dtype)))
    return out


def groups_of(model: nn.Module, spec: dict) -> list:
    """The optimizer's ``params`` argument: ``model.parameters()`` when the spec has no groups,
    else one dict per group (parameters chosen by name prefix, the group's own options)."""
    if not spec.get("groups"):
        return list(model.parameters())
    named = dict(model.named_parameters())
    groups = []
    for g in spec["groups"]:
        g = dict(g)
        prefixes = g.pop("prefixes")
        g["params"] = [p for n, p in named.items() if n.startswith(tuple(prefixes))]
        groups.append(g)
    return groups


def resolve(opt_cls: Any) -> Any:
    """``"candidate"``: the AdamW of this sandbox's ``adamw`` module; ``"baseline"``: the
    suite's baseline; a class: itself (the judge's own runs)."""
    if opt_cls == "candidate":
        return importlib.import_module("adamw").AdamW
    if opt_cls == "baseline":
        return importlib.import_module("baseline").AdamW
    return opt_cls


def train(
    opt_cls: Any,
    spec: dict,
    start: int = 0,
    stop: int | None = None,
    params: dict | None = None,
    state: dict | None = None,
    ctor: dict | None = None,
) -> dict:
    """Train a fresh ``Net`` from step ``start`` to ``stop`` (default: the spec's ``steps``).

    ``params`` (a ``named_parameters`` dict) and ``state`` (an optimizer state dict) resume a
    run; ``ctor`` replaces the spec's constructor options (the loaded state must win over them).

    Spec keys: ``seed``, ``dtype``, ``steps``, ``defaults`` (constructor keywords), ``groups``
    (``[{"prefixes": [...], option: value}]``), ``use_b`` (steps at which head_b is in the loss,
    default all), ``set_to_none`` (zero_grad style), ``closure`` (step through a closure),
    ``lrs`` (``{step: [lr of each group]}``: written into ``param_groups`` before that step, as
    a scheduler would), ``grad_scales`` (cycled over the steps: target scales).

    Returns:
        ``params`` (name -> tensor), ``state_dict`` (the optimizer's), ``losses`` (the value
        each step returned), ``closure_calls`` (per step), ``grads_kept`` (the gradients were
        not modified by ``step``), ``leaves`` (the parameters stayed leaves), ``error`` (the
        exception's type and message, None when none was raised).
    """
    cls = resolve(opt_cls)
    dtype = _dtype(spec["dtype"])
    model = Net(int(spec["seed"]), dtype)
    if params is not None:
        with torch.no_grad():
            for n, p in model.named_parameters():
                p.copy_(params[n])
    data = batches(spec)
    stop = int(spec["steps"]) if stop is None else stop
    use_b = set(spec.get("use_b", range(int(spec["steps"]))))
    set_to_none = bool(spec.get("set_to_none", True))
    lrs = {int(k): v for k, v in (spec.get("lrs") or {}).items()}
    result: dict[str, Any] = {
        "losses": [], "closure_calls": [], "grads_kept": True, "leaves": True, "error": None
    }  # fmt: skip
    try:
        opt = cls(groups_of(model, spec), **(spec.get("defaults", {}) if ctor is None else ctor))
        if state is not None:
            opt.load_state_dict(state)
        for s in range(start, stop):
            if s in lrs:
                for group, lr in zip(opt.param_groups, lrs[s], strict=True):
                    group["lr"] = lr
            x, y = data[s]
            b = s in use_b
            calls = [0]

            def closure(x=x, y=y, b=b, calls=calls):
                calls[0] += 1
                opt.zero_grad(set_to_none=set_to_none)
                loss = ((model(x, True, b) - y) ** 2).mean()
                loss.backward()
                return loss

            if spec.get("closure"):
                returned = opt.step(closure)
            else:
                closure()
                calls[0] = 0
                grads = {n: (None if p.grad is None else p.grad.clone())
                         for n, p in model.named_parameters()}  # fmt: skip
                returned = opt.step()
                for n, p in model.named_parameters():
                    before = grads[n]
                    if (before is None) != (p.grad is None) or (
                        before is not None and not torch.equal(before, p.grad)
                    ):
                        result["grads_kept"] = False
            result["closure_calls"].append(calls[0])
            result["losses"].append(
                returned.detach().clone() if isinstance(returned, torch.Tensor) else returned
            )
            for p in model.parameters():
                if p.grad_fn is not None or not p.is_leaf:
                    result["leaves"] = False
        result["state_dict"] = opt.state_dict()
    except Exception as exc:  # noqa: BLE001 - reported by the judge
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["params"] = {n: p.detach().clone() for n, p in model.named_parameters()}
    result["requires_grad"] = {n: p.requires_grad for n, p in model.named_parameters()}
    return result


def round_trip(spec: dict, at: int, ctor: dict) -> dict:
    """Train the module's AdamW to step ``at``, take its ``state_dict()``, then resume from a
    fresh model (the parameters copied) and a fresh AdamW built with ``ctor`` that loads the
    state, to the spec's last step."""
    first = train("candidate", spec, 0, at)
    if first["error"] is not None:
        return first
    return train("candidate", spec, at, None, first["params"], first["state_dict"], ctor)


def describe(defaults: dict, groups: list | None) -> dict:
    """Build the module's AdamW over a fresh ``Net`` and report what it is: an Optimizer
    subclass? and each group's options (without the parameters)."""
    cls = resolve("candidate")
    model = Net(0, torch.float64)
    opt = cls(groups_of(model, {"groups": groups}), **defaults)
    return {
        "is_optimizer": isinstance(opt, torch.optim.Optimizer),
        "groups": [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups],
        "sizes": [len(g["params"]) for g in opt.param_groups],
    }


def scheduled(
    spec: dict, warmup: int, total: int, min_ratio: float, opt_cls: Any = "candidate",
    ratio: Any = None,
) -> dict:  # fmt: skip
    """Train with an AdamW whose lr follows ``LambdaLR`` with ``warmup_cosine`` (the module's
    own unless the judge passes its ``ratio`` function); also the lr of each step as the
    scheduler set it."""
    cls = resolve(opt_cls)
    if ratio is None:
        ratio = importlib.import_module("adamw").warmup_cosine
    model = Net(int(spec["seed"]), _dtype(spec["dtype"]))
    opt = cls(model.parameters(), **spec.get("defaults", {}))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: ratio(s, warmup, total, min_ratio))
    lrs = []
    for x, y in batches(spec):
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.zero_grad()
        ((model(x, True, True) - y) ** 2).mean().backward()
        opt.step()
        sched.step()
    return {"params": {n: p.detach().clone() for n, p in model.named_parameters()}, "lrs": lrs}


# -- the performance gate's large parameter set -------------------------------------------------

_BENCH: dict[str, Any] = {}


def bench_tensor(seed: int, index: int, shape: tuple, kind: int) -> torch.Tensor:
    """Tensor ``index`` of the benchmark: its initial value (kind 0) or gradient ``kind``
    (1 or 2), float32, drawn from its own generator so the judge can redraw any one alone."""
    gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + 3 * index + kind)
    scale = 0.5 if kind == 0 else 10.0 ** ((index % 5) - 3)
    return torch.randn(shape, generator=gen) * scale


def bench_setup(which: str, seed: int, shapes: list, options: dict) -> int:
    """Hold ``len(shapes)`` float32 parameters, two gradient sets and an AdamW of ``which``
    (``"candidate"`` or ``"baseline"``) over them; returns the number of elements."""
    params = [nn.Parameter(bench_tensor(seed, i, tuple(s), 0)) for i, s in enumerate(shapes)]
    grads = [[bench_tensor(seed, i, tuple(s), k) for i, s in enumerate(shapes)] for k in (1, 2)]
    _BENCH.clear()
    _BENCH.update(params=params, grads=grads, opt=resolve(which)(params, **options))
    return sum(p.numel() for p in params)


def bench_step(k: int) -> None:
    """One optimizer step with gradient set ``k % 2`` (the only thing a timed call ships)."""
    for p, g in zip(_BENCH["params"], _BENCH["grads"][k % 2], strict=True):
        p.grad = g
    _BENCH["opt"].step()


def bench_probe(indices: list) -> dict:
    """The parameters at ``indices`` and their step counts, after the steps so far."""
    opt, params = _BENCH["opt"], _BENCH["params"]
    out = {}
    for i in indices:
        st = opt.state.get(params[i], {})
        step = st.get("step")
        out[int(i)] = {
            "param": params[i].detach().clone(),
            "step": None if step is None else float(step),
        }
    return out


def bench_release() -> None:
    """Free the benchmark's memory."""
    _BENCH.clear()
