"""Hidden performance gate of robustness_eval (a ratio in one process, graders.perf).

121 transforms (11 angles x 11 crop scales) of 8 images of 1x12x12 with a linear model: one batched
evaluation must be at least 4x faster than a loop over the transforms. The reports are checked
against the loop first, and every timed call gets fresh images.
"""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F  # noqa: N812

ANGLES = [float(a) for a in range(-5, 6)]  # degrees
SCALES = [round(0.8 + 0.02 * i, 2) for i in range(11)]


def _thetas():
    rows = []
    for a in ANGLES:
        r = math.radians(a)
        for s in SCALES:
            rows.append(
                [[s * math.cos(r), -s * math.sin(r), 0.0], [s * math.sin(r), s * math.cos(r), 0.0]]
            )
    return torch.tensor(rows, dtype=torch.float32)


def _loop_eval(model, images, labels, angles, scales):
    """The baseline: one affine_grid, grid_sample and model call per transform."""
    del angles, scales
    accs = []
    with torch.no_grad():
        for theta in _thetas():
            grid = F.affine_grid(
                theta.expand(images.shape[0], 2, 3), list(images.shape), align_corners=False
            )
            out = F.grid_sample(
                images, grid, mode="bilinear", padding_mode="zeros", align_corners=False
            )
            accs.append((model(out).argmax(dim=1) == labels).double().mean())
    return torch.stack(accs)


@pytest.mark.perf
def test_batched_eval_beats_loop(sol, perf, torch_gen):
    """robustness_eval over 121 transforms takes at most 0.25x the time of a per-transform loop."""
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(144, 10)).eval()
    base = torch.rand(4, 8, 1, 12, 12, generator=torch_gen)

    def make():
        images = base[int(torch.randint(0, 4, (1,), generator=torch_gen))] * (
            0.5 + torch.rand((), generator=torch_gen)
        )
        with torch.no_grad():
            labels = model(images).argmax(dim=1)
        return model, images, labels, ANGLES, SCALES

    def check(got, want, args):
        acc = got.accuracy.numpy()
        assert np.abs(acc - want.numpy()).max() <= 1 / 8 + 1e-12, (
            f"robustness_eval accuracies {np.round(acc, 3).tolist()} differ from the loop's "
            f"{np.round(want.numpy(), 3).tolist()}"
        )

    perf.compare(
        sol.robustness_eval, _loop_eval, make, bound=0.25, check=check,
        what="robustness_eval time / per-transform loop time (121 transforms, 8 images 1x12x12)",
        hint=(
            "build all K grids with one affine_grid call and sample every image under every "
            "transform with one grid_sample (fold the images into the channel dimension, or "
            "repeat them K times), then call the model once on the K * N images"
        ),
    )  # fmt: skip
