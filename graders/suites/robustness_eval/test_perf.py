"""Hidden performance gate of robustness_eval (graders.perf, a ratio measured by the judge).

121 transforms (11 angles x 11 crop scales) of 8 images of 1x12x12 with a linear model: within
3x of a plain batched evaluation (baseline.py: one affine_grid and one grid_sample over the
K * N transformed images, one model call). A loop over the transforms runs at ~6x of it; the
reference and the independent solutions at 0.3-0.9x. The reports are checked first, and every
timed call gets fresh images.
"""

import numpy as np
import pytest
import torch

ANGLES = [float(a) for a in range(-5, 6)]  # degrees
SCALES = [round(0.8 + 0.02 * i, 2) for i in range(11)]
BOUND = 3.0  # x the plain batched evaluation (baseline.py)


@pytest.mark.perf
@pytest.mark.rules("R11")
def test_batched_eval_beats_loop(sol, baseline, perf, torch_gen):
    """robustness_eval over 121 transforms takes at most 3x the time of a plain batched
    evaluation."""
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
            f"robustness_eval(linear model, 8 images 1x12x12, 11 angles x 11 scales): "
            f"accuracies {np.round(acc, 3).tolist()} differ from a plain evaluation's (R5)"
        )

    plain = baseline.batched_eval  # fetched once, outside the timed calls
    perf.compare(
        sol.robustness_eval, lambda *args: plain(*args), make, bound=BOUND, check=check,
        what=(
            "robustness_eval time / a plain batched evaluation's time (121 transforms, "
            "8 images 1x12x12)"
        ),
        hint="R11: the transforms are applied in one batched call, not one call per transform",
    )  # fmt: skip
