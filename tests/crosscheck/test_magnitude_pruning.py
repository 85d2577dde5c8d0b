"""Cross-check of reference/magnitude_pruning against PyTorch's own pruning utilities
(``torch.nn.utils.prune``), on randomised models: the same global masks as
``prune.global_unstructured`` with ``L1Unstructured`` (continuous weights, so no ties, where
torch's order is unspecified), and the same training behaviour as ``prune.custom_from_mask``.
torch is the only package needed."""

import copy

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils import prune  # noqa: E402


def _model(gen: torch.Generator) -> nn.Module:
    model = nn.Sequential(
        nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Conv2d(6, 4, 3, bias=False),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 12), nn.LayerNorm(12), nn.Linear(12, 5),
    )  # fmt: skip
    with torch.no_grad():
        for i, m in enumerate(m for m in model if isinstance(m, (nn.Linear, nn.Conv2d))):
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (0.1 + i))
    return model


@pytest.mark.parametrize("seed", range(5))
def test_global_masks_match_torch_prune(reference_module, seed):
    """Global masks equal prune.global_unstructured(L1Unstructured) on tie-free weights."""
    pruning = reference_module("magnitude_pruning", "pruning")
    gen = torch.Generator().manual_seed(seed)
    model = _model(gen)
    sparsity = float(torch.rand((), generator=gen)) * 0.9 + 0.05
    ours = pruning.global_magnitude_masks(model, sparsity)
    theirs = copy.deepcopy(model)
    layers = [(m, "weight") for m in theirs if isinstance(m, (nn.Linear, nn.Conv2d))]
    prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=sparsity)
    names = [n for n, _ in model.named_parameters() if n in ours]
    assert len(names) == len(layers)
    for name, (module, _) in zip(names, layers, strict=True):
        assert torch.equal(ours[name], module.weight_mask.bool()), name


@pytest.mark.parametrize("seed", range(3))
def test_training_matches_custom_from_mask(reference_module, seed):
    """apply_masks then SGD with momentum trains like prune.custom_from_mask (whose forward
    pre-hook recomputes weight = weight_orig * mask)."""
    pruning = reference_module("magnitude_pruning", "pruning")
    gen = torch.Generator().manual_seed(100 + seed)
    model = _model(gen).double()
    masks = pruning.global_magnitude_masks(model, 0.6)
    theirs = copy.deepcopy(model)
    pruning.apply_masks(model, masks)
    for name, mask in masks.items():
        owner, _, attr = name.rpartition(".")
        prune.custom_from_mask(theirs.get_submodule(owner), attr, mask)
    opts = [torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9) for m in (model, theirs)]
    for _ in range(4):
        x = torch.randn(5, 3, 8, 8, generator=gen, dtype=torch.float64)
        for m, opt in zip((model, theirs), opts, strict=True):
            opt.zero_grad()
            m(x).square().mean().backward()
            opt.step()
    x = torch.randn(5, 3, 8, 8, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(model(x), theirs(x), rtol=1e-10, atol=1e-12)
    for name in masks:
        owner, _, attr = name.rpartition(".")
        ours_w = getattr(model.get_submodule(owner), attr)
        their_w = getattr(theirs.get_submodule(owner), attr)
        assert torch.allclose(ours_w, their_w, rtol=1e-10, atol=1e-12), name
