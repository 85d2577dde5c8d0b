"""Hidden correctness tests of diffusion_q_sample.

Oracles are independent of the reference: numpy's linspace/cumprod for the schedule, the
forward Markov chain simulated step by step for the distribution of x_t, and the DDPM closed
form for the exact mapping from a given noise tensor.
"""

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.checks import assert_tensor, describe

T = 1000


def _coeffs(abar: torch.Tensor, t: torch.Tensor, ndim: int, dtype, device):
    """Oracle per-sample coefficients: float64 from the schedule, cast to the data dtype."""
    a = abar[t.cpu()]
    view = (-1,) + (1,) * (ndim - 1)
    return (
        a.sqrt().to(dtype).to(device).view(view),
        (1.0 - a).sqrt().to(dtype).to(device).view(view),
    )


def _t_values(rng, batch: int) -> torch.Tensor:
    """Random steps that always include both ends of [0, T)."""
    t = rng.integers(0, T, size=batch)
    t[0], t[-1] = 0, T - 1
    return torch.from_numpy(t).long()


# -- make_schedule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "start", "end"), [(1000, 1e-4, 0.02), (37, 0.001, 0.3), (1, 0.05, 0.05)]
)
@pytest.mark.rules("R1")
def test_make_schedule_matches_linear_ddpm(sol, oracle, steps, start, end):
    """make_schedule gives float64 CPU betas = linspace(start, end, T), alphas = 1 - betas, and
    the inclusive cumulative product."""
    s = sol.make_schedule(steps, start, end)
    betas, abar = oracle(steps, start, end)
    call = f"make_schedule({steps}, {start}, {end}) (R1)"
    assert_tensor(s.betas, torch.from_numpy(betas), what=f"{call}.betas", rtol=1e-12)
    assert_tensor(s.alphas, torch.from_numpy(1.0 - betas), what=f"{call}.alphas", rtol=1e-12)
    assert_tensor(
        s.alphas_cumprod, torch.from_numpy(abar), what=f"{call}.alphas_cumprod", rtol=1e-10
    )


@pytest.mark.parametrize(
    "args", [(0, 1e-4, 0.02), (-5, 1e-4, 0.02), (10, 0.0, 0.02), (10, 0.03, 0.02), (10, 1e-4, 1.0)]
)
@pytest.mark.rules("R2")
def test_make_schedule_rejects_bad_arguments(sol, args):
    """make_schedule raises ValueError for T < 1 and betas outside 0 < start <= end < 1."""
    with pytest.raises(ValueError):
        sol.make_schedule(*args)
        pytest.fail(f"make_schedule{args} returned instead of raising ValueError (R2)")


# -- q_sample: exact mapping --------------------------------------------------------------------


@pytest.mark.rules("R3")
def test_given_noise_identity(sol, schedule, rng, device):
    """q_sample(x0, t, noise) equals sqrt(abar_t) x0 + sqrt(1 - abar_t) noise with abar_t the
    product over steps 0..t inclusive, for every sample of a batch with mixed t."""
    batch = 64
    x0 = torch.from_numpy(rng.normal(size=(batch, 5))).to(device)
    noise = torch.from_numpy(rng.normal(size=(batch, 5))).to(device)
    t = _t_values(rng, batch).to(device)
    out = sol.q_sample(x0, t, noise, schedule)
    m, s = _coeffs(schedule.alphas_cumprod, t, 2, torch.float64, device)
    expected = m * x0 + s * noise
    try:
        assert_tensor(
            out, expected, what=f"q_sample(x0 (64, 5) float64, t={t[:6].tolist()}...) (R3)"
        )
    except AssertionError as exc:
        at_zero = out[0].cpu() - x0[0].cpu()
        hint = ""
        if torch.allclose(at_zero, torch.zeros_like(at_zero), atol=1e-12):
            hint = " At t=0 the output equals x0; R3: x_0 is the state after step 0."
        raise AssertionError(str(exc) + hint) from None


