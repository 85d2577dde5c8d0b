"""Hidden correctness tests of layerwise_lr_decay.

Oracles (oracle_lld.py) are independent of the reference: layers read off every dotted parameter
name (tied parameters under each of their names), norms by isinstance against the statement's
list, biases by attribute name, the SGD update and the unfreezing threshold written out. Models
live in inside.py (they are pickled into the sandbox); the groups hold the model's own parameter
objects, so inside.py's drivers describe them by name and run the optimizers next to the model.
"""

import math

import inside as models
import oracle_lld as oracle
import pytest
import torch
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from graders.checks import assert_raises_value_error

NEVER_TRAINED = (
    "A parameter left out of every group is silently never trained: the optimizer never steps "
    "it, even after unfreeze_schedule gives it a gradient. Frozen parameters must be grouped "
    "too, since one optimizer built at epoch 0 serves the whole schedule"
)
BY_TYPE = (
    "norms are recognised by module type (isinstance), not by name: GPT-style names such as "
    "ln_1 or post hide a norm, and a Linear called norm_proj is not one"
)


def _settings(desc: dict, what: str) -> dict[str, list[tuple]]:
    """{name: [(lr, weight_decay), ...] one entry per occurrence} from a described result."""
    if desc["type"] not in ("list",):
        raise AssertionError(f"{what} returned a {desc['type']}; R1: a list of dicts")
    out: dict[str, list[tuple]] = {}
    for i, g in enumerate(desc["groups"]):
        if "not_a_dict" in g:
            raise AssertionError(f"{what}: group {i} is a {g['not_a_dict']}; R1: a dict")
        for key in ("lr", "weight_decay"):
            if isinstance(g[key], dict):
                raise AssertionError(
                    f"{what}: group {i} has {key}={g[key]['repr']} "
                    f"({g[key]['not_a_number']}); R1: each group sets 'lr' and 'weight_decay' "
                    "as Python numbers"
                )
        if g["params_type"] != "list":
            raise AssertionError(
                f"{what}: group {i} 'params' is a {g['params_type']}; R1: a list of the "
                "model's parameters"
            )
        for name in g["params"]:
            out.setdefault(name, []).append((g["lr"], g["weight_decay"]))
    strangers = [n for n in out if n.startswith("<")]
    if strangers:
        raise AssertionError(
            f"{what}: the groups hold {strangers[0]}; R1: 'params' holds the model's own "
            "nn.Parameter objects (a copy, a view or .data is never stepped by the optimizer)"
        )
    return out


def _once(got: dict, model, what: str) -> dict[str, tuple]:
    """Each parameter's (lr, weight_decay), failing on a parameter placed twice or never."""
    twice = sorted(n for n, v in got.items() if len(v) > 1)
    if twice:
        raise AssertionError(
            f"{what} placed {twice[0]!r} in {len(got[twice[0]])} groups; R4: every parameter "
            "in exactly one group (torch.optim raises on a parameter in two groups; a tied "
            "weight is one parameter, reachable from two parts)"
        )
    missing = [n for n, _ in model.named_parameters() if n not in got]
    if missing:
        raise AssertionError(
            f"{what} left {len(missing)} parameter(s) out of every group, e.g. {missing[0]!r}; "
            f"R2: every parameter of the model, frozen ones and those outside embed/blocks/head "
            f"included. {NEVER_TRAINED}"
        )
    return {n: v[0] for n, v in got.items()}


# -- R1: the groups' form -------------------------------------------------------------------------


@pytest.mark.rules("R1")
def test_groups_are_dicts_of_the_models_own_parameters(sol, inside, torch_gen):
    """A list of dicts with 'params' (a list of the model's own Parameter objects), 'lr' and
    'weight_decay' (Python numbers); torch.optim.AdamW accepts them."""
    model = models.TinyLM(torch_gen, 2)
    desc = inside(sol).groups_of(model, 1e-3, 0.8, 0.05)
    what = "param_groups(TinyLM with 2 blocks, 1e-3, 0.8, 0.05)"
    _settings(desc, what)
    for i, g in enumerate(desc["groups"]):
        missing = {"params", "lr", "weight_decay"} - set(g["keys"])
        assert not missing, f"{what}: group {i} has keys {g['keys']}; R1: it needs {missing}"
    assert desc["optimizer_error"] is None, (
        f"torch.optim.AdamW({what}) raised {desc['optimizer_error']}; R1"
    )


# -- R2: every parameter, frozen ones included ---------------------------------------------------


