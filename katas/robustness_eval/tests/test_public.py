"""Public examples for robustness_eval: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import pytest
import torch
from robustness import RobustnessReport, apply_transforms, robustness_eval, transform_grid


def test_grid_shape_and_identity():
    """One matrix per (angle, scale) pair; angle 0 and scale 1 is the identity."""
    thetas = transform_grid([-3.0, 0.0, 3.0], [0.9, 1.0])
    assert thetas.shape == (6, 2, 3) and thetas.dtype == torch.float64
    identity = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(thetas[3], identity)  # (0.0, 1.0) is index 1 * 2 + 1


def test_identity_transform_keeps_the_image():
    """Resampling with the identity returns the image."""
    images = torch.rand(2, 3, 8, 8)
    out = apply_transforms(images, transform_grid([0.0], [1.0]))
    assert out.shape == (1, 2, 3, 8, 8)
    assert torch.allclose(out[0], images, atol=1e-5)


def test_report():
    """A model that always predicts class 0 is right exactly on the images labelled 0."""

    class Zero(torch.nn.Module):
        def forward(self, x):
            return torch.zeros(x.shape[0], 3)

    images = torch.rand(4, 1, 8, 8)
    labels = torch.tensor([0, 0, 1, 2])
    report = robustness_eval(Zero(), images, labels, [-5.0, 5.0], [0.8, 1.0])
    assert isinstance(report, RobustnessReport)
    assert report.accuracy.shape == (4,) and report.accuracy.dtype == torch.float64
    assert report.mean_accuracy == pytest.approx(0.5)
    assert report.worst_accuracy == pytest.approx(0.5)
    assert report.worst_transform in [(-5.0, 0.8), (-5.0, 1.0), (5.0, 0.8), (5.0, 1.0)]


def test_bad_grid():
    """Crop scales must lie in (0, 1]."""
    with pytest.raises(ValueError):
        transform_grid([0.0], [1.5])