@pytest.mark.rules("R3")
def test_closed_form_matches_markov_chain(sol, schedule, torch_gen, device):
    """For several t, samples of q_sample (float64, fresh standard-normal noise) have the same
    mean and variance as x_t from simulating the forward chain step by step (6-sigma bounds)."""
    n, d = 20000, 3
    checkpoints = [0, 1, 2, 10, 250, 999]
    x0_row = torch.tensor([1.5, -0.7, 3.0], dtype=torch.float64, device=device)
    x0 = x0_row.expand(n, d).contiguous()
    # the oracle: the Markov chain of the README, one step at a time
    x = x0.clone()
    chain = {}
    alphas, betas = schedule.alphas.to(device), schedule.betas.to(device)
    for step in range(max(checkpoints) + 1):
        eps = torch.randn(n, d, dtype=torch.float64, device=device, generator=torch_gen)
        x = alphas[step].sqrt() * x + betas[step].sqrt() * eps
        if step in checkpoints:
            chain[step] = x.clone()
    for step in checkpoints:
        noise = torch.randn(n, d, dtype=torch.float64, device=device, generator=torch_gen)
        t = torch.full((n,), step, dtype=torch.long, device=device)
        got = sol.q_sample(x0, t, noise, schedule)
        ref = chain[step]
        for j in range(d):
            mg, mr = got[:, j].mean().item(), ref[:, j].mean().item()
            vg, vr = got[:, j].var().item(), ref[:, j].var().item()
            z_mean = (mg - mr) / math.sqrt(vg / n + vr / n + 1e-300)
            assert abs(z_mean) < 6, (
                f"q_sample at t={step}: mean of x_t[:, {j}] is {mg:.6g}, the simulated chain "
                f"gives {mr:.6g} (z = {z_mean:.1f}; R3)"
            )
            if vg <= 0:
                raise AssertionError(
                    f"q_sample at t={step} returned no noise at all (variance 0); the chain has "
                    f"variance {vr:.3g} after step {step} (R3)"
                )
            z_var = math.log(vg / vr) / math.sqrt(4.0 / n)
            assert abs(z_var) < 6, (
                f"q_sample at t={step}: variance of x_t[:, {j}] is {vg:.6g}, the simulated chain "
                f"gives {vr:.6g} (z = {z_var:.1f}; R3)"
            )


@pytest.mark.parametrize(
    "shape", [(16,), (16, 7), (16, 3, 5, 5), (16, 2, 3, 4, 2)], ids=["B", "BD", "BCHW", "B5d"]
)
@pytest.mark.rules("R4")
def test_broadcast_over_trailing_shapes(sol, schedule, rng, device, shape):
    """Per-sample t broadcasts over any number of trailing dimensions, including none."""
    x0 = torch.from_numpy(rng.normal(size=shape)).float().to(device)
    noise = torch.from_numpy(rng.normal(size=shape)).float().to(device)
    t = _t_values(rng, shape[0]).to(device)
    try:
        out = sol.q_sample(x0, t, noise, schedule)
    except Exception as exc:  # noqa: BLE001 - report the failing shape
        raise AssertionError(
            f"q_sample(x0 {describe(x0)}, t (16,)) raised {type(exc).__name__}: {exc}; R4: t of "
            f"shape (B,) broadcasts over every trailing dimension of x0"
        ) from None
    m, s = _coeffs(schedule.alphas_cumprod, t, len(shape), torch.float32, device)
    assert_tensor(out, m * x0 + s * noise, what=f"q_sample(x0 {describe(x0)}, per-sample t) (R4)")


def _assert_within_ulps(out, x0, noise, m, s, what: str, ulps: float = 3.0) -> None:
    """``out`` equals m * x0 + s * noise (coefficients already in x0's dtype) to within ``ulps``
    units in the last place of x0's dtype, measured on |m x0| + |s noise| element by element (the
    rounding of two products and a sum, fused or not), not on the largest value of the batch."""
    if type(out) is not torch.Tensor or out.shape != x0.shape or out.dtype != x0.dtype:
        raise AssertionError(
            f"{what}: returned {describe(out)}, expected {describe(x0)} (R5: x0's shape and dtype)"
        )
    m64, s64 = m.double(), s.double()
    x64, n64 = x0.double(), noise.double()
    exact = m64 * x64 + s64 * n64
    scale = (m64 * x64).abs() + (s64 * n64).abs()
    eps = torch.finfo(x0.dtype).eps
    allowed = ulps * eps * scale + torch.finfo(x0.dtype).tiny
    err = (out.double() - exact).abs()
    bad = err > allowed
    if bool(bad.any()):
        idx = tuple(int(i) for i in torch.nonzero(bad)[0])
        ulp_off = float(err[idx]) / (eps * float(scale[idx]) + 1e-300)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.numel()} values wrong; at index {idx} got "
            f"{float(out[idx]):.6g}, off by {ulp_off:.0f} units in the last place of {x0.dtype} "
            f"(R3, R5: sqrt(abar_t) and sqrt(1 - abar_t) of the step t itself, computed in "
            f"float64 and cast to x0's dtype)"
        )


