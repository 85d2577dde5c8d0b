"""Hidden correctness tests of noise_schedule.

Oracles are the papers' closed forms written with numpy (conftest.py): DDPM's linspace, Nichol &
Dhariwal's cosine schedule with its clip, the log-SNR definition, the resolution shift defined on
the log-SNR, and Lin et al.'s Algorithm 1.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.checks import assert_tensor


def _t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))


def _np(x) -> np.ndarray:
    if type(x) is not torch.Tensor:
        raise AssertionError(f"returned {type(x).__name__}, expected a torch.Tensor")
    return x.detach().cpu().double().numpy()


# -- linear and cosine --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("T", "start", "end"), [(1000, 1e-4, 0.02), (37, 1e-3, 0.3), (1, 0.05, 0.05)]
)
@pytest.mark.rules("R1", "R4")
def test_linear_betas_match_linspace(sol, T, start, end):
    """linear_betas gives float64 CPU linspace(start, end, T), both ends included."""
    out = sol.linear_betas(T, start, end)
    assert_tensor(
        out,
        _t(np.linspace(start, end, T)),
        what=f"linear_betas({T}, {start}, {end}) (R1: evenly spaced, both ends included; R4)",
    )


@pytest.mark.rules("R2", "R4")
def test_cosine_betas_closed_form(sol, oracle, rng):
    """cosine_betas matches Nichol & Dhariwal's eq. 17 (step t from u = t/T to (t+1)/T, f(0)
    normalisation, clip at max_beta) for the paper's defaults and random T, s, max_beta."""
    cases = [(1000, 0.008, 0.999), (int(rng.integers(2, 50)), 0.008, 0.999)]
    cases.append((int(rng.integers(50, 3000)), float(rng.uniform(0.0, 0.02)), 0.999))
    cases.append((int(rng.integers(50, 3000)), 0.008, float(rng.uniform(0.5, 0.99))))
    for T, s, max_beta in cases:
        out = sol.cosine_betas(T, s, max_beta)
        expected = oracle.cosine(T, s, max_beta)
        call = f"cosine_betas({T}, s={s:.4g}, max_beta={max_beta:.4g}) (R2, R4: float64 maths)"
        try:
            assert_tensor(out, _t(expected), what=call)
        except AssertionError as exc:
            got = _np(out)
            hint = ""
            if got.shape == expected.shape and got[0] <= 1e-12 < expected[0]:
                hint = f" betas[0] is {got[0]:.3g}; R2: step t runs from u = t/T to u = (t+1)/T."
            raise AssertionError(str(exc) + hint) from None


@pytest.mark.rules("R3")
def test_cosine_betas_clipped_at_max_beta(sol, oracle, rng):
    """Every cosine beta is clipped at max_beta: the last step's raw beta is 1 (abar(1) = 0),
    which the clip keeps away."""
    for T, max_beta in ((1000, 0.999), (int(rng.integers(10, 500)), float(rng.uniform(0.9, 0.99)))):
        out = _np(sol.cosine_betas(T, 0.008, max_beta))
        if out.shape != (T,):
            raise AssertionError(f"cosine_betas({T}) returned shape {out.shape}, expected ({T},)")
        worst = int(np.argmax(out))
        if out[worst] > max_beta * (1 + 1e-12):
            raise AssertionError(
                f"cosine_betas({T}, max_beta={max_beta:.4g}) returned betas[{worst}] = "
                f"{out[worst]!r} > max_beta (R3). Unclipped, the cosine schedule's last step "
                f"leaves abar_T = 0: log-SNR -inf and 1/sqrt(alpha_T) infinite in the reverse "
                f"step."
            )
        assert out[-1] == pytest.approx(max_beta, rel=1e-12), (
            f"cosine_betas({T}, max_beta={max_beta:.4g})[-1] is {out[-1]!r}; R3: the last beta "
            f"is clipped too"
        )


# -- alphas_cumprod and log-SNR -----------------------------------------------------------------