@pytest.mark.rules("R2")
def test_every_parameter_is_grouped_frozen_ones_included(sol, inside, torch_gen):
    """With the lower layers frozen (as unfreeze_schedule leaves them at epoch 0), or the whole
    model frozen, every parameter, the final norm outside the parts included, is grouped."""
    model = models.TinyLM(torch_gen, 3)
    spans, top = oracle.layer_spans(model)
    below_top = [n for n, (_, hi) in spans.items() if hi < top]
    everything = [n for n, _ in model.named_parameters()]
    for frozen, label in ((below_top, "layers 0..N frozen"), (everything, "all frozen")):
        what = f"param_groups(TinyLM with 3 blocks, {label}, 1e-3, 0.7, 0.01)"
        got = _settings(inside(sol).groups_of(model, 1e-3, 0.7, 0.01, frozen), what)
        _once(got, model, what)


@pytest.mark.rules("R2", "R7")
def test_gradual_unfreezing_trains_every_parameter(sol, inside, torch_gen, kata_seed):
    """The statement's recipe: one AdamW built at epoch 0, layers unfrozen from the top. In each
    epoch exactly the parameters of the unfrozen layers change; by the end, all have."""
    n_blocks, every = 2, 1
    model = models.TinyLM(torch_gen, n_blocks, tie=False)
    tokens = torch.randint(0, 11, (4, 6), generator=torch_gen)
    targets = torch.randint(0, 11, (24,), generator=torch_gen)
    epochs = n_blocks + 2
    options = {"base_lr": 1e-2, "decay": 0.8, "weight_decay": 0.01}
    run = inside(sol).gradual_unfreezing_run(model, tokens, targets, epochs, every, options)
    snaps = run["snapshots"]
    for epoch in range(epochs):
        want_first, want = oracle.trainable(model, epoch, every)
        changed = {n: not torch.equal(snaps[epoch][n], snaps[epoch + 1][n]) for n in want}
        for name, trains in want.items():
            if trains and not changed[name]:
                raise AssertionError(
                    f"gradual unfreezing (TinyLM with {n_blocks} blocks, one AdamW from "
                    f"param_groups built at epoch 0): {name!r} did not change in epoch {epoch} "
                    f"although layer >= {want_first} is unfrozen then; R2: it must be in a "
                    f"group. {NEVER_TRAINED}"
                )
            if changed[name] and not trains:
                raise AssertionError(
                    f"gradual unfreezing: {name!r} changed in epoch {epoch}, when only layers "
                    f">= {want_first} train; R7: it must be frozen then"
                )


# -- R3: the learning rate of each layer ---------------------------------------------------------


@pytest.mark.rules("R3")
def test_learning_rate_decays_per_layer(sol, inside):
    """Hypothesis (plus fixed cases at decay 0.5 and 1.0) over N, base_lr, decay, ModuleList or
    Sequential blocks, a language and a vision model: lr = base_lr * decay ** (L - layer)."""

    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate),  # no shrinking: each example pickles a model
    )
    @given(
        n_blocks=st.integers(1, 5),
        base_lr=st.floats(1e-5, 1.0),
        decay=st.floats(0.05, 0.99),
        kind=st.sampled_from(["lm", "lm-sequential", "vit"]),
        seed=st.integers(0, 2**31 - 1),
    )
    @example(n_blocks=3, base_lr=1e-3, decay=0.5, kind="lm", seed=0)  # always a decaying case
    @example(n_blocks=2, base_lr=0.02, decay=1.0, kind="vit", seed=1)  # no decay at all
    def check(n_blocks, base_lr, decay, kind, seed):
        gen = torch.Generator().manual_seed(seed)
        if kind == "vit":
            model = models.TinyViT(gen, n_blocks)
        else:
            model = models.TinyLM(gen, n_blocks, sequential=kind == "lm-sequential")
        what = (
            f"param_groups({type(model).__name__} {kind} N={n_blocks}, {base_lr!r}, {decay!r}, 0.1)"
        )
        got = _once(_settings(inside(sol).groups_of(model, base_lr, decay, 0.1), what), model, what)
        spans, top = oracle.layer_spans(model)
        for name, (lo, _) in spans.items():
            want = base_lr * decay ** (top - lo)
            if not math.isclose(got[name][0], want, rel_tol=1e-9):
                raise AssertionError(
                    f"{what} gave {name!r} lr={got[name][0]!r}, expected {want!r} (layer {lo} "
                    f"of L={top}); R3: layer 0 is embed, block k is layer k+1, the head and "
                    f"anything outside the parts layer L = N+1, lr = base_lr * decay**(L - layer)"
                )

    check()


