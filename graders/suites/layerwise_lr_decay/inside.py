"""Model classes and drivers of the layerwise_lr_decay hidden suite.

The model classes live here so the judge can send instances into the sandbox (a module is
pickled, so its class must be importable on both sides). The drivers run next to the model
because parameter groups hold the model's own parameter objects, whose identity does not cross
the channel: they describe the groups by parameter *names* (the names ``named_parameters()``
gives), step optimizers built from them, and read ``requires_grad`` flags, and return plain
data that the judge checks against its own oracle. Nothing here is a solution.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class ScaledLN(nn.LayerNorm):
    """A LayerNorm subclass whose class name does not say "Norm"."""


class Embeddings(nn.Module):
    """Token table, positional table, and the embeddings' LayerNorm (named ``ln``)."""

    def __init__(self, vocab: int, d: int, length: int) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(length, d))
        self.ln = nn.LayerNorm(d)

    def forward(self, tokens):
        return self.ln(self.tok(tokens) + self.pos[: tokens.shape[1]])


class PatchEmbed(nn.Module):
    """A vision stem: patch projection (Conv1d), a class token, a GroupNorm named ``gn``."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.proj = nn.Conv1d(3, d, 2, stride=2)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.gn = nn.GroupNorm(2, d)


class Block(nn.Module):
    """Pre-norm transformer block. Its norms are named ``ln_1`` (a LayerNorm subclass) and
    ``post`` (RMSNorm); ``norm_proj`` is a Linear (its name says norm, it is not one);
    ``gamma`` is a 1-D layer-scale vector."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.ln_1 = ScaledLN(d)
        self.attn = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.post = nn.RMSNorm(d)
        self.norm_proj = nn.Linear(d, d, bias=False)
        self.gamma = nn.Parameter(torch.ones(d))
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        q, k, v = self.attn(self.ln_1(x)).chunk(3, dim=-1)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1) @ v
        x = x + self.proj(a)
        return x + self.gamma * self.mlp(self.post(x)) + 0.1 * self.norm_proj(x)