@pytest.mark.rules("R4", "R5")
def test_alphas_cumprod_inclusive(sol, oracle, random_betas):
    """alphas_cumprod is the inclusive product of 1 - betas, float64 even for float32 input."""
    b = random_betas(500)
    assert_tensor(
        sol.alphas_cumprod(_t(b)),
        _t(oracle.cumprod(b)),
        what="alphas_cumprod(betas (500,)) (R5: the inclusive product)",
    )
    b32 = torch.from_numpy(b).float()
    expected = oracle.cumprod(b32.double().numpy())
    assert_tensor(sol.alphas_cumprod(b32), _t(expected), what="alphas_cumprod(float32 betas) (R4)")


@pytest.mark.rules("R6")
def test_log_snr_values_and_extremes(sol, oracle, rng):
    """log_snr is log(abar) - log(1 - abar), accurate near 0 and 1, -inf at 0 and +inf at 1,
    for any shape."""
    special = np.array(
        [0.0, 1.0, 0.5, 1e-300, 1e-13, 1.0 - 1e-13, np.nextafter(1.0, 0.0), 0.999999]
    )
    values = np.concatenate([special, rng.uniform(0, 1, size=40)]).reshape(4, 12)
    out = sol.log_snr(_t(values))
    expected = oracle.log_snr(values)
    assert_tensor(
        out,
        _t(expected),
        what="log_snr(abar with 0, 1, 1e-13, 1-1e-13 ...) (R6: -inf at 0, +inf at 1, accurate "
        "near both)",
        rtol=1e-9,
    )


@pytest.mark.rules("R4")
def test_log_snr_of_float32(sol, oracle):
    """log_snr converts a float32 argument to float64 before computing."""
    values = torch.tensor([0.25, 0.5, 0.75], dtype=torch.float32)
    expected = oracle.log_snr(values.double().numpy())
    assert_tensor(sol.log_snr(values), _t(expected), what="log_snr(float32 [0.25, 0.5, 0.75]) (R4)")


# -- resolution shift -------------------------------------------------------------------------------

SHIFT_HINT = (
    "R7: the shift is defined on the log-SNR of alphas_cumprod, the cumulative signal left at "
    "step t. Shifting per-step quantities (the betas, or the log-odds of each alpha) compounds "
    "over the steps, and the cumulative SNR ends up nowhere near the shifted one."
)


@pytest.mark.rules("R7")
def test_shift_moves_log_snr_by_constant(sol, oracle, rng, random_betas):
    """The shifted schedule's log-SNR (of its alphas_cumprod) is the input's plus
    2 log(base/res) at every step, for larger and smaller resolutions."""
    pairs = [(64, 256), (64, 32), (int(rng.choice([32, 64, 128])), int(rng.choice([512, 1024])))]
    for base, res in pairs:
        betas = random_betas(int(rng.integers(200, 1200)))
        out = _np(sol.shift_schedule(_t(betas), base, res))
        if out.shape != betas.shape:
            raise AssertionError(
                f"shift_schedule returned shape {out.shape}, expected {betas.shape} (R7)"
            )
        got = oracle.log_snr(oracle.cumprod(out)) - oracle.log_snr(oracle.cumprod(betas))
        want = 2.0 * math.log(base / res)
        err = np.abs(got - want)
        worst = int(np.argmax(err))
        if not err[worst] <= 1e-6:
            raise AssertionError(
                f"shift_schedule(betas (T={betas.shape[0]}), base_resolution={base}, "
                f"resolution={res}): at step {worst} the log-SNR moved by {got[worst]:.6g}, "
                f"expected {want:.6g} at every step (it moved by {got[0]:.4g} at step 0, "
                f"{got[len(got) // 2]:.4g} at step {len(got) // 2}). {SHIFT_HINT}"
            )


@pytest.mark.rules("R7")
def test_shift_keeps_zero_terminal_snr(sol, oracle, rng):
    """A step with log-SNR -inf stays at -inf after the shift: its beta stays exactly 1, and the
    other steps move by the shift."""
    betas = oracle.zero_snr(oracle.cosine(int(rng.integers(100, 1000))))
    out = _np(sol.shift_schedule(_t(betas), 64, 256))
    assert out[-1] == 1.0, (
        f"shift_schedule(zero-terminal-SNR betas, 64, 256): last beta {out[-1]!r}; R7: a step "
        f"with log-SNR -inf stays at -inf"
    )
    got = oracle.log_snr(oracle.cumprod(out))[:-1] - oracle.log_snr(oracle.cumprod(betas))[:-1]
    assert np.allclose(got, 2 * math.log(64 / 256), atol=1e-6), (
        f"shift_schedule(zero-SNR betas, 64, 256) moved the finite log-SNRs by {got.min():.4g} .. "
        f"{got.max():.4g}, expected {2 * math.log(0.25):.4g}. {SHIFT_HINT}"
    )


