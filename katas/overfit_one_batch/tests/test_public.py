"""Public examples for overfit_one_batch: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import pytest
import torch
from sanity import ISSUES, Diagnosis, sanity_check
from torch import nn


def _data(seed=0, n=64, d=8, classes=3):
    g = torch.Generator().manual_seed(seed)
    centres = 2.0 * torch.randn(classes, d, generator=g)
    y = torch.randint(0, classes, (n,), generator=g)
    return centres[y] + torch.randn(n, d, generator=g), y


def _mlp(seed=0, d=8, classes=3):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, classes))


def test_healthy_setup_is_ok():
    """A correct setup overfits the batch and comes back ok."""
    d = sanity_check(_mlp(), _data(), nn.CrossEntropyLoss())
    assert isinstance(d, Diagnosis)
    assert d.ok and d.issues == ()
    assert d.final_loss < 0.05 < d.initial_loss
    assert 1 <= d.steps <= 300


def test_softmax_before_cross_entropy_is_flagged():
    """CrossEntropyLoss applies log_softmax itself: probabilities must not be fed to it."""
    model = nn.Sequential(_mlp(), nn.Softmax(dim=1))
    d = sanity_check(model, _data(), nn.CrossEntropyLoss())
    assert not d.ok
    assert "probabilities_into_cross_entropy" in d.issues
    assert set(d.issues) <= set(ISSUES)


def test_learning_rate_far_too_low_is_flagged():
    """With lr = 1e-8 nothing moves: the check says so instead of just 'did not overfit'."""
    d = sanity_check(_mlp(), _data(), nn.CrossEntropyLoss(), lr=1e-8, max_steps=50)
    assert d.issues == ("learning_rate_too_low", "did_not_overfit")
    assert d.steps == 50


def test_bad_arguments():
    """Labels must be integer class indices."""
    x, y = _data()
    with pytest.raises(ValueError):
        sanity_check(_mlp(), (x, y.float()), nn.CrossEntropyLoss())
