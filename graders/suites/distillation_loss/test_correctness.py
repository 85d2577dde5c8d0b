"""Hidden correctness tests of distillation_loss.

The oracle (kd_oracle.py) is the statement's formula evaluated in float64 with numpy, and its
gradient in closed form: independent of torch's losses and of the reference. Gradients are
taken in the sandbox (inside.py), since autograd does not cross the channel.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kd_oracle import VARIANTS, loss_and_grad, make_batch, oracle

from graders.checks import assert_tensor, describe

DTYPES = {"float64": torch.float64, "float32": torch.float32}
RTOL = {torch.float64: 1e-9, torch.float32: 1e-4}
GRAD_RTOL = 1e-8


def _tensors(student, teacher, targets, dtype=torch.float64):
    return (
        torch.from_numpy(np.asarray(student)).to(dtype),
        torch.from_numpy(np.asarray(teacher)).to(dtype),
        torch.from_numpy(np.asarray(targets)).long(),
    )


def _hint(got: float, s, t, y, temperature, alpha, ignore_index, tol: float) -> str:
    """Name the wrong variant the returned value matches, if any."""
    for name, flags in VARIANTS.items():
        value, _ = loss_and_grad(s, t, y, temperature, alpha, ignore_index, **flags)
        if abs(value - got) <= tol:
            return f" The value is that of {name}."
    return ""


def _assert_loss(out, s, t, y, *, temperature, alpha, ignore_index=-100, dtype, what, rules):
    """``out`` is a 0-dim tensor of ``dtype`` on the CPU whose value is the oracle's within
    the stated tolerance (``rtol * max(1, |expected|)``)."""
    expected, _ = oracle(s, t, y, temperature, alpha, ignore_index)
    if type(out) is not torch.Tensor or out.shape != () or out.dtype != dtype:
        raise AssertionError(
            f"{what}: returned {describe(out)}; R9: a 0-dim tensor of the student's dtype {dtype}"
        )
    got = float(out)
    tol = RTOL[dtype] * max(1.0, abs(expected))
    if not np.isfinite(got) or abs(got - expected) > tol:
        hint = _hint(got, s, t, y, temperature, alpha, ignore_index, tol)
        raise AssertionError(
            f"{what}: returned {got!r}, expected {expected:.10g} (allowed error {tol:.3g}; "
            f"{rules}).{hint}"
        )


def _assert_grad(grad, s, t, y, *, temperature, alpha, ignore_index=-100, what, rules):
    """``grad`` equals the oracle's gradient within ``1e-8 * max(1, max |expected|)``."""
    _, expected = oracle(s, t, y, temperature, alpha, ignore_index)
    if grad is None:
        raise AssertionError(f"{what}: no gradient reached student_logits ({rules})")
    scale = max(1.0, float(np.abs(expected).max()))
    assert_tensor(
        grad,
        torch.from_numpy(expected),
        what=f"{what}: gradient w.r.t. student_logits ({rules})",
        rtol=0.0,
        atol=GRAD_RTOL * scale,
    )


def _temperature_alpha(rng) -> tuple[float, float]:
    """A temperature away from 1 and an alpha away from 0, 1/2 and 1."""
    temperature = float(rng.uniform(2.0, 6.0))
    alpha = float(rng.choice([rng.uniform(0.15, 0.4), rng.uniform(0.6, 0.85)]))
    return temperature, alpha


# -- the value -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.rules("R1", "R2", "R3", "R4", "R5", "R9")
def test_loss_matches_closed_form(sol, rng, dtype_name):
    """A (N, C) batch with ignored rows, T in [2, 6], alpha away from 0, 1/2 and 1: the loss
    equals alpha T^2 KL(teacher || student) + (1 - alpha) CE over the kept rows, as a 0-dim
    tensor of the student's dtype."""
    dtype = DTYPES[dtype_name]
    temperature, alpha = _temperature_alpha(rng)
    s, t, y = make_batch(rng, (24, 7))
    st_, tt, yt = _tensors(s, t, y, dtype)
    s, t = st_.double().numpy(), tt.double().numpy()  # the oracle sees the values passed
    out = sol.distillation_loss(st_, tt, yt, temperature=temperature, alpha=alpha)
    what = f"distillation_loss(student {describe(st_)}, T={temperature:.3g}, alpha={alpha:.3g})"
    _assert_loss(
        out, s, t, y, temperature=temperature, alpha=alpha, dtype=dtype, what=what,
        rules="R1-R5",
    )  # fmt: skip


