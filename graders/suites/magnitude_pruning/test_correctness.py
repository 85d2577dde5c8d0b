"""Hidden correctness tests of magnitude_pruning.

Oracles (conftest.py) are independent of the reference: prunable weights found by module type,
a Python sort of (|w|, parameter position, flat index) tuples for the global masks, a loop over
groups for 2:4, masked training re-run by the judge with functional_call, and the storage
format's arithmetic written out. Models live in inside.py (they are pickled into the sandbox);
what apply_masks does to a model is read back there by inside.py's drivers.
"""

import copy

import inside as models
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.checks import assert_tensor


def _pruned(masks) -> int:
    return sum(int((~m).sum()) for m in masks.values())


def _check_masks(got, want, what: str, model=None) -> None:
    if not isinstance(got, dict):
        raise AssertionError(f"{what} returned {type(got).__name__}, expected a dict (R1)")
    if set(got) != set(want):
        extra, missing = sorted(set(got) - set(want)), sorted(set(want) - set(got))
        raise AssertionError(
            f"{what} returned masks for {sorted(got)}; extra {extra}, missing {missing}. R1: one "
            "mask per weight of a Linear/Conv1d/2d/3d module (subclasses included), none for "
            "biases or other modules' parameters, keyed as named_parameters() names them"
        )
    for name, w in want.items():
        m = got[name]
        if type(m) is not torch.Tensor or m.dtype != torch.bool or m.shape != w.shape:
            raise AssertionError(
                f"{what}[{name!r}] is {type(m).__name__} "
                f"{getattr(m, 'dtype', '')} {tuple(getattr(m, 'shape', ()))}; R1: a bool tensor "
                f"of the weight's shape {tuple(w.shape)}"
            )


def _first_difference(got, want) -> str:
    for name, w in want.items():
        if not torch.equal(got[name], w):
            idx = tuple(int(i) for i in torch.nonzero(got[name] != w)[0])
            return (
                f"first difference in {name!r} at {idx}: kept={bool(got[name][idx])}, "
                f"expected kept={bool(w[idx])}"
            )
    return ""


# -- global_magnitude_masks -----------------------------------------------------------------------


@pytest.mark.rules("R1")
def test_masks_cover_exactly_the_prunable_weights(sol, oracle, torch_gen):
    """One bool mask per weight of every Linear/Conv layer (subclasses too), none for biases,
    norms, embeddings or a custom module's `weight`."""
    for model in (models.EdgeNet(torch_gen), models.SignalNet(torch_gen)):
        got = sol.global_magnitude_masks(model, 0.5)
        want = oracle.global_masks(model, 0.5)
        _check_masks(got, want, f"global_magnitude_masks({type(model).__name__}, 0.5)")


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.9, 1.0, "random"])
@pytest.mark.rules("R1", "R2")
def test_global_masks_match_brute_force(sol, oracle, rng, torch_gen, sparsity):
    """The masks prune exactly the round(sparsity * N) smallest |w| of all prunable weights."""
    if sparsity == "random":
        sparsity = float(rng.uniform(0.05, 0.95))
    scales = tuple(float(s) for s in rng.uniform(0.2, 3.0, size=3))
    for model in (models.EdgeNet(torch_gen, (*scales, 1.0)), models.SignalNet(torch_gen, scales)):
        got = sol.global_magnitude_masks(model, sparsity)
        want = oracle.global_masks(model, sparsity)
        what = f"global_magnitude_masks({type(model).__name__}, {sparsity:.6g})"
        _check_masks(got, want, what)
        n = sum(m.numel() for m in want.values())
        if _pruned(got) != _pruned(want):
            raise AssertionError(
                f"{what} pruned {_pruned(got)} of {n} weights, expected {_pruned(want)}; R2: "
                "exactly round(sparsity * N) weights are pruned"
            )
        if any(not torch.equal(got[k], want[k]) for k in want):
            raise AssertionError(
                f"{what}: wrong weights pruned; {_first_difference(got, want)}. R2: the pruned "
                "weights are the smallest in absolute value over all layers together"
            )