@pytest.mark.rules("R7")
def test_shift_at_equal_resolution_is_identity(sol, random_betas):
    """base_resolution == resolution returns the input betas."""
    betas = random_betas(300)
    assert_tensor(
        sol.shift_schedule(_t(betas), 128, 128),
        _t(betas),
        what="shift_schedule(b, 128, 128) (R7: the same betas)",
        rtol=1e-8,
    )


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.rules("R7")
def test_shift_round_trip_property(sol, oracle, data):
    """Property: shifting from base to res and back returns the original betas."""
    T = data.draw(st.integers(2, 60), label="T")
    raw = data.draw(st.lists(st.floats(1e-5, 0.5), min_size=T, max_size=T), label="betas")
    base = data.draw(st.sampled_from([16, 32, 64, 128]), label="base")
    res = data.draw(st.sampled_from([8, 64, 256, 1024]), label="res")
    betas = np.array(raw)
    there = sol.shift_schedule(_t(betas), base, res)
    back = sol.shift_schedule(there, res, base)
    assert_tensor(
        back,
        _t(betas),
        what=f"shift_schedule(shift_schedule(b, {base}, {res}), {res}, {base}) (R7)",
        rtol=1e-7,
    )


# -- zero terminal SNR --------------------------------------------------------------------------


@pytest.mark.rules("R8")
def test_zero_terminal_snr_reaches_zero(sol, oracle, rng, random_betas):
    """After rescale_zero_terminal_snr the last step has abar = 0 exactly (log-SNR -inf): the
    last training step is pure noise, like the first sampling step."""
    for label, betas in (
        ("cosine(1000)", oracle.cosine(1000)),
        ("random", random_betas(int(rng.integers(50, 1500)))),
    ):
        out = _np(sol.rescale_zero_terminal_snr(_t(betas)))
        abar_T = float(oracle.cumprod(out)[-1])
        if abar_T != 0.0:
            raise AssertionError(
                f"rescale_zero_terminal_snr({label} betas) leaves abar_T = {abar_T:.3g} "
                f"(last beta {out[-1]!r}); R8: it is exactly 0. With any signal left at the last "
                f"step the model never trains on pure noise, yet sampling starts from pure "
                f"noise (Lin et al. 2024)."
            )


@pytest.mark.rules("R8")
def test_zero_terminal_snr_matches_algorithm(sol, oracle, rng, random_betas):
    """rescale_zero_terminal_snr matches Lin et al.'s Algorithm 1 (sqrt(abar) rescaled
    linearly, first step kept), for linear, cosine and random schedules."""
    for label, betas in (
        ("linear(1000)", np.linspace(1e-4, 0.02, 1000)),
        ("cosine(1000)", oracle.cosine(1000)),
        ("random", random_betas(int(rng.integers(2, 1500)))),
    ):
        out = sol.rescale_zero_terminal_snr(_t(betas))
        assert_tensor(
            out,
            _t(oracle.zero_snr(betas)),
            what=f"rescale_zero_terminal_snr({label} betas) (R8)",
            rtol=1e-8,
        )


@pytest.mark.rules("R8")
def test_zero_terminal_snr_two_steps(sol):
    """With T = 2 the rescale keeps beta_0 and makes beta_1 = 1."""
    out = _np(sol.rescale_zero_terminal_snr(torch.tensor([0.1, 0.2], dtype=torch.float64)))
    assert np.allclose(out, [0.1, 1.0], rtol=1e-12), (
        f"rescale_zero_terminal_snr([0.1, 0.2]) = {out}; R8: the first beta is kept and the "
        f"last step's abar is 0"
    )


# -- arguments ----------------------------------------------------------------------------------