class TinyLM(nn.Module):
    """embed / blocks / final norm ``ln_f`` (outside the parts) / head ``nn.Linear(d, vocab)``.

    ``tie``: the head's weight is the token table. ``head_first``: ``head`` is registered before
    ``embed`` (so ``named_parameters()`` names a tied table ``head.weight``). ``sequential``:
    blocks in an ``nn.Sequential`` instead of an ``nn.ModuleList``."""

    def __init__(
        self, gen: torch.Generator, n_blocks: int, *, d: int = 8, vocab: int = 11,
        length: int = 6, tie: bool = False, head_first: bool = False, sequential: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        if head_first:
            self.head = nn.Linear(d, vocab)
        self.embed = Embeddings(vocab, d, length)
        blocks = [Block(d) for _ in range(n_blocks)]
        self.blocks = nn.Sequential(*blocks) if sequential else nn.ModuleList(blocks)
        self.ln_f = nn.LayerNorm(d)
        if not head_first:
            self.head = nn.Linear(d, vocab)
        if tie:
            self.head.weight = self.embed.tok.weight
        randomise(self, gen)

    def forward(self, tokens):
        h = self.embed(tokens)
        for block in self.blocks:
            h = block(h)
        return self.head(self.ln_f(h))


class TinyViT(nn.Module):
    """A vision-shaped model: patch stem (GroupNorm), blocks, a top-level scale vector, and a
    classifier head holding a BatchNorm1d (``Sequential(Linear, Tanh, BatchNorm1d, Linear)``).
    Used for grouping only (no forward)."""

    def __init__(self, gen: torch.Generator, n_blocks: int, *, d: int = 8) -> None:
        super().__init__()
        self.embed = PatchEmbed(d)
        self.blocks = nn.ModuleList([Block(d) for _ in range(n_blocks)])
        self.scale = nn.Parameter(torch.ones(d))  # outside the parts: layer L, decayed
        self.head = nn.Sequential(nn.Linear(d, d), nn.Tanh(), nn.BatchNorm1d(d), nn.Linear(d, 4))
        randomise(self, gen)


class NoBlocks(nn.Module):
    """``embed`` and ``head`` but an empty ``blocks`` list."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(5, 4)
        self.blocks = nn.ModuleList()
        self.head = nn.Linear(4, 5)


class NoHead(nn.Module):
    """``embed`` and ``blocks`` only."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(5, 4)
        self.blocks = nn.ModuleList([nn.Linear(4, 4)])
        self.out = nn.Linear(4, 5)


def randomise(model: nn.Module, gen: torch.Generator) -> None:
    """Every parameter drawn from ``gen`` (weights O(0.5), norm gains around 1)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if name.endswith(("ln.weight", "ln_1.weight", "post.weight", "ln_f.weight", "gamma")):
                p.copy_(1.0 + 0.1 * noise)
            else:
                p.copy_(0.5 * noise)


# -- drivers ----------------------------------------------------------------------------------


def _names(model: nn.Module) -> dict[int, str]:
    return {id(p): n for n, p in model.named_parameters()}


def _freeze(model: nn.Module, frozen) -> None:
    params = dict(model.named_parameters())
    for name in frozen:
        params[name].requires_grad_(False)


def _number(v):
    """A group value as plain data: the number itself, or a description."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return {"not_a_number": type(v).__name__, "repr": repr(v)[:80]}
    return v


def describe(model: nn.Module, groups) -> dict:
    """The groups as names: ``{"type", "groups": [{"keys", "params_type", "params", "lr",
    "weight_decay"}]}``; a parameter that is not one of the model's own objects is named
    ``"<not a parameter of the model: TYPE SHAPE>"``."""
    names = _names(model)
    out = {"type": type(groups).__name__, "groups": []}
    if not isinstance(groups, list | tuple):
        return out
    for g in groups:
        if not isinstance(g, dict):
            out["groups"].append({"not_a_dict": type(g).__name__})
            continue
        params = g.get("params")
        listed = list(params) if isinstance(params, list | tuple) else []
        out["groups"].append({
            "keys": sorted(str(k) for k in g),
            "params_type": type(params).__name__,
            "params": [
                names[id(p)] if id(p) in names
                else f"<not a parameter of the model: {type(p).__name__} "
                f"{tuple(getattr(p, 'shape', ()))}>"
                for p in listed
            ],
            "lr": _number(g.get("lr")),
            "weight_decay": _number(g.get("weight_decay")),
        })  # fmt: skip
    return out


def groups_of(model, base_lr, decay, weight_decay, frozen=()) -> dict:
    """Freeze the parameters named in ``frozen``, call ``param_groups`` and describe the
    result (:func:`describe`); ``optimizer_error`` is what ``torch.optim.AdamW(groups)``
    raised (None if it accepted them)."""
    import layer_decay

    _freeze(model, frozen)
    groups = layer_decay.param_groups(model, base_lr, decay, weight_decay)
    out = describe(model, groups)
    try:
        torch.optim.AdamW(groups)
        out["optimizer_error"] = None
    except Exception as exc:  # noqa: BLE001 - reported to the judge
        out["optimizer_error"] = f"{type(exc).__name__}: {exc}"
    return out


def sgd_step(model, base_lr, decay, weight_decay, seed: int) -> dict:
    """``torch.optim.SGD(param_groups(...))`` (its lr/weight_decay defaults are absurd, so
    every group must set both), every parameter's grad drawn from ``seed``, one step:
    ``{name: (before, grad, after)}``."""
    import layer_decay

    gen = torch.Generator().manual_seed(seed)
    groups = layer_decay.param_groups(model, base_lr, decay, weight_decay)
    opt = torch.optim.SGD(groups, lr=1e6, weight_decay=1e6)
    out = {}
    for name, p in model.named_parameters():
        p.grad = torch.randn(p.shape, generator=gen)
        out[name] = [p.detach().clone(), p.grad.clone()]
    opt.step()
    for name, p in model.named_parameters():
        out[name].append(p.detach().clone())
    return out


def requires_grad_after(model, epoch, every, initial: dict) -> tuple:
    """Set each parameter's ``requires_grad`` from ``initial`` (name -> bool), call
    ``unfreeze_schedule(model, epoch, every)``: (its return value, name -> requires_grad)."""
    import layer_decay

    for name, p in model.named_parameters():
        p.requires_grad_(bool(initial.get(name, True)))
    first = layer_decay.unfreeze_schedule(model, epoch, every)
    return first, {n: bool(p.requires_grad) for n, p in model.named_parameters()}


def gradual_unfreezing_run(model, tokens, targets, epochs, every, options, steps=2) -> dict:
    """The recipe of the statement: ``unfreeze_schedule(model, 0, every)``, one AdamW built from
    ``param_groups(model, **options)``, then per epoch ``unfreeze_schedule(model, epoch,
    every)`` and ``steps`` steps of cross-entropy. Returns the schedule's return values, the
    flags after each call, and every parameter before training and after each epoch."""
    import layer_decay

    layer_decay.unfreeze_schedule(model, 0, every)
    opt = torch.optim.AdamW(layer_decay.param_groups(model, **options))
    snap = [{n: p.detach().clone() for n, p in model.named_parameters()}]
    firsts, flags = [], []
    for epoch in range(epochs):
        firsts.append(layer_decay.unfreeze_schedule(model, epoch, every))
        flags.append({n: bool(p.requires_grad) for n, p in model.named_parameters()})
        for _ in range(steps):
            opt.zero_grad()
            logits = model(tokens)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets)
            loss.backward()
            opt.step()
        snap.append({n: p.detach().clone() for n, p in model.named_parameters()})
    return {"firsts": firsts, "flags": flags, "snapshots": snap}