@pytest.mark.rules("R5")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_dtype_preserved(sol, schedule, rng, device, dtype):
    """The result has x0's dtype (coefficients cast to it), and the values are right for it to
    within 3 units in its last place."""
    x0 = torch.from_numpy(rng.normal(size=(8, 4, 4))).to(dtype).to(device)
    noise = torch.from_numpy(rng.normal(size=(8, 4, 4))).to(dtype).to(device)
    t = _t_values(rng, 8).to(device)
    out = sol.q_sample(x0, t, noise, schedule)
    if isinstance(out, torch.Tensor) and out.dtype != dtype:
        raise AssertionError(
            f"q_sample(x0 {describe(x0)}) returned dtype {out.dtype}; R5: it returns x0's dtype "
            f"{dtype}"
        )
    m, s = _coeffs(schedule.alphas_cumprod, t, 3, dtype, device)
    _assert_within_ulps(out, x0, noise, m, s, what=f"q_sample(x0 {describe(x0)})")


@pytest.mark.rules("R3", "R5")
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_low_precision_values(sol, schedule, rng, device, dtype):
    """In float16 and bfloat16 the values are still those of step t itself: with x0 = 0 at the
    first steps the output is sqrt(1 - abar_t) * noise alone (a step off changes it by 40 % or
    more), and with noise = 0 it is sqrt(abar_t) * x0, both to within 3 units in the last
    place."""
    t = torch.tensor([0, 1, 2, 3, 4, 5, 7, 9] + rng.integers(0, T, size=8).tolist(), device=device)
    noise = torch.from_numpy(rng.normal(size=(16, 3, 8))).to(dtype).to(device)
    x0 = torch.zeros_like(noise)
    out = sol.q_sample(x0, t, noise, schedule)
    m, s = _coeffs(schedule.alphas_cumprod, t, 3, dtype, device)
    _assert_within_ulps(out, x0, noise, m, s, what=f"q_sample(x0 = 0 {describe(x0)}, t from 0)")
    x0 = torch.from_numpy(rng.normal(size=(16, 3, 8))).to(dtype).to(device)
    out = sol.q_sample(x0, t, torch.zeros_like(x0), schedule)
    _assert_within_ulps(
        out, x0, torch.zeros_like(x0), m, s, what=f"q_sample(x0 {describe(x0)}, noise = 0)"
    )


@pytest.mark.rules("R5")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_coefficients_cast_before_data(sol, inside, schedule, rng, make_spd, device, dtype):
    """The batch is only ever touched in x0's dtype: no operation inside q_sample or
    q_sample_correlated produces a tensor as large as x0 in another dtype (the float64
    coefficients are cast before they meet x0 and noise)."""
    x0 = torch.from_numpy(rng.normal(size=(16, 4, 32))).to(dtype).to(device)
    noise = torch.from_numpy(rng.normal(size=(16, 4, 32))).to(dtype).to(device)
    t = _t_values(rng, 16).to(device)
    chol = torch.linalg.cholesky(torch.from_numpy(make_spd(rng, 32))).to(device)
    want = str(dtype).removeprefix("torch.")
    for name, args in (
        ("q_sample", (x0, t, noise, schedule)),
        ("q_sample_correlated", (x0, t, noise, schedule, chol)),
    ):
        _, seen = inside(sol).big_tensor_dtypes(name, *args)
        other = sorted({f"{op} -> {dt}" for op, dt in seen if dt != want})
        assert not other, (
            f"{name}(x0 {describe(x0)}): operations made tensors as large as x0 in another dtype "
            f"({', '.join(other[:4])}); R5: the coefficients are cast to x0's dtype before they "
            f"meet x0 and noise (a float64 copy of the batch doubles the memory traffic of every "
            f"training step)"
        )


@pytest.mark.rules("R6")
def test_t_on_cpu_with_x0_elsewhere(sol, schedule, rng, device):
    """t may live on the CPU while x0 is on the grading device, and vice versa for int32 t."""
    x0 = torch.from_numpy(rng.normal(size=(6, 3))).float().to(device)
    noise = torch.zeros_like(x0)
    for t in (_t_values(rng, 6), _t_values(rng, 6).to(torch.int32).to(device)):
        out = sol.q_sample(x0, t, noise, schedule)
        m, _ = _coeffs(schedule.alphas_cumprod, t.long(), 2, torch.float32, device)
        assert_tensor(out, m * x0, what=f"q_sample(x0 on {device}, t {t.dtype} on {t.device}) (R6)")


