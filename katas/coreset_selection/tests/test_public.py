"""Public examples for coreset_selection: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import math

import pytest
import torch
from coreset import k_center_greedy, predictive_entropy, select_batch


def test_entropy():
    """Uniform logits have entropy log C; a confident row has entropy near 0."""
    h = predictive_entropy(torch.tensor([[0.0, 0.0, 0.0, 0.0], [20.0, 0.0, 0.0, 0.0]]))
    assert h.dtype == torch.float64 and h.shape == (2,)
    assert h[0].item() == pytest.approx(math.log(4))
    assert h[1].item() < 1e-6


def test_k_center_on_a_line():
    """Points 0, 1, 2, 10 on a line: start at index 0, then the farthest point (10), then 2."""
    x = torch.tensor([[0.0], [1.0], [2.0], [10.0]])
    assert k_center_greedy(x, 3).tolist() == [0, 3, 2]


def test_select_batch_shape():
    """A batch of distinct, unlabelled indices."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(200, 5, generator=g)
    features = torch.randn(200, 8, generator=g)
    labelled = torch.tensor([3, 7, 11])
    batch = select_batch(logits, features, 10, labelled=labelled)
    assert batch.dtype == torch.int64 and batch.shape == (10,)
    assert len(set(batch.tolist())) == 10
    assert not set(batch.tolist()) & {3, 7, 11}


def test_bad_k():
    """k cannot exceed the number of points."""
    with pytest.raises(ValueError):
        k_center_greedy(torch.zeros(3, 2), 4)
