"""Hidden correctness tests of robustness_eval.

Oracles: the rotation matrix written with math, torch.rot90 for quarter turns, a bilinear
sampler with zero padding written in numpy (conftest.py), and a loop over transforms with a
rotation-sensitive model.
"""

import math

import inside as models
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.checks import assert_array, assert_tensor

ANGLES = [-6.0, -3.0, 0.0, 3.0, 6.0]
SCALES = [0.85, 0.92, 1.0]


def _grid_hint(got: np.ndarray, angles, scales, oracle) -> str:
    """Name the classic mistakes when a grid is wrong."""
    if got.shape != (len(angles) * len(scales), 2, 3):
        return ""
    rad = [math.degrees(a) for a in angles]  # what radians-as-degrees would give
    if np.allclose(got, oracle.thetas(rad, scales), atol=1e-9):
        return " R2: the angles are in degrees."
    if np.allclose(got, oracle.thetas([-a for a in angles], scales), atol=1e-9):
        return (
            " R2: the rotation turns the content the wrong way; positive is counter-clockwise "
            "as the image is displayed, and affine_grid's y axis points down (row 0 at the top)."
        )
    if np.allclose(got, oracle.thetas(angles, [1 / s for s in scales]), atol=1e-9):
        return (
            " R3: the crop zooms out instead of in; theta maps output coordinates to input "
            "coordinates."
        )
    return " (R1, R2, R3)"


@pytest.mark.rules("R1", "R2", "R3")
def test_transform_grid_closed_form(sol, oracle, rng):
    """transform_grid gives s * [[cos a, -sin a, 0], [sin a, cos a, 0]] (a in degrees,
    counter-clockwise as displayed) for every pair, angle-major."""
    angles = [0.0, 90.0, -30.0, float(rng.uniform(-10, 10)), float(rng.uniform(100, 170))]
    scales = [1.0, 0.5, float(rng.uniform(0.6, 0.99))]
    got = sol.transform_grid(angles, scales)
    want = oracle.thetas(angles, scales)
    try:
        assert_tensor(got, torch.from_numpy(want), what=f"transform_grid({angles}, {scales})")
    except AssertionError as exc:
        hint = (
            _grid_hint(got.detach().double().numpy(), angles, scales, oracle)
            if type(got) is torch.Tensor
            else ""
        )
        raise AssertionError(str(exc) + hint) from None


@pytest.mark.rules("R2")
def test_quarter_turns_match_rot90(sol, torch_gen):
    """A 90 degree rotation is torch.rot90(k=1) (counter-clockwise as displayed), 180 is k=2,
    -90 is k=-1, on square images."""
    images = torch.rand(3, 2, 10, 10, generator=torch_gen)
    out = sol.apply_transforms(images, sol.transform_grid([90.0, 180.0, -90.0], [1.0]))
    for k, (angle, turns) in enumerate(((90, 1), (180, 2), (-90, -1))):
        want = torch.rot90(images, turns, dims=(-2, -1))
        err = (out[k] - want).abs().max().item()
        if not err <= 1e-4:
            flipped = (out[k] - torch.rot90(images, -turns, dims=(-2, -1))).abs().max().item()
            hint = (
                " It equals the opposite rotation: affine_grid's y axis points down."
                if flipped <= 1e-4
                else " Angles are in degrees."
            )
            raise AssertionError(
                f"apply_transforms(images, transform_grid([{angle}], [1.0])) differs from "
                f"torch.rot90(images, {turns}) by up to {err:.3g}; R2: a positive angle turns the "
                f"content counter-clockwise as displayed.{hint}"
            )


@pytest.mark.rules("R4")
def test_apply_transforms_matches_bilinear_oracle(sol, oracle, torch_gen):
    """apply_transforms resamples every image with every theta exactly as a bilinear sampler
    with zero padding and align_corners=False, shape (K, N, C, H, W)."""
    images = torch.rand(4, 3, 9, 9, generator=torch_gen)
    thetas = torch.from_numpy(oracle.thetas([-20.0, 0.0, 7.5, 45.0], [0.7, 1.0]))
    got = sol.apply_transforms(images, thetas)
    want = np.stack([oracle.sample(images.double().numpy(), t) for t in thetas.numpy()])
    assert_tensor(
        got,
        torch.from_numpy(want).float(),
        what="apply_transforms(images (4, 3, 9, 9), 8 thetas) (R4: bilinear, zeros outside, "
        "align_corners=False)",
        rtol=2e-5,
    )