@pytest.mark.rules("R7")
def test_does_not_modify_arguments(sol, schedule, rng, device):
    """q_sample leaves x0, t, noise and the schedule untouched."""
    x0 = torch.from_numpy(rng.normal(size=(5, 4))).to(device)
    noise = torch.from_numpy(rng.normal(size=(5, 4))).to(device)
    t = _t_values(rng, 5).to(device)
    before = [x0.clone(), noise.clone(), t.clone(), schedule.alphas_cumprod.clone()]
    sol.q_sample(x0, t, noise, schedule)
    after = [x0, noise, t, schedule.alphas_cumprod]
    for name, b, a in zip(["x0", "noise", "t", "alphas_cumprod"], before, after, strict=True):
        assert torch.equal(b, a), f"q_sample modified its argument {name} in place (R7)"


@pytest.mark.parametrize("bad_t", [-1, T, T + 5], ids=["minus1", "T", "T+5"])
@pytest.mark.rules("R8")
def test_t_out_of_range_raises(sol, schedule, device, bad_t):
    """A t outside [0, T) raises ValueError (no silent wrap-around of negative indices)."""
    x0 = torch.zeros(3, 2, device=device)
    t = torch.tensor([0, bad_t, 1], device=device)
    with pytest.raises(ValueError):
        sol.q_sample(x0, t, torch.zeros_like(x0), schedule)
        pytest.fail(f"q_sample with t={t.tolist()} returned instead of raising ValueError (R8)")


@pytest.mark.rules("R8")
def test_bad_t_and_noise_raise(sol, schedule, device):
    """Float t raises TypeError; t of the wrong shape or noise of another shape raise ValueError."""
    x0 = torch.zeros(3, 2, device=device)
    cases = [
        (TypeError, torch.tensor([0.0, 1.0, 2.0], device=device), torch.zeros_like(x0), "float t"),
        (ValueError, torch.tensor([0, 1], device=device), torch.zeros_like(x0), "t of shape (2,)"),
        (
            ValueError,
            torch.tensor([[0, 1, 2]], device=device),
            torch.zeros_like(x0),
            "t of shape (1, 3)",
        ),
        (
            ValueError,
            torch.tensor([0, 1, 2], device=device),
            torch.zeros(3, 3, device=device),
            "noise (3, 3)",
        ),
    ]
    for error, t, noise, label in cases:
        with pytest.raises(error):
            sol.q_sample(x0, t, noise, schedule)
            pytest.fail(f"q_sample with {label} returned instead of raising {error.__name__} (R8)")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.rules("R3", "R4")
def test_linearity_property(sol, schedule, device, data):
    """Property: for any batch, trailing shape and steps, q_sample is linear in (x0, noise) with
    the per-sample coefficients sqrt(abar_t) and sqrt(1 - abar_t)."""
    batch = data.draw(st.integers(1, 6), label="B")
    trailing = data.draw(st.lists(st.integers(1, 4), min_size=0, max_size=3), label="trailing")
    steps = data.draw(st.lists(st.integers(0, T - 1), min_size=batch, max_size=batch), label="t")
    shape = (batch, *trailing)
    gen = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31), label="seed"))
    x0 = torch.randn(shape, dtype=torch.float64, generator=gen).to(device)
    noise = torch.randn(shape, dtype=torch.float64, generator=gen).to(device)
    t = torch.tensor(steps, device=device)
    out = sol.q_sample(x0, t, noise, schedule)
    m, s = _coeffs(schedule.alphas_cumprod, t, len(shape), torch.float64, device)
    assert_tensor(out, m * x0 + s * noise, what=f"q_sample(x0 {shape}, t={steps}) (R3, R4)")


@pytest.mark.gpu
@pytest.mark.rules("R5", "R6")
def test_cuda_inputs_stay_on_cuda(sol, schedule):
    """With x0 on CUDA and the schedule on the CPU, the result is on CUDA and correct."""
    x0 = torch.randn(8, 3, device="cuda")
    noise = torch.randn(8, 3, device="cuda")
    t = torch.arange(8) * 100
    out = sol.q_sample(x0, t, noise, schedule)
    m, s = _coeffs(schedule.alphas_cumprod, t, 2, torch.float32, "cuda")
    assert_tensor(out, m * x0 + s * noise, what="q_sample(x0 on cuda, t on cpu)")


# -- q_sample_correlated ------------------------------------------------------------------------


