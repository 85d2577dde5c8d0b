"""Public examples for layerwise_lr_decay: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import math

import pytest
import torch
from layer_decay import param_groups, unfreeze_schedule
from torch import nn


class Embeddings(nn.Module):
    def __init__(self, vocab: int, d: int, length: int) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.positions = nn.Parameter(torch.zeros(length, d))
        self.norm = nn.LayerNorm(d)  # the embeddings' norm


class Block(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.mlp = nn.Linear(d, d)
        self.gamma = nn.Parameter(torch.ones(d))  # layer scale: 1-D, neither bias nor norm


class Model(nn.Module):
    """embed / 2 blocks / final norm outside the parts / head: L = 3."""

    def __init__(self, tie: bool = False) -> None:
        super().__init__()
        self.embed = Embeddings(10, 4, 6)
        self.blocks = nn.ModuleList([Block(4), Block(4)])
        self.final_norm = nn.LayerNorm(4)
        self.head = nn.Linear(4, 10)
        if tie:
            self.head.weight = self.embed.tokens.weight


def settings(model, groups) -> dict[str, tuple[float, float]]:
    """{parameter name: (lr, weight_decay)}, failing if a parameter is in two groups."""
    names = {id(p): n for n, p in model.named_parameters()}
    out = {}
    for group in groups:
        for p in group["params"]:
            name = names[id(p)]
            assert name not in out, f"{name} is in two groups"
            out[name] = (group["lr"], group["weight_decay"])
    return out


def test_learning_rate_decays_from_the_head_down():
    """L = N + 1 = 3: head and final norm base_lr, block 1 base_lr * 0.5, block 0 * 0.25,
    embeddings * 0.125."""
    model = Model()
    got = settings(model, param_groups(model, 1e-3, 0.5, 0.01))
    assert set(got) == {n for n, _ in model.named_parameters()}  # every parameter, once
    assert math.isclose(got["head.weight"][0], 1e-3)
    assert math.isclose(got["final_norm.weight"][0], 1e-3)  # outside the parts: layer L
    assert math.isclose(got["blocks.1.mlp.weight"][0], 1e-3 * 0.5)
    assert math.isclose(got["blocks.0.gamma"][0], 1e-3 * 0.25)
    assert math.isclose(got["embed.tokens.weight"][0], 1e-3 * 0.125)


def test_no_weight_decay_on_biases_and_norms():
    """Biases and norm parameters get 0; matrices, tables and a 1-D layer-scale vector get
    weight_decay."""
    model = Model()
    got = settings(model, param_groups(model, 1e-3, 0.5, 0.01))
    for name in ("head.bias", "blocks.0.mlp.bias", "blocks.0.norm.weight", "embed.norm.bias"):
        assert got[name][1] == 0, name
    for name in ("head.weight", "blocks.1.mlp.weight", "blocks.1.gamma", "embed.positions"):
        assert got[name][1] == 0.01, name


def test_tied_weight_is_placed_once_with_the_lowest_layer():
    """The head's weight is the token table: one group, the embeddings' learning rate."""
    model = Model(tie=True)
    groups = param_groups(model, 1e-3, 0.5, 0.01)
    got = settings(model, groups)
    assert "head.weight" not in got  # named_parameters() names it once, as embed.tokens.weight
    assert math.isclose(got["embed.tokens.weight"][0], 1e-3 * 0.125)
    torch.optim.AdamW(groups)  # torch raises if a parameter is in two groups


def test_unfreeze_from_the_top():
    """every=1: epoch 0 trains layer 3 (head, final norm), epoch 1 adds block 1, ..."""
    model = Model()
    assert unfreeze_schedule(model, 0) == 3
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"head.weight", "head.bias", "final_norm.weight", "final_norm.bias"}
    assert unfreeze_schedule(model, 1) == 2
    assert model.blocks[1].mlp.weight.requires_grad and not model.blocks[0].mlp.weight.requires_grad
    assert [unfreeze_schedule(model, e) for e in (2, 3, 4)] == [1, 0, 0]
    assert all(p.requires_grad for p in model.parameters())
    assert unfreeze_schedule(model, 5, every=2) == 1  # 5 // 2 = 2 layers below the top


def test_one_optimizer_for_the_whole_schedule():
    """Groups built once, at epoch 0; the same optimizer keeps training as layers unfreeze."""
    model = Model()
    unfreeze_schedule(model, 0)
    opt = torch.optim.AdamW(param_groups(model, 1e-2, 0.75, 0.05))
    before = model.head.weight.detach().clone()
    x = torch.randn(3, 4)
    for epoch in range(4):
        unfreeze_schedule(model, epoch)
        opt.zero_grad()
        h = model.embed.norm(x + model.embed.positions[0])
        for block in model.blocks:
            h = h + block.gamma * block.mlp(block.norm(h))
        model.head(model.final_norm(h)).pow(2).mean().backward()
        opt.step()
    assert not torch.equal(model.head.weight, before)


def test_errors():
    """Out-of-range arguments raise ValueError."""
    model = Model()
    with pytest.raises(ValueError):
        param_groups(model, 1e-3, 1.5, 0.01)
    with pytest.raises(ValueError):
        unfreeze_schedule(model, -1)