@pytest.mark.rules("R2")
def test_global_not_layerwise(sol, oracle, edge_net):
    """With layers at very different magnitudes, the threshold is one for the whole model: the
    small-magnitude layer loses most of its weights, the large one almost none."""
    model = edge_net(scales=(10.0, 1.0, 0.05, 1.0))
    got = sol.global_magnitude_masks(model, 0.5)
    want = oracle.global_masks(model, 0.5)
    _check_masks(got, want, "global_magnitude_masks(EdgeNet, 0.5)")
    per_layer = {k: round(float((~got[k]).double().mean()), 3) for k in want}
    if any(not torch.equal(got[k], want[k]) for k in want):
        expected = {k: round(float((~want[k]).double().mean()), 3) for k in want}
        hint = ""
        if all(abs(v - 0.5) < 0.01 for v in per_layer.values()):
            hint = (
                " Every layer lost half of its weights: that is layer-wise pruning. A weight of "
                "0.01 matters as little in a large layer as in a small one; R2 asks for one "
                "magnitude threshold over the whole model, so layers of small weights lose more."
            )
        raise AssertionError(
            f"global_magnitude_masks(EdgeNet with layer scales 10, 1, 0.05, 1; sparsity 0.5) "
            f"pruned these fractions per layer: {per_layer}, expected {expected} (R2).{hint}"
        )


@pytest.mark.parametrize(("hidden", "sparsity"), [(3, 0.25), (5, 0.25), (5, 0.375), (7, 0.65)])
@pytest.mark.rules("R2")
def test_pruned_count_rounds_like_python(sol, torch_gen, hidden, sparsity):
    """k = round(sparsity * N) with Python's round: 7.5 -> 8, 12.5 -> 12, 18.75 -> 19."""
    model = models.MLP(torch_gen, 8, hidden, 2)
    n = hidden * 10
    got = _pruned(sol.global_magnitude_masks(model, sparsity))
    want = round(sparsity * n)
    assert got == want, (
        f"global_magnitude_masks(MLP with N={n} prunable weights, {sparsity}) pruned {got}, "
        f"expected round({sparsity} * {n}) = round({sparsity * n}) = {want} (R2: Python's "
        "round, halves to the even neighbour)"
    )


def _tie_sparsity(oracle, model) -> float:
    """A sparsity whose k falls strictly inside a group of equal |w| spread over 2+ layers."""
    params = dict(model.named_parameters())
    names = oracle.prunable(model)
    entries = []
    for pos, name in enumerate(names):
        values = params[name].detach().double().abs().reshape(-1).tolist()
        entries += [(v, pos, i) for i, v in enumerate(values)]
    entries.sort()
    n = len(entries)
    best = None
    start = 0
    while start < n:
        end = start
        while end < n and entries[end][0] == entries[start][0]:
            end += 1
        layers = {e[1] for e in entries[start:end]}
        if entries[start][0] > 0 and len(layers) >= 2 and end - start >= 4:
            if best is None or end - start > best[1] - best[0]:
                best = (start, end)
        start = end
    assert best is not None, "the tie model has no tie group across layers (suite bug)"
    k = (best[0] + best[1]) // 2
    sparsity = k / n
    assert round(sparsity * n) == k
    return sparsity


@pytest.mark.rules("R3")
def test_ties_broken_by_parameter_order_then_index(sol, oracle, edge_net):
    """Weights on a coarse grid (many equal |w| across layers), k inside a tie group: the tied
    weights of earlier parameters, then lower flat indices, are pruned first."""
    model = edge_net(scales=(1.0, 1.0, 1.0, 1.0), grid=0.25)
    sparsity = _tie_sparsity(oracle, model)
    got = sol.global_magnitude_masks(model, sparsity)
    want = oracle.global_masks(model, sparsity)
    what = f"global_magnitude_masks(EdgeNet on a 0.25 grid, {sparsity:.6g})"
    _check_masks(got, want, what)
    if _pruned(got) != _pruned(want):
        raise AssertionError(
            f"{what} pruned {_pruned(got)} weights, expected {_pruned(want)}: with many equal "
            "|w| a threshold test (|w| <= t) prunes all the ties; R2/R3: exactly k are pruned, "
            "ties in parameter order, then row-major index"
        )
    if any(not torch.equal(got[k], want[k]) for k in want):
        raise AssertionError(
            f"{what}: {_first_difference(got, want)}. R3: among equal |w|, earlier parameters "
            "(named_parameters order), then lower row-major indices, are pruned first"
        )


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "no layer"])
@pytest.mark.rules("R4")
def test_bad_sparsity_or_model_raises(sol, torch_gen, bad):
    """sparsity outside [0, 1] (or NaN), or a model without Linear/Conv layers: ValueError."""
    if bad == "no layer":
        model, sparsity = torch.nn.Sequential(torch.nn.LayerNorm(4), models.Gate(4)), 0.5
        call = "global_magnitude_masks(Sequential(LayerNorm, Gate), 0.5)"
    else:
        model, sparsity = models.MLP(torch_gen, 4, 3, 2), bad
        call = f"global_magnitude_masks(MLP, {bad})"
    with pytest.raises(ValueError):
        got = sol.global_magnitude_masks(model, sparsity)
        pytest.fail(f"{call} returned {type(got).__name__} instead of raising ValueError (R4)")