@pytest.mark.rules("R3", "R5")
def test_sgd_step_uses_each_groups_settings(sol, inside, torch_gen, kata_seed):
    """torch.optim.SGD built from the groups (absurd defaults): one step moves every parameter
    by -lr * (grad + weight_decay * p) with its layer's lr and its own weight decay."""
    model = models.TinyViT(torch_gen, 2)
    base_lr, decay, wd = 0.1, 0.6, 0.3
    out = inside(sol).sgd_step(model, base_lr, decay, wd, kata_seed)
    want = oracle.expected(model, base_lr, decay, wd)
    for name, (lr, w) in want.items():
        before, grad, after = out[name]
        expect = before - lr * (grad + w * before)
        if not torch.allclose(after, expect, rtol=1e-5, atol=1e-6):
            step = (before - after).abs().max().item()
            raise AssertionError(
                f"SGD(param_groups(TinyViT N=2, {base_lr}, {decay}, {wd})).step() moved "
                f"{name!r} by up to {step:.4g}, expected lr={lr:.6g} and weight_decay={w}; "
                f"R3 (lr by layer) and R5 (no weight decay on biases and norms)"
            )


# -- R4: tied weights ---------------------------------------------------------------------------


@pytest.mark.parametrize("head_first", [False, True], ids=["embed-first", "head-first"])
@pytest.mark.rules("R4")
def test_tied_weight_once_with_the_lowest_layer(sol, inside, torch_gen, head_first):
    """An embedding table tied to the head is in exactly one group, with the embeddings' lr,
    whichever part the model registered first; torch.optim.AdamW accepts the groups."""
    model = models.TinyLM(torch_gen, 3, tie=True, head_first=head_first)
    tied = "head.weight" if head_first else "embed.tok.weight"
    base_lr, decay = 1e-3, 0.5
    what = f"param_groups(TinyLM N=3, tied, {'head' if head_first else 'embed'} registered first)"
    desc = inside(sol).groups_of(model, base_lr, decay, 0.05)
    got = _settings(desc, what)
    count = len(got.get(tied, []))
    assert count == 1 and desc["optimizer_error"] is None, (
        f"{what} placed the tied table ({tied!r}: the head's weight is the token embedding) "
        f"{count} time(s); AdamW said: {desc['optimizer_error']}. R4: a tied parameter is one "
        f"parameter, in exactly one group"
    )
    want = base_lr * decay**4
    assert math.isclose(got[tied][0][0], want, rel_tol=1e-9), (
        f"{what} gave the tied table lr={got[tied][0][0]!r}, expected {want!r}; R4: a tied "
        f"parameter takes the lr of the lowest layer it is reachable from (layer 0, the "
        f"embeddings), whatever order the parts were registered in"
    )


# -- R5: weight decay by module type --------------------------------------------------------------


@pytest.mark.rules("R5")
def test_no_weight_decay_on_biases_and_norms_by_type(sol, inside, torch_gen):
    """Biases and parameters of LayerNorm (and a subclass), RMSNorm, GroupNorm, BatchNorm1d get
    0 whatever their names; a Linear named norm_proj, a layer-scale vector, tables get wd."""
    for model in (models.TinyLM(torch_gen, 2), models.TinyViT(torch_gen, 2)):
        what = f"param_groups({type(model).__name__} N=2, 1e-3, 0.9, 0.05)"
        got = _once(_settings(inside(sol).groups_of(model, 1e-3, 0.9, 0.05), what), model, what)
        free = oracle.no_decay(model)
        modules = dict(model.named_modules())
        for name in got:
            want = 0.0 if name in free else 0.05
            if got[name][1] != want:
                owner = type(modules[name.rpartition(".")[0]]).__name__ if "." in name else "-"
                raise AssertionError(
                    f"{what} gave {name!r} (a parameter of a {owner}) weight_decay="
                    f"{got[name][1]!r}, expected {want}; R5: no decay exactly on biases and on "
                    f"parameters of norm modules; {BY_TYPE}; a 1-D parameter that is neither "
                    f"is decayed"
                )


# -- R6: errors of param_groups -------------------------------------------------------------------