@pytest.mark.rules("R4")
def test_apply_transforms_keeps_dtype(sol, oracle, torch_gen):
    """float64 images come back float64 (float32 thetas are cast to the images' dtype)."""
    images = torch.rand(2, 1, 6, 6, generator=torch_gen, dtype=torch.float64)
    thetas = torch.from_numpy(oracle.thetas([10.0], [0.9])).float()
    got = sol.apply_transforms(images, thetas)
    want = oracle.sample(images.numpy(), thetas.double().numpy()[0])[None]
    assert_tensor(
        got,
        torch.from_numpy(want),
        what="apply_transforms(float64 images, float32 thetas) (R4: the images' dtype)",
        rtol=1e-6,
    )


@pytest.mark.rules("R5", "R6")
def test_eval_matches_oracle(sol, oracle, sensitive_case):
    """Per-transform accuracy, mean, worst and worst transform match a loop over the grid
    (rotation-sensitive model; at most one prediction per transform may differ by rounding)."""
    model, images, labels = sensitive_case()
    report = sol.robustness_eval(model, images, labels, ANGLES, SCALES)
    want = oracle.accuracy(model, images, labels, ANGLES, SCALES)
    acc = report.accuracy
    if type(acc) is not torch.Tensor or acc.shape != (len(want),) or acc.dtype != torch.float64:
        raise AssertionError(
            f"robustness_eval(model, 32 images, 5 angles x 3 scales): report.accuracy is "
            f"{type(acc).__name__} {getattr(acc, 'dtype', '')} {tuple(getattr(acc, 'shape', ()))}; "
            f"R5: a float64 CPU tensor of shape ({len(want)},)"
        )
    diff = np.abs(acc.numpy() - want)
    if diff.max() > 1.0 / len(labels) + 1e-12:
        k = int(np.argmax(diff))
        raise AssertionError(
            f"robustness_eval(model, 32 images, 5 angles x 3 scales): accuracy under transform "
            f"{k} (angle {ANGLES[k // len(SCALES)]}, scale {SCALES[k % len(SCALES)]}) is "
            f"{acc[k].item():.4f}, off by {diff[k]:.3f} from the fixed-grid evaluation (R5, R6: "
            f"every image under every transform of the grid, exactly). Random augmentation at "
            f"validation measures a different experiment every time and never the worst case."
        )
    assert report.mean_accuracy == pytest.approx(float(acc.mean()), abs=1e-12), (
        f"mean_accuracy {report.mean_accuracy!r} is not the mean of report.accuracy (R5)"
    )
    assert report.worst_accuracy == pytest.approx(float(acc.min()), abs=1e-12), (
        f"worst_accuracy {report.worst_accuracy!r} is not the minimum of report.accuracy (R5)"
    )
    k = int(torch.argmin(acc))
    assert report.worst_transform == (ANGLES[k // len(SCALES)], SCALES[k % len(SCALES)]), (
        f"worst_transform is {report.worst_transform}, the first minimum of report.accuracy is "
        f"at index {k} (R5, R8)"
    )


@pytest.mark.rules("R6")
def test_repeated_calls_identical(sol, sensitive_case):
    """Two calls with the same arguments give bit-identical reports."""
    model, images, labels = sensitive_case()
    first = sol.robustness_eval(model, images, labels, ANGLES, SCALES)
    second = sol.robustness_eval(model, images, labels, ANGLES, SCALES)
    if not torch.equal(first.accuracy, second.accuracy):
        raise AssertionError(
            f"two identical robustness_eval calls disagree: "
            f"{np.round(first.accuracy.numpy(), 3).tolist()} vs "
            f"{np.round(second.accuracy.numpy(), 3).tolist()}; R6: the same arguments give the "
            f"same report, bit for bit. A validation metric that changes from run to run cannot "
            f"tell a better model from a lucky draw."
        )
    assert first.worst_transform == second.worst_transform, (
        "two identical robustness_eval calls name different worst transforms (R6)"
    )


@pytest.mark.rules("R7")
def test_eval_mode_and_restored(sol, oracle, torch_gen):
    """The model is evaluated in eval mode (no dropout, batch norm running statistics untouched)
    and its train mode is restored afterwards."""
    images = torch.rand(16, 1, 8, 8, generator=torch_gen)
    model = models.Stochastic(64, torch_gen)
    with torch.no_grad():
        model.norm.running_mean.copy_(torch.randn(10, generator=torch_gen))
    model.eval()
    with torch.no_grad():
        labels = model(images).argmax(dim=1)
    want = oracle.accuracy(model, images, labels, ANGLES, SCALES)
    model.train()
    stats = model.norm.running_mean.clone()
    report = sol.robustness_eval(model, images, labels, ANGLES, SCALES)
    assert model.training, "robustness_eval left a model in train mode in eval mode (R7)"
    assert torch.equal(model.norm.running_mean, stats), (
        "robustness_eval updated the batch-norm running statistics: the model ran in train "
        "mode (R7)"
    )
    diff = np.abs(report.accuracy.numpy() - want).max()
    assert diff <= 1.0 / 16 + 1e-12, (
        f"robustness_eval on a model with dropout and batch norm differs from its eval-mode "
        f"accuracy by {diff:.3f} (R7: the model runs in eval mode)"
    )


@pytest.mark.rules("R8")
def test_worst_transform_first_on_ties(sol):
    """With equal accuracies everywhere the worst transform is the first of the grid."""

    images = torch.rand(6, 1, 8, 8)
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    report = sol.robustness_eval(models.Constant(4), images, labels, [4.0, -4.0, 0.0], [1.0, 0.9])
    assert report.worst_accuracy == pytest.approx(2 / 6), (
        f"robustness_eval(a model whose logits all tie, labels [0, 1, 2, 3, 0, 1]): "
        f"worst_accuracy {report.worst_accuracy!r}; R8: a tie predicts the lowest class index"
    )
    assert report.worst_transform == (4.0, 1.0), (
        f"robustness_eval with equal accuracies under every transform of the grid "
        f"([4.0, -4.0, 0.0] x [1.0, 0.9]): worst_transform {report.worst_transform}; R8: the "
        f"first transform in grid order with the minimum"
    )


@pytest.mark.rules("R9")
def test_batch_size_chunks(sol, inside, sensitive_case):
    """batch_size bounds the model's batch and does not change the report."""
    model, images, labels = sensitive_case(n=10)
    full, _ = inside(sol).eval_batch_sizes(model, images, labels, ANGLES, SCALES)
    chunked, seen = inside(sol).eval_batch_sizes(model, images, labels, ANGLES, SCALES, 7)
    assert seen and max(seen) <= 7, (
        f"robustness_eval(10 images, 15 transforms, batch_size=7): the model saw batches of "
        f"{sorted(set(seen))}; R9: at most batch_size transformed images per model call"
    )
    assert sum(seen) == 10 * len(ANGLES) * len(SCALES), (
        f"robustness_eval(10 images, 15 transforms, batch_size=7): the model saw {sum(seen)} "
        f"images in all (R9)"
    )
    assert_array(
        chunked.accuracy.numpy(), full.accuracy.numpy(), what="accuracy with batch_size=7 (R9)"
    )


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.floats(-180, 180), b=st.floats(-180, 180))
@pytest.mark.rules("R2")
def test_rotations_compose_property(sol, a, b):
    """Property: the 2x2 part of theta(a) times theta(b) is theta(a + b) (scale 1)."""
    t = sol.transform_grid([a, b, a + b], [1.0]).double()
    assert torch.allclose(t[0, :, :2] @ t[1, :, :2], t[2, :, :2], atol=1e-9), (
        f"transform_grid: theta({a}) @ theta({b}) != theta({a + b}) (R2: rotations compose)"
    )