@pytest.mark.rules("R11")
def test_arguments_not_modified(sol, random_betas):
    """No function modifies its tensor argument."""
    betas = _t(random_betas(100))
    before = betas.clone()
    sol.alphas_cumprod(betas)
    sol.shift_schedule(betas, 64, 256)
    sol.rescale_zero_terminal_snr(betas)
    abar = torch.cumprod(1 - betas, 0)
    abar_before = abar.clone()
    sol.log_snr(abar)
    assert torch.equal(betas, before), "a function modified its betas argument in place (R11)"
    assert torch.equal(abar, abar_before), "log_snr modified its argument in place (R11)"


BAD_T = [0, -3, 2.0, True]


@pytest.mark.parametrize("T", BAD_T, ids=["zero", "negative", "float", "bool"])
@pytest.mark.rules("R10")
def test_bad_T_raises(sol, T):
    """linear_betas and cosine_betas raise ValueError unless T is an int >= 1."""
    for fn in (sol.linear_betas, sol.cosine_betas):
        with pytest.raises(ValueError):
            fn(T)
            pytest.fail(f"{fn.__name__}({T!r}) returned instead of raising ValueError (R10)")


@pytest.mark.rules("R10")
def test_bad_schedule_arguments_raise(sol):
    """Bad beta ranges, s, max_beta and resolutions raise ValueError."""
    calls = [
        ("linear_betas(10, 0.0, 0.02)", lambda: sol.linear_betas(10, 0.0, 0.02)),
        ("linear_betas(10, 0.03, 0.02)", lambda: sol.linear_betas(10, 0.03, 0.02)),
        ("cosine_betas(10, s=-0.1)", lambda: sol.cosine_betas(10, -0.1)),
        ("cosine_betas(10, max_beta=0.0)", lambda: sol.cosine_betas(10, 0.008, 0.0)),
        ("cosine_betas(10, max_beta=1.5)", lambda: sol.cosine_betas(10, 0.008, 1.5)),
        (
            "shift_schedule(b, 0, 64)",
            lambda: sol.shift_schedule(torch.full((5,), 0.1, dtype=torch.float64), 0, 64),
        ),
        (
            "shift_schedule(b, 64, -1)",
            lambda: sol.shift_schedule(torch.full((5,), 0.1, dtype=torch.float64), 64, -1),
        ),
        (
            "rescale_zero_terminal_snr(T=1)",
            lambda: sol.rescale_zero_terminal_snr(torch.tensor([0.1], dtype=torch.float64)),
        ),
    ]
    for label, call in calls:
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"{label} returned instead of raising ValueError (R10)")


@pytest.mark.parametrize(
    "betas",
    [[0.1, 0.0, 0.2], [0.1, 1.2], [0.1, 1.0, 0.2], [[0.1, 0.2]], []],
    ids=["zero", "above1", "one_before_last", "2d", "empty"],
)
@pytest.mark.rules("R9")
def test_bad_betas_raise(sol, betas):
    """alphas_cumprod, shift_schedule and rescale_zero_terminal_snr reject invalid betas with
    ValueError."""
    b = torch.tensor(betas, dtype=torch.float64)
    for label, call in (
        ("alphas_cumprod", lambda: sol.alphas_cumprod(b)),
        ("shift_schedule", lambda: sol.shift_schedule(b, 64, 128)),
        ("rescale_zero_terminal_snr", lambda: sol.rescale_zero_terminal_snr(b)),
    ):
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"{label}({betas}) returned instead of raising ValueError (R9)")


@pytest.mark.rules("R9")
def test_type_errors(sol):
    """Integer tensors raise TypeError; log_snr rejects values outside [0, 1]."""
    for label, call in (
        ("alphas_cumprod(int tensor)", lambda: sol.alphas_cumprod(torch.tensor([1, 1]))),
        ("log_snr(int tensor)", lambda: sol.log_snr(torch.tensor([0, 1]))),
    ):
        with pytest.raises(TypeError):
            call()
            pytest.fail(f"{label} returned instead of raising TypeError (R9)")
    with pytest.raises(ValueError):
        sol.log_snr(torch.tensor([0.5, 1.5], dtype=torch.float64))
        pytest.fail("log_snr([0.5, 1.5]) returned instead of raising ValueError (R9)")