@pytest.mark.rules("R6")
def test_param_groups_rejects_bad_arguments(sol, torch_gen):
    """base_lr <= 0, decay outside (0, 1], weight_decay < 0, NaN or inf, a missing head or an
    empty blocks list: ValueError."""
    model = models.TinyLM(torch_gen, 1)
    nan, inf = float("nan"), float("inf")
    bad = [
        (0.0, 0.5, 0.1), (-1e-3, 0.5, 0.1), (nan, 0.5, 0.1), (inf, 0.5, 0.1),
        (1e-3, 0.0, 0.1), (1e-3, -0.5, 0.1), (1e-3, 1.0001, 0.1), (1e-3, nan, 0.1),
        (1e-3, 0.5, -0.1), (1e-3, 0.5, nan), (1e-3, 0.5, inf),
    ]  # fmt: skip
    for args in bad:
        assert_raises_value_error(
            lambda a=args: sol.param_groups(model, *a), f"param_groups(model, {args})", "R6"
        )
    for bad_model in (models.NoBlocks(), models.NoHead()):
        assert_raises_value_error(
            lambda m=bad_model: sol.param_groups(m, 1e-3, 0.5, 0.1),
            f"param_groups({type(bad_model).__name__}, 1e-3, 0.5, 0.1)", "R6",
        )  # fmt: skip


# -- R7-R9: unfreeze_schedule ---------------------------------------------------------------------


@pytest.mark.rules("R7")
def test_unfreeze_schedule_from_the_top(sol, inside, torch_gen, rng):
    """f = max(0, L - epoch // every) at the stage boundaries and beyond, from random
    requires_grad flags: exactly the layers >= f train, the final norm always; returns f."""
    model = models.TinyLM(torch_gen, 3)
    names = [n for n, _ in model.named_parameters()]
    cases = [(0, 1), (1, 1), (3, 1), (4, 1), (9, 1), (2, 3), (3, 3), (5, 3), (6, 3), (11, 3)]
    cases.append((int(rng.integers(0, 20)), int(rng.integers(1, 5))))
    for epoch, every in cases:
        initial = {n: bool(rng.random() < 0.5) for n in names}
        first, flags = inside(sol).requires_grad_after(model, epoch, every, initial)
        want_first, want = oracle.trainable(model, epoch, every)
        what = f"unfreeze_schedule(TinyLM N=3, epoch={epoch}, every={every})"
        assert type(first) is int and first == want_first, (
            f"{what} returned {first!r}, expected {want_first}; R7: f = max(0, L - epoch // "
            f"every) with L = N + 1, as an int"
        )
        wrong = [n for n in names if flags[n] != want[n]]
        assert not wrong, (
            f"{what} left {wrong[0]!r} requires_grad={flags[wrong[0]]}, expected "
            f"{want[wrong[0]]} ({len(wrong)} wrong); R7: layers >= {want_first} train (the "
            f"head and anything outside the parts are layer L), all others are frozen, "
            f"whatever their flag was before"
        )


@pytest.mark.parametrize("head_first", [False, True], ids=["embed-first", "head-first"])
@pytest.mark.rules("R8")
def test_unfreeze_tied_head_trains_from_the_start(sol, inside, torch_gen, head_first):
    """An embedding table tied to the head trains from epoch 0 (the head is unfrozen), while
    the rest of the embeddings stay frozen until the last stage."""
    model = models.TinyLM(torch_gen, 2, tie=True, head_first=head_first)
    tied = "head.weight" if head_first else "embed.tok.weight"
    names = [n for n, _ in model.named_parameters()]
    for epoch in (0, 1, 2):
        first, flags = inside(sol).requires_grad_after(model, epoch, 1, dict.fromkeys(names, False))
        _, want = oracle.trainable(model, epoch, 1)
        assert flags[tied], (
            f"unfreeze_schedule(TinyLM N=2 with the head tied to the token table, epoch={epoch}"
            f") froze the tied table {tied!r}: the head's own weight does not train. R8: a tied "
            f"parameter trains as soon as any part it is reachable from is unfrozen"
        )
        wrong = [n for n in names if flags[n] != want[n]]
        assert not wrong, (
            f"unfreeze_schedule(tied TinyLM N=2, epoch={epoch}) left {wrong[0]!r} "
            f"requires_grad={flags[wrong[0]]}; R7/R8"
        )


@pytest.mark.rules("R9")
def test_unfreeze_schedule_rejects_bad_arguments(sol, torch_gen):
    """epoch < 0, every < 1, or a model without blocks: ValueError."""
    model = models.TinyLM(torch_gen, 2)
    for epoch, every in ((-1, 1), (-5, 2), (0, 0), (3, -2)):
        assert_raises_value_error(
            lambda e=epoch, k=every: sol.unfreeze_schedule(model, e, k),
            f"unfreeze_schedule(model, epoch={epoch}, every={every})", "R9",
        )  # fmt: skip
    assert_raises_value_error(
        lambda: sol.unfreeze_schedule(models.NoBlocks(), 0, 1),
        "unfreeze_schedule(model with an empty blocks list, 0, 1)", "R9",
    )  # fmt: skip
