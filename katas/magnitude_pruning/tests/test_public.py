"""Public examples for magnitude_pruning: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import pytest
import torch
from pruning import apply_masks, compressed_size_bytes, global_magnitude_masks, two_four_mask
from torch import nn


def tiny_model() -> nn.Sequential:
    """Two Linear layers with hand-set weights: 6 + 4 = 10 prunable weights."""
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.1, -2.0, 0.3], [4.0, -0.05, 0.6]]))
        model[2].weight.copy_(torch.tensor([[-0.2, 1.0], [0.15, -3.0]]))
    return model


def test_global_masks_prune_the_smallest_weights_of_the_whole_model():
    """30% of 10 weights: the 3 smallest |w| anywhere in the model are pruned (one threshold
    for every layer together, so layer 0 loses two and layer 2 one)."""
    masks = global_magnitude_masks(tiny_model(), 0.3)
    assert set(masks) == {"0.weight", "2.weight"}  # no biases
    assert masks["0.weight"].dtype == torch.bool
    assert masks["0.weight"].tolist() == [[False, True, True], [True, False, True]]
    assert masks["2.weight"].tolist() == [[True, True], [False, True]]


def test_pruned_count_uses_pythons_round():
    """k = round(sparsity * N): 0.85 * 10 = 8.5 rounds to 8 (halves go to the even number)."""
    masks = global_magnitude_masks(tiny_model(), 0.85)
    assert sum(int((~m).sum()) for m in masks.values()) == 8


def test_sparsity_out_of_range():
    """sparsity must lie in [0, 1]."""
    with pytest.raises(ValueError):
        global_magnitude_masks(tiny_model(), 1.5)


def test_two_four_mask_on_a_linear_weight():
    """In each group of 4 consecutive inputs, the 2 largest |w| are kept."""
    w = torch.tensor([[1.0, -5.0, 2.0, 0.5, 0.0, 0.1, -0.2, 3.0]])
    mask = two_four_mask(w)
    assert mask.tolist() == [[False, True, True, False, False, False, True, True]]


def test_apply_masks_zeroes_the_pruned_weights():
    """After apply_masks the pruned weights read 0 and the kept ones are unchanged; forward
    uses the pruned weights. (They must stay 0 through training too: see R9.)"""
    model = tiny_model()
    masks = global_magnitude_masks(model, 0.3)
    apply_masks(model, masks)
    assert model[0].weight[0, 0].item() == 0.0
    assert model[0].weight[0, 1].item() == -2.0
    assert model[2].weight[1, 0].item() == 0.0
    x = torch.tensor([[1.0, 0.0, 0.0]])
    hidden = torch.relu(x @ model[0].weight.T + model[0].bias)
    assert torch.allclose(model(x), hidden @ model[2].weight.T + model[2].bias)


def test_compressed_size_of_the_tiny_model():
    """Bitmask + kept float32 values for the weights, biases dense."""
    model = tiny_model()
    masks = global_magnitude_masks(model, 0.3)
    # layer 0: ceil(6/8)=1 + 4 kept * 4 bytes; bias 2*4. layer 2: 1 + 3*4; bias 2*4
    assert compressed_size_bytes(model, masks) == (1 + 16 + 8) + (1 + 12 + 8)