@pytest.mark.rules("R10")
def test_bad_arguments(sol):
    """Empty grids, scales outside (0, 1], non-square or non-4-D images, bad labels and
    batch_size < 1 raise ValueError."""
    images = torch.rand(2, 1, 6, 6)
    labels = torch.tensor([0, 1])
    model = torch.nn.Flatten()
    cases = [
        ("transform_grid([], [1.0])", lambda: sol.transform_grid([], [1.0])),
        ("transform_grid([0.0], [])", lambda: sol.transform_grid([0.0], [])),
        ("transform_grid([0.0], [0.0])", lambda: sol.transform_grid([0.0], [0.0])),
        ("transform_grid([nan], [1.0])", lambda: sol.transform_grid([float("nan")], [1.0])),
        ("apply_transforms(non-square)", lambda: sol.apply_transforms(torch.rand(2, 1, 6, 5), sol.transform_grid([0.0], [1.0]))),
        ("apply_transforms(3-D images)", lambda: sol.apply_transforms(torch.rand(1, 6, 6), sol.transform_grid([0.0], [1.0]))),
        ("apply_transforms(thetas (1, 3, 3))", lambda: sol.apply_transforms(images, torch.zeros(1, 3, 3))),
        ("robustness_eval(labels (3,))", lambda: sol.robustness_eval(model, images, torch.tensor([0, 1, 0]), [0.0], [1.0])),
        ("robustness_eval(float labels)", lambda: sol.robustness_eval(model, images, labels.float(), [0.0], [1.0])),
        ("robustness_eval(batch_size=0)", lambda: sol.robustness_eval(model, images, labels, [0.0], [1.0], batch_size=0)),
    ]  # fmt: skip
    for label, call in cases:
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"{label} returned instead of raising ValueError (R10)")