@pytest.mark.rules("R1", "R4")
def test_soft_term_is_kl_from_teacher(sol, rng):
    """alpha = 1 (the soft term alone) with a sharp teacher and a flat student, where the two
    directions of the KL divergence differ widely."""
    s = rng.normal(scale=0.3, size=(12, 6))
    t = rng.normal(scale=6.0, size=(12, 6))
    y = rng.integers(0, 6, size=12)
    temperature = 2.0
    out = sol.distillation_loss(*_tensors(s, t, y), temperature=temperature, alpha=1.0)
    _assert_loss(
        out, s, t, y, temperature=temperature, alpha=1.0, dtype=torch.float64,
        what="distillation_loss(sharp teacher, flat student, T=2, alpha=1)",
        rules="R1: KL(softmax(t/T) || softmax(s/T)), weighted by the teacher's probabilities",
    )  # fmt: skip


@pytest.mark.rules("R3", "R4")
def test_hard_term_uses_raw_logits(sol, rng):
    """alpha = 0 (the hard term alone) at T = 5: the cross-entropy of the raw student logits,
    the temperature playing no part."""
    s, t, y = make_batch(rng, (16, 5), scale=3.0)
    out = sol.distillation_loss(*_tensors(s, t, y), temperature=5.0, alpha=0.0)
    _assert_loss(
        out, s, t, y, temperature=5.0, alpha=0.0, dtype=torch.float64,
        what="distillation_loss(T=5, alpha=0)",
        rules="R3: cross-entropy of the raw logits, mean over kept positions",
    )  # fmt: skip


@pytest.mark.rules("R5")
def test_positions_and_ignore_index(sol, rng):
    """(B, L, C) sequences with padding marked by ignore_index -100, -1 and 255, the padded
    positions' logits set to large garbage: every kept position counts once, padding in neither
    term, both terms divided by the number of kept positions."""
    for ignore_index in (-100, -1, 255):
        temperature, alpha = _temperature_alpha(rng)
        s, t, y = make_batch(rng, (3, 5, 6), ignore_fraction=0.4, ignore_index=ignore_index)
        pad = y == ignore_index
        s[pad] = rng.normal(scale=50.0, size=(int(pad.sum()), 6))
        t[pad] = rng.normal(scale=50.0, size=(int(pad.sum()), 6))
        out = sol.distillation_loss(
            *_tensors(s, t, y), temperature=temperature, alpha=alpha, ignore_index=ignore_index
        )
        _assert_loss(
            out, s, t, y, temperature=temperature, alpha=alpha, ignore_index=ignore_index,
            dtype=torch.float64,
            what=(
                f"distillation_loss(student (3, 5, 6), {int(pad.sum())} of 15 positions "
                f"ignored, ignore_index={ignore_index})"
            ),
            rules="R5: every kept position once, means over the kept positions",
        )  # fmt: skip