@pytest.mark.rules("R5")
def test_global_masks_leave_the_model_alone(sol, edge_net, torch_gen):
    """global_magnitude_masks changes no weight, gradient or train/eval flag."""
    model = edge_net()
    model(torch.randn(2, 3, 6, 6, generator=torch_gen).double()).sum().backward()
    model.eval()
    before = {n: (p.detach().clone(), p.grad.clone()) for n, p in model.named_parameters()}
    sol.global_magnitude_masks(model, 0.6)
    for name, p in model.named_parameters():
        if not torch.equal(p.detach(), before[name][0]):
            raise AssertionError(
                f"global_magnitude_masks(EdgeNet, 0.6) changed the model's {name!r} (R5: the "
                "model is not modified; apply_masks prunes)"
            )
        if p.grad is None or not torch.equal(p.grad, before[name][1]):
            raise AssertionError(f"global_magnitude_masks changed {name}.grad (R5)")
    assert not any(m.training for m in model.modules()), (
        "global_magnitude_masks put the model in train mode (R5)"
    )


# -- two_four_mask ----------------------------------------------------------------------------


def _check_two_four(sol, oracle, w, what):
    got = sol.two_four_mask(w)
    want = oracle.two_four(w)
    if type(got) is not torch.Tensor or got.dtype != torch.bool or got.shape != w.shape:
        raise AssertionError(
            f"{what} returned {type(got).__name__} {getattr(got, 'dtype', '')} "
            f"{tuple(getattr(got, 'shape', ()))}; R6: a bool tensor of the weight's shape"
        )
    if not torch.equal(got, want):
        idx = tuple(int(i) for i in torch.nonzero(got != want)[0])
        hint = ""
        if w.dim() > 2:
            flat = w.detach().reshape(-1, 4).abs()
            if torch.equal(got.reshape(-1, 4).sum(1), torch.full((flat.shape[0],), 2)):
                hint = (
                    " Every run of 4 in row-major order keeps 2, but for a Conv weight "
                    "(out, in, kh, kw) R6's groups run along the input channels at a fixed "
                    "kernel position, not along the kernel."
                )
        raise AssertionError(
            f"{what}: differs at {idx} (kept={bool(got[idx])}, expected {bool(want[idx])}); R6: "
            f"in each group of 4 along dimension 1 keep the 2 largest |w|, the lower index on a "
            f"tie.{hint}"
        )


@pytest.mark.rules("R6")
def test_two_four_linear_with_ties(sol, oracle, torch_gen):
    """A Linear weight (out, in) whose values repeat: 2 largest |w| per group of 4 inputs,
    ties to the lower index."""
    w = torch.randint(-3, 4, (16, 32), generator=torch_gen).double()
    w[0, :4] = torch.tensor([2.0, -2.0, 2.0, -2.0])  # an all-tie group
    _check_two_four(sol, oracle, w, "two_four_mask(weight (16, 32) of small integers)")


@pytest.mark.rules("R6")
def test_two_four_conv_groups_input_channels(sol, oracle, torch_gen):
    """A Conv2d weight (out, in, kh, kw): groups of 4 input channels at each kernel position."""
    w = torch.randn(6, 8, 3, 3, generator=torch_gen)
    _check_two_four(sol, oracle, w, "two_four_mask(conv weight (6, 8, 3, 3))")
    w1 = torch.randn(5, 12, 2, generator=torch_gen)
    _check_two_four(sol, oracle, w1, "two_four_mask(conv1d weight (5, 12, 2))")


@pytest.mark.rules("R6")
def test_two_four_keeps_the_weight(sol, torch_gen):
    """two_four_mask does not modify the weight."""
    w = torch.randn(4, 8, generator=torch_gen)
    before = w.clone()
    sol.two_four_mask(w)
    assert torch.equal(w, before), "two_four_mask(weight (4, 8)) modified the weight (R6)"