@pytest.mark.rules("R9")
def test_correlated_given_noise_identity(sol, schedule, rng, make_spd, device):
    """q_sample_correlated maps noise through the lower Cholesky factor of Cov[x_t | x0]:
    x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) * (noise @ chol.T)."""
    d = 4
    chol = torch.linalg.cholesky(torch.from_numpy(make_spd(rng, d))).to(device)
    x0 = torch.from_numpy(rng.normal(size=(32, 3, d))).to(device)
    noise = torch.from_numpy(rng.normal(size=(32, 3, d))).to(device)
    t = _t_values(rng, 32).to(device)
    out = sol.q_sample_correlated(x0, t, noise, schedule, chol)
    m, s = _coeffs(schedule.alphas_cumprod, t, 3, torch.float64, device)
    assert_tensor(
        out, m * x0 + s * (noise @ chol.T), what="q_sample_correlated(x0 (32, 3, 4)) (R9)"
    )


@pytest.mark.rules("R9")
def test_correlated_matches_sequential_chain(sol, schedule, rng, make_spd, torch_gen, device):
    """Samples of q_sample_correlated have the mean and full covariance of x_t from simulating
    the chain with correlated per-step noise step by step (6-sigma bounds per entry)."""
    n, d = 40000, 3
    sigma = torch.from_numpy(make_spd(rng, d)).to(device)
    chol = torch.linalg.cholesky(sigma)
    x0 = (
        torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, device=device).expand(n, d).contiguous()
    )
    checkpoints = [0, 3, 400]
    x = x0.clone()
    chain = {}
    alphas, betas = schedule.alphas.to(device), schedule.betas.to(device)
    for step in range(max(checkpoints) + 1):
        eps = torch.randn(n, d, dtype=torch.float64, device=device, generator=torch_gen) @ chol.T
        x = alphas[step].sqrt() * x + betas[step].sqrt() * eps
        if step in checkpoints:
            chain[step] = x.clone()
    for step in checkpoints:
        noise = torch.randn(n, d, dtype=torch.float64, device=device, generator=torch_gen)
        t = torch.full((n,), step, dtype=torch.long, device=device)
        got = sol.q_sample_correlated(x0, t, noise, schedule, chol)
        ref = chain[step]
        cg, cr = torch.cov(got.T), torch.cov(ref.T)
        for i in range(d):
            mg, mr = got[:, i].mean().item(), ref[:, i].mean().item()
            z = (mg - mr) / math.sqrt((cg[i, i] + cr[i, i]).item() / n + 1e-300)
            assert abs(z) < 6, (
                f"q_sample_correlated at t={step}: mean of component {i} is {mg:.6g}, the "
                f"sequential chain gives {mr:.6g} (z = {z:.1f}; R9)"
            )
            for j in range(d):
                se = math.sqrt(2 * (cr[i, i] * cr[j, j] + cr[i, j] ** 2).item() / n)
                z = (cg[i, j] - cr[i, j]).item() / se
                assert abs(z) < 6, (
                    f"q_sample_correlated at t={step}: Cov[x_t]({i},{j}) is {cg[i, j].item():.5g}, "
                    f"the sequential chain gives {cr[i, j].item():.5g} (z = {z:.1f}; R9)"
                )


@pytest.mark.rules("R5", "R10")
def test_correlated_dtype_and_errors(sol, schedule, rng, make_spd, device):
    """q_sample_correlated keeps x0's dtype and raises ValueError for a chol of the wrong size."""
    chol = torch.linalg.cholesky(torch.from_numpy(make_spd(rng, 3))).to(device)
    x0 = torch.from_numpy(rng.normal(size=(4, 3))).float().to(device)
    out = sol.q_sample_correlated(
        x0, torch.tensor([0, 1, 2, 3], device=device), torch.zeros_like(x0), schedule, chol
    )
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32, (
        f"q_sample_correlated(x0 float32, chol float64) returned "
        f"{getattr(out, 'dtype', type(out))}; R5: x0's dtype, torch.float32"
    )
    with pytest.raises(ValueError):
        sol.q_sample_correlated(
            x0,
            torch.tensor([0, 1, 2, 3], device=device),
            torch.zeros_like(x0),
            schedule,
            chol[:2, :2],
        )
        pytest.fail(
            "q_sample_correlated with a (2, 2) chol for D=3 returned instead of raising "
            "ValueError (R10)"
        )
    with pytest.raises(ValueError):
        sol.q_sample_correlated(
            x0, torch.tensor([0, 1, 2, T], device=device), torch.zeros_like(x0), schedule, chol
        )
        pytest.fail(f"q_sample_correlated with t={T} returned instead of raising ValueError (R10)")