@settings(
    max_examples=12, deadline=None, derandomize=True, database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: a failure is reported at once
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(
    lead=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    classes=st.integers(2, 9),
    temperature=st.floats(0.25, 20.0),
    alpha=st.floats(0.0, 1.0),
    ignore_fraction=st.sampled_from([0.0, 0.3, 0.7]),
    seed=st.integers(0, 2**31 - 1),
)
@pytest.mark.rules("R1", "R2", "R3", "R4", "R5")
def test_property_any_shape(
    sol, kata_seed, lead, classes, temperature, alpha, ignore_fraction, seed
):
    """Any leading shape (1 to 3 dimensions), 2 to 9 classes, any T in [0.25, 20] and alpha in
    [0, 1], with and without ignored positions: the loss equals the float64 formula."""
    rng = np.random.default_rng([kata_seed, seed])
    shape = (*lead, classes)
    s, t, y = make_batch(rng, shape, ignore_fraction=ignore_fraction)
    out = sol.distillation_loss(*_tensors(s, t, y), temperature=temperature, alpha=alpha)
    _assert_loss(
        out, s, t, y, temperature=temperature, alpha=alpha, dtype=torch.float64,
        what=f"distillation_loss(student {shape}, T={temperature:.4g}, alpha={alpha:.4g})",
        rules="R1-R5",
    )  # fmt: skip


# -- edge cases and numerics --------------------------------------------------------------------


@pytest.mark.rules("R6")
def test_every_position_ignored(sol, inside, rng):
    """Every target ignored ((N, C) and (B, L, C)): the loss is 0.0, not NaN, still attached to
    the student's graph, and backward gives a gradient of zeros."""
    for shape in ((5, 4), (2, 3, 4)):
        s = torch.from_numpy(rng.normal(size=shape))
        t = torch.from_numpy(rng.normal(size=shape))
        y = torch.full(shape[:-1], -100, dtype=torch.long)
        got = inside(sol).loss_and_grads(s, t, y, temperature=3.0, alpha=0.4)
        what = f"distillation_loss(student {shape}, every target -100)"
        loss = got["loss"]
        if type(loss) is not torch.Tensor or loss.shape != () or float(loss) != 0.0:
            raise AssertionError(f"{what}: returned {loss!r}; R6: 0.0 when no position is kept")
        if not got["attached"]:
            raise AssertionError(
                f"{what}: the returned 0.0 does not require grad, so loss.backward() fails in a "
                f"training loop on an all-padding batch; R6: it stays part of the student's graph"
            )
        grad = got["student_grad"]
        if grad is None or not torch.equal(grad, torch.zeros(shape, dtype=torch.float64)):
            raise AssertionError(
                f"{what}: after backward the student's gradient is {describe(grad)}; R6: zeros"
            )


@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.rules("R7")
def test_extreme_logits(sol, inside, rng, dtype_name):
    """Logits of magnitude up to 1e4 and a teacher whose probabilities underflow to exactly 0
    (at T = 1 and T = 4): finite loss within tolerance and a finite gradient (checked against
    the closed form in float64)."""
    dtype = DTYPES[dtype_name]
    for temperature, alpha in ((1.0, 0.6), (4.0, 0.3)):
        s, t, y = make_batch(rng, (10, 6), scale=3000.0, ignore_fraction=0.2)
        s, t = np.clip(s, -1e4, 1e4), np.clip(t, -1e4, 1e4)
        t[0] = [1e4, -1e4, 0.0, 5e3, -5e3, 1e4 - 1.0]
        s[1] = [-1e4, 1e4, -1e4, 0.0, 2e3, -3e3]
        y[:2] = [1, 0]
        st_, tt, yt = _tensors(s, t, y, dtype)
        s64, t64 = st_.double().numpy(), tt.double().numpy()
        what = (
            f"distillation_loss(logits up to 1e4, {dtype_name}, T={temperature:g}, alpha={alpha:g})"
        )
        got = inside(sol).loss_and_grads(st_, tt, yt, temperature=temperature, alpha=alpha)
        loss = got["loss"]
        if type(loss) is torch.Tensor and loss.shape == () and not torch.isfinite(loss):
            raise AssertionError(
                f"{what}: returned {float(loss)}; R7: log-probabilities must stay finite where "
                f"a probability underflows to 0 (0 * log 0 = 0; log(softmax(x)) is -inf there)"
            )
        _assert_loss(
            loss, s64, t64, y, temperature=temperature, alpha=alpha, dtype=dtype, what=what,
            rules="R7: accurate at extreme logits",
        )  # fmt: skip
        grad = got["student_grad"]
        if grad is None or not bool(torch.isfinite(grad).all()):
            raise AssertionError(
                f"{what}: the student's gradient is {describe(grad)} with non-finite entries (R7)"
            )
        if dtype == torch.float64:
            _assert_grad(
                grad, s64, t64, y, temperature=temperature, alpha=alpha, what=what, rules="R7"
            )


# -- gradients ----------------------------------------------------------------------------------


@pytest.mark.rules("R2", "R8")
def test_soft_gradient_keeps_its_scale(sol, inside, rng):
    """alpha = 1 at T = 1, 4 and 16: the student's gradient equals the closed form
    T (p - q) / M, whose norm stays of the same order as T grows (the T^2 factor)."""
    s, t, y = make_batch(rng, (12, 8), scale=1.5)
    norms = {}
    for temperature in (1.0, 4.0, 16.0):
        got = inside(sol).loss_and_grads(*_tensors(s, t, y), temperature=temperature, alpha=1.0)
        grad = got["student_grad"]
        _, expected = oracle(s, t, y, temperature, 1.0)
        if grad is not None:
            norms[temperature] = (float(grad.norm()), float(np.linalg.norm(expected)))
        try:
            _assert_grad(
                grad, s, t, y, temperature=temperature, alpha=1.0,
                what=f"distillation_loss(T={temperature:g}, alpha=1)", rules="R2, R8",
            )  # fmt: skip
        except AssertionError as exc:
            seen = ", ".join(f"T={k:g}: {g:.3g} (expected {e:.3g})" for k, (g, e) in norms.items())
            hint = ""
            got_norm, expected_norm = norms.get(temperature, (0.0, 1.0))
            if temperature > 1 and abs(got_norm * temperature**2 / expected_norm - 1) < 0.05:
                hint = (
                    "; the gradient is T**2 too small: R2, the soft term is multiplied by T**2 "
                    "so that its gradient does not shrink like 1/T**2 as T grows"
                )
            raise AssertionError(f"{exc}. Gradient norms so far: {seen}{hint}") from None


@pytest.mark.rules("R8")
def test_gradient_reaches_student_only(sol, inside, rng):
    """A mixed loss on (B, L, C) with padding, the teacher's logits requiring grad: the
    student's gradient equals the closed form and the teacher's .grad stays None."""
    temperature, alpha = _temperature_alpha(rng)
    s, t, y = make_batch(rng, (3, 4, 5), ignore_fraction=0.3)
    got = inside(sol).loss_and_grads(
        *_tensors(s, t, y), teacher_requires_grad=True, temperature=temperature, alpha=alpha
    )
    what = f"distillation_loss(T={temperature:.3g}, alpha={alpha:.3g}), teacher requiring grad"
    if got["teacher_grad"] is not None:
        raise AssertionError(
            f"{what}: after backward teacher_logits.grad is {describe(got['teacher_grad'])}; "
            f"R8: the teacher is frozen, the loss carries no gradient to it"
        )
    _assert_grad(
        got["student_grad"], s, t, y, temperature=temperature, alpha=alpha, what=what,
        rules="R8",
    )  # fmt: skip


# -- the result and the arguments ---------------------------------------------------------------


@pytest.mark.rules("R9")
def test_result_type_and_arguments_untouched(sol, rng):
    """float32 and float64 inputs: a 0-dim tensor of the student's dtype on the CPU; the
    logits and targets passed are unchanged after the call."""
    for dtype in (torch.float32, torch.float64):
        s, t, y = make_batch(rng, (2, 3, 4))
        st_, tt, yt = _tensors(s, t, y, dtype)
        copies = (st_.clone(), tt.clone(), yt.clone())
        out = sol.distillation_loss(st_, tt, yt, temperature=3.0, alpha=0.4)
        what = f"distillation_loss(student {describe(st_)}, T=3)"
        if type(out) is not torch.Tensor or out.shape != () or out.dtype != dtype:
            raise AssertionError(f"{what}: returned {describe(out)}; R9: a 0-dim {dtype} tensor")
        if out.device.type != "cpu":
            raise AssertionError(f"{what}: returned a tensor on {out.device}; R9: the CPU")
        for name, before, after in zip(
            ("student_logits", "teacher_logits", "targets"), copies, (st_, tt, yt), strict=True
        ):
            if not torch.equal(before, after):
                raise AssertionError(f"{what}: modified {name} in place; R9: no argument changes")


@pytest.mark.rules("R10")
def test_errors(sol, rng):
    """ValueError for mismatched teacher or targets shapes, temperature <= 0, alpha outside
    [0, 1], and a target neither ignore_index nor in [0, C), one broken rule per call."""
    s, t, y = _tensors(*make_batch(rng, (4, 5), ignore_fraction=0.0))
    cases = [
        ("teacher of shape (4, 6)", (s, torch.zeros(4, 6, dtype=torch.float64), y), {}),
        ("teacher of shape (5, 5)", (s, torch.zeros(5, 5, dtype=torch.float64), y), {}),
        ("targets of shape (4, 1)", (s, t, y.view(4, 1)), {}),
        ("targets of shape (3,)", (s, t, y[:3]), {}),
        ("temperature=0", (s, t, y), {"temperature": 0.0}),
        ("temperature=-2", (s, t, y), {"temperature": -2.0}),
        ("alpha=-0.1", (s, t, y), {"alpha": -0.1}),
        ("alpha=1.5", (s, t, y), {"alpha": 1.5}),
        ("a target equal to C=5", (s, t, torch.tensor([0, 5, 1, 2])), {}),
        ("a target of -1 with ignore_index=-100", (s, t, torch.tensor([0, -1, 1, 2])), {}),
        (
            "a target of 255 with ignore_index=-1",
            (s, t, torch.tensor([0, 255, -1, 2])),
            {"ignore_index": -1},
        ),
    ]
    for label, args, kwargs in cases:
        try:
            out = sol.distillation_loss(*args, **kwargs)
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001 - report what was raised instead
            raise AssertionError(
                f"distillation_loss with {label} raised {type(exc).__name__}: {exc}; R10: "
                f"ValueError"
            ) from None
        raise AssertionError(
            f"distillation_loss with {label} returned {describe(out)}; R10: ValueError"
        )
    for alpha in (0.0, 1.0):  # both ends are allowed
        try:
            sol.distillation_loss(s, t, y, temperature=1.0, alpha=alpha)
        except Exception as exc:  # noqa: BLE001 - report what was raised
            raise AssertionError(
                f"distillation_loss(alpha={alpha}) raised {type(exc).__name__}: {exc}; R10: "
                f"alpha may be 0 or 1"
            ) from None