@pytest.mark.rules("R6")
def test_two_four_property(sol, oracle):
    """Hypothesis: random shapes (2-4 dims) and small-integer values, always the brute force."""

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        out=st.integers(1, 5),
        groups=st.integers(1, 4),
        kernel=st.lists(st.integers(1, 3), max_size=2),
        seed=st.integers(0, 2**31 - 1),
    )
    def check(out, groups, kernel, seed):
        gen = torch.Generator().manual_seed(seed)
        w = torch.randint(-4, 5, (out, 4 * groups, *kernel), generator=gen).float()
        _check_two_four(sol, oracle, w, f"two_four_mask(weight {tuple(w.shape)})")

    check()


@pytest.mark.parametrize("shape", [(8,), (4, 6), (3, 10, 3, 3)])
@pytest.mark.rules("R7")
def test_two_four_rejects_bad_shapes(sol, shape):
    """Fewer than 2 dimensions, or dimension 1 not a multiple of 4: ValueError."""
    with pytest.raises(ValueError):
        got = sol.two_four_mask(torch.ones(shape))
        pytest.fail(
            f"two_four_mask(weight {shape}) returned {type(got).__name__} instead of raising "
            "ValueError (R7)"
        )


# -- apply_masks -------------------------------------------------------------------------------


def _some_masks(oracle, model, rng) -> dict:
    """Global masks of the conv layers and the last Linear, 2:4 on the WideLinear."""
    masks = oracle.global_masks(model, float(rng.uniform(0.3, 0.7)))
    masks["head.1.weight"] = oracle.two_four(model.head[1].weight)
    return masks


@pytest.mark.rules("R8")
def test_apply_masks_prunes_in_place(sol, oracle, inside, edge_net, rng, torch_gen):
    """After apply_masks each masked layer's weight is weight * mask (kept values exact), the
    output is that of the pruned weights, and nothing else changes."""
    model = edge_net()
    masks = _some_masks(oracle, model, rng)
    del masks["features.3.weight"]  # a weight left without a mask
    x = torch.randn(5, 3, 6, 6, generator=torch_gen).double()
    want = {n: (p.detach() * masks[n] if n in masks else p.detach()) for n, p in
            model.named_parameters()}  # fmt: skip
    from torch.func import functional_call

    with torch.no_grad():
        want_out = functional_call(copy.deepcopy(model), want, (x,))
    weights, out = inside(sol).apply_and_read(model, masks, x)
    for name, w in want.items():
        if name not in weights:
            raise AssertionError(f"after apply_masks the model has no {name!r} any more (R8)")
        assert_tensor(
            weights[name], w, rtol=0, atol=0,
            what=f"after apply_masks(EdgeNet, masks for {sorted(masks)}), {name} (R8: pruned "
            "entries exactly 0, kept entries unchanged, other parameters untouched)",
        )  # fmt: skip
    assert_tensor(out, want_out, what="the pruned model's output (R8)")


@pytest.mark.parametrize(
    ("optimizer", "options"),
    [
        ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-3}),
        ("Adam", {"lr": 0.01}),
        ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ],
    ids=["sgd_momentum", "adam", "adamw"],
)
@pytest.mark.rules("R9")
def test_masks_survive_training(sol, oracle, inside, edge_net, rng, torch_gen, optimizer, options):
    """Five optimizer steps after apply_masks: pruned weights read exactly 0 after every step
    (before any forward pass), and outputs and kept weights follow masked training."""
    model = edge_net().eval()  # BatchNorm on its running statistics: no degenerate gradient
    masks = _some_masks(oracle, model, rng)
    batches = [
        (torch.randn(6, 3, 6, 6, generator=torch_gen).double(),
         torch.randint(0, 10, (6,), generator=torch_gen))
        for _ in range(5)
    ]  # fmt: skip
    probe = torch.randn(4, 3, 6, 6, generator=torch_gen).double()
    want = oracle.train(model, masks, batches, optimizer, options, probe)
    got = inside(sol).train_masked(model, masks, batches, optimizer, options, probe)
    what = f"apply_masks then {optimizer}({options})"
    for step, (g, w) in enumerate(zip(got, want, strict=True), start=1):
        for name, mask in masks.items():
            read = g["before_forward"][name]
            revived = int((read[~mask] != 0).sum())
            if revived:
                raise AssertionError(
                    f"{what}: after step {step}, {name} read before the next forward pass has "
                    f"{revived} non-zero pruned entries. R9: pruning must survive "
                    "optimizer.step(): zeroing the weights once, or re-masking only in forward, "
                    "lets the gradient, momentum or Adam's moments revive them (a checkpoint "
                    "saved after the step would not be sparse)"
                )
        assert_tensor(g["output"], w["output"], rtol=1e-9,
                      what=f"{what}: the output after step {step} (R9)")  # fmt: skip
        for name in masks:
            assert_tensor(
                g["after_forward"][name], w["weights"][name], rtol=1e-9,
                what=f"{what}: {name} after step {step} (R9: kept weights train as in the model "
                "whose pruned weights are constant zeros)",
            )  # fmt: skip


BAD_MASKS = {
    "bias": "a mask for a Conv2d's bias",
    "layernorm": "a mask for a LayerNorm's weight",
    "gate": "a mask for a custom module's `weight`",
    "missing": "a key naming no parameter of the model",
    "shape": "a mask of the transposed shape",
    "dtype": "a float32 mask",
}


@pytest.mark.parametrize("case", list(BAD_MASKS))
@pytest.mark.parametrize("fn", ["apply_masks", "compressed_size_bytes"])
@pytest.mark.rules("R10")
def test_bad_masks_raise(sol, oracle, edge_net, fn, case):
    """A key that is not a prunable weight, or a mask of the wrong shape or dtype: ValueError."""
    model = edge_net()
    masks = {"head.5.weight": torch.ones(10, 16, dtype=torch.bool)}
    if case == "bias":
        masks["features.0.bias"] = torch.ones(8, dtype=torch.bool)
    elif case == "layernorm":
        masks["head.2.weight"] = torch.ones(16, dtype=torch.bool)
    elif case == "gate":
        masks["head.3.weight"] = torch.ones(16, dtype=torch.bool)
    elif case == "missing":
        masks["head.9.weight"] = torch.ones(10, 16, dtype=torch.bool)
    elif case == "shape":
        masks["head.5.weight"] = torch.ones(16, 10, dtype=torch.bool)
    else:
        masks["head.5.weight"] = torch.ones(10, 16)
    with pytest.raises(ValueError):
        getattr(sol, fn)(model, masks)
        pytest.fail(
            f"{fn}(EdgeNet, masks with {BAD_MASKS[case]}) returned instead of raising "
            "ValueError (R10)"
        )


# -- compressed_size_bytes -----------------------------------------------------------------------


def _oracle_size(model, masks) -> int:
    total = 0
    for name, p in model.named_parameters():
        if name in masks:
            total += -(-p.numel() // 8) + int(masks[name].sum()) * p.element_size()
        else:
            total += p.numel() * p.element_size()
    return total + sum(b.numel() * b.element_size() for b in model.buffers())


@pytest.mark.rules("R11")
def test_compressed_size(sol, oracle, torch_gen, rng):
    """Bitmask of ceil(numel / 8) bytes per masked weight plus its kept values; every other
    parameter (shared ones once) and every buffer dense, at their element sizes."""
    model = models.Shared(torch_gen)
    masks = oracle.global_masks(model, float(rng.uniform(0.2, 0.8)))
    got = sol.compressed_size_bytes(model, masks)
    want = _oracle_size(model, masks)
    if type(got) is not int or got != want:
        dense = sum(p.numel() * p.element_size() for p in model.parameters())
        raise AssertionError(
            f"compressed_size_bytes(model with float32 Linear(3, 5), float16 Linear(5, 7), "
            f"Conv1d(1, 3, 3), BatchNorm1d(5), one Gate shared by two names; dense parameters "
            f"{dense} bytes) returned {got!r}, expected the int {want}. R11: ceil(numel / 8) "
            "bitmask bytes per masked tensor, kept values at the weight's element size, every "
            "other parameter once and every buffer densely"
        )
    partial = {k: v for k, v in masks.items() if k != "fc1.weight"}
    got = sol.compressed_size_bytes(model, partial)
    want = _oracle_size(model, partial)
    assert type(got) is int and got == want, (
        f"compressed_size_bytes with masks for {sorted(partial)} only returned {got!r}, expected "
        f"{want} (R11: an unmasked weight is stored densely)"
    )
    empty = sol.compressed_size_bytes(model, {})
    assert empty == _oracle_size(model, {}), (
        f"compressed_size_bytes(model, {{}}) returned {empty!r}, expected the dense size "
        f"{_oracle_size(model, {})} (R11)"
    )
