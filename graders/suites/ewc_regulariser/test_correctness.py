"""Hidden correctness tests of ewc_regulariser.

Oracles: the exact true Fisher (expectation over labels as a sum over classes, conftest.py), the
closed form p(1 - p) for the bias Fisher of a constant-logit model, the penalty formula written
here, and a two-task benchmark (conftest.py).
"""

import math

import pytest
import torch
from torch import nn

from graders.checks import assert_tensor

TRUE_FISHER = (
    "R1: the Fisher is an expectation over labels drawn from the model's own predictive "
    "distribution, of the squared gradient of each single (input, label) pair. The 'empirical "
    "Fisher' (labels that are not drawn from p(. | x)) is a different matrix (Kunstner et al. "
    "2019), and (E g)^2 is not E g^2."
)


def _relative_error(got: dict, want: dict) -> float:
    num = sum(float((got[n].double() - want[n].double()).abs().sum()) for n in want)
    den = sum(float(want[n].double().abs().sum()) for n in want)
    return num / den


def _check_keys(fisher, model, call):
    if not isinstance(fisher, dict):
        raise AssertionError(f"{call} returned {type(fisher).__name__}, expected a dict")
    want = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    assert sorted(fisher) == want, f"{call} returned keys {sorted(fisher)}, expected {want}"
    for n, p in model.named_parameters():
        if n in fisher:
            f = fisher[n]
            assert type(f) is torch.Tensor and f.shape == p.shape and f.dtype == p.dtype, (
                f"{call}[{n!r}] is {type(f).__name__} {tuple(getattr(f, 'shape', ()))} "
                f"{getattr(f, 'dtype', '')}, expected a {p.dtype} tensor of shape {tuple(p.shape)}"
            )


# -- fisher_diagonal -----------------------------------------------------------------------------


@pytest.mark.rules("R1")
def test_fisher_of_constant_model(sol, torch_gen):
    """For a model whose logits ignore the input, the bias Fisher is p(1 - p) exactly: the
    estimate with 16000 label draws is within 25 % of it (Monte Carlo noise about 2 %)."""
    model = nn.Linear(3, 3)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.copy_(torch.log(torch.tensor([0.1, 0.2, 0.7])))
    x = torch.randn(40, 3, generator=torch_gen)
    fisher = sol.fisher_diagonal(model, x, n_samples=400, generator=torch_gen)
    _check_keys(fisher, model, "fisher_diagonal(constant-logit model)")
    p = torch.tensor([0.1, 0.2, 0.7])
    want = p * (1 - p)
    got = fisher["bias"]
    rel = ((got - want).abs() / want).max().item()
    if rel > 0.25:
        raise AssertionError(
            f"fisher_diagonal(a model with constant probabilities {p.tolist()}, 40 inputs, "
            f"n_samples=400) gave a bias Fisher off by {rel:.0%} from the true one (Monte Carlo "
            f"noise is about 2 %). {TRUE_FISHER}"
        )


@pytest.mark.rules("R1")
def test_fisher_matches_true_fisher(sol, kata_seed, torch_gen, make_mlp, true_fisher):
    """On a random MLP with confident and unconfident inputs, the estimate with 600 draws per
    input is within 15 % (relative L1 over all entries) of the exact true Fisher."""
    model = make_mlp([6, 16, 3], kata_seed, gain=3.0)
    x = torch.randn(32, 6, generator=torch_gen)
    fisher = sol.fisher_diagonal(model, x, n_samples=600, generator=torch_gen)
    _check_keys(fisher, model, "fisher_diagonal(mlp 6-16-3, 32 inputs)")
    want = true_fisher(model, x)
    rel = _relative_error(fisher, want)
    if rel > 0.15:
        worst = max(want, key=lambda n: float((fisher[n] - want[n]).abs().sum()))
        raise AssertionError(
            f"fisher_diagonal(mlp, 32 inputs, n_samples=600) is {rel:.0%} away from the exact "
            f"true Fisher (relative L1; Monte Carlo noise is below 4 %), worst in {worst!r}. "
            f"{TRUE_FISHER}"
        )


@pytest.mark.rules("R1", "R2")
def test_fisher_uses_the_generator(sol, kata_seed, make_mlp):
    """Two calls with equally seeded generators give the same estimate; n_samples labels are
    drawn per input (a single input and one draw gives one squared gradient)."""
    model = make_mlp([5, 8, 4], kata_seed)
    x = torch.randn(64, 5, generator=torch.Generator().manual_seed(kata_seed))
    a = sol.fisher_diagonal(model, x, n_samples=3, generator=torch.Generator().manual_seed(1))
    b = sol.fisher_diagonal(model, x, n_samples=3, generator=torch.Generator().manual_seed(1))
    for n in a:
        assert torch.equal(a[n], b[n]), (
            f"fisher_diagonal(mlp, 64 inputs, n_samples=3) twice with generators seeded 1: the "
            f"results differ at {n!r}; R2: the labels are drawn with the generator passed in"
        )
    one = sol.fisher_diagonal(model, x[:1], n_samples=1, generator=torch.Generator().manual_seed(2))
    logp = torch.log_softmax(model(x[:1]), dim=1)[0]
    options = []
    for c in range(4):
        grads = torch.autograd.grad(logp[c], list(model.parameters()), retain_graph=True)
        options.append(float(sum((g**2).sum() for g in grads)))
    got = float(sum(v.sum() for v in one.values()))
    assert any(math.isclose(got, o, rel_tol=1e-4) for o in options), (
        f"fisher_diagonal(one input, n_samples=1) sums to {got:.6g}; R1: with one input and one "
        f"draw it is the squared gradient of log p(y | x) for the one label y drawn"
    )


@pytest.mark.rules("R3")
def test_fisher_leaves_the_model_alone(sol, kata_seed, torch_gen, make_mlp):
    """Frozen parameters are left out; parameters, their .grad and the train/eval mode are
    unchanged; a float64 model gives float64 tensors."""
    model = make_mlp([4, 8, 3], kata_seed, dtype=torch.float64)
    model[0].weight.requires_grad_(False)
    model.eval()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    x = torch.randn(12, 4, generator=torch_gen, dtype=torch.float64)
    fisher = sol.fisher_diagonal(model, x, n_samples=2, generator=torch_gen)
    _check_keys(fisher, model, "fisher_diagonal(float64 mlp with a frozen weight)")
    for n, p in model.named_parameters():
        assert torch.equal(p.detach(), before[n]), (
            f"fisher_diagonal changed parameter {n!r} (R3: the model is left as it was)"
        )
        assert p.grad is None, f"fisher_diagonal left a .grad on {n!r} (R3)"
    assert not model.training, "fisher_diagonal switched the model to train mode (R3)"


@pytest.mark.rules("R4")
def test_fisher_bad_arguments(sol):
    """n_samples < 1 and an empty batch raise ValueError."""
    model = nn.Linear(2, 2)
    for label, call in (
        ("n_samples=0", lambda: sol.fisher_diagonal(model, torch.zeros(3, 2), n_samples=0)),
        ("empty inputs", lambda: sol.fisher_diagonal(model, torch.zeros(0, 2))),
    ):
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"fisher_diagonal with {label} returned instead of raising ValueError (R4)")


# -- OnlineEWC ----------------------------------------------------------------------------------


def _random_fisher(model, gen, top):
    fisher = {n: torch.rand(p.shape, generator=gen) for n, p in model.named_parameters()}
    first = next(iter(fisher))
    fisher[first].view(-1)[0] = top  # the largest entry, far from 1
    return fisher


def _oracle_penalty(lam, fisher, anchor, model):
    top = max(float(f.max()) for f in fisher.values())
    params = dict(model.named_parameters())
    return (
        0.5
        * lam
        * sum(
            float(
                (
                    fisher[n].double()
                    / top
                    * (params[n].detach().double() - anchor[n].double()) ** 2
                ).sum()
            )
            for n in fisher
        )
    )


@pytest.mark.rules("R6")
def test_penalty_closed_form(sol, inside, kata_seed, torch_gen, make_mlp):
    """After consolidate and a move of every parameter, penalty equals
    (lam / 2) sum F/max(F) (theta - theta*)^2 and its gradient is lam F/max(F) (theta - theta*)."""
    model = make_mlp([5, 7, 3], kata_seed)
    lam = 3.0 + 10 * torch.rand((), generator=torch_gen).item()
    top = 40.0 + 100 * torch.rand((), generator=torch_gen).item()
    fisher = _random_fisher(model, torch_gen, top)
    ewc = sol.OnlineEWC(lam)
    ewc.consolidate(model, fisher)
    anchor = {n: p.detach().clone() for n, p in model.named_parameters()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=torch_gen))
    got, grads = inside(sol).penalty_and_grads(ewc, model)
    want = _oracle_penalty(lam, fisher, anchor, model)
    if type(got) is not torch.Tensor or got.dim() != 0:
        raise AssertionError(
            f"penalty returned {type(got).__name__} {getattr(got, 'shape', '')}; R6: a scalar "
            f"tensor"
        )
    value = float(got)
    if not math.isclose(value, want, rel_tol=1e-4):
        raise AssertionError(
            f"penalty(lam={lam:.3g}, max F={top:.3g}) after moving every weight by ~0.3 is "
            f"{value:.6g}, {value / want if want else float('nan'):.3g}x the expected value "
            f"(R6). The raw Fisher scales with the data (inputs of scale 10 give a Fisher ~100x "
            f"larger): a penalty that is not normalised dominates the loss and locks the model."
        )
    params = dict(model.named_parameters())
    for n in fisher:
        want_grad = lam * fisher[n] / top * (params[n].detach() - anchor[n])
        if grads[n] is None:
            raise AssertionError(
                f"penalty(model).backward() left no gradient on {n!r}; R6: the penalty "
                f"backpropagates to the parameters"
            )
        assert_tensor(grads[n], want_grad, what=f"d penalty / d {n} (R6)", rtol=1e-4)


@pytest.mark.rules("R7")
def test_penalty_before_consolidate_is_zero(sol):
    """Before any consolidate, and after consolidating an all-zero Fisher (max F = 0), the
    penalty is a zero scalar tensor, also once the parameters have moved."""
    model = nn.Linear(3, 2)
    ewc = sol.OnlineEWC(5.0)
    got = ewc.penalty(model)
    assert type(got) is torch.Tensor and got.dim() == 0 and float(got) == 0.0, (
        f"penalty before consolidate returned {got!r}; R7: a zero scalar tensor"
    )
    ewc.consolidate(model, {n: torch.zeros_like(p) for n, p in model.named_parameters()})
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5)
    got = ewc.penalty(model)
    assert type(got) is torch.Tensor and got.dim() == 0 and float(got) == 0.0, (
        f"penalty after consolidating an all-zero Fisher and moving the weights returned "
        f"{got!r}; R7: with max(F) = 0 the penalty is a zero scalar tensor"
    )


@pytest.mark.rules("R5")
def test_online_decay(sol, kata_seed, torch_gen, make_mlp):
    """Two consolidations: F = gamma F1 + F2, the anchor is the second one's parameters, and
    the penalty uses the combined, normalised Fisher."""
    model = make_mlp([4, 6, 2], kata_seed)
    gamma = 0.2 + 0.6 * torch.rand((), generator=torch_gen).item()
    f1 = _random_fisher(model, torch_gen, 25.0)
    f2 = _random_fisher(model, torch_gen, 3.0)
    f1_copy = {n: v.clone() for n, v in f1.items()}
    ewc = sol.OnlineEWC(7.0, gamma=gamma)
    ewc.consolidate(model, f1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5)
    ewc.consolidate(model, f2)
    assert all(torch.equal(f1[n], f1_copy[n]) for n in f1), (
        "consolidate modified its fisher argument (R5)"
    )
    running = ewc.fisher
    for n in f1:
        try:
            assert_tensor(
                running[n],
                gamma * f1[n] + f2[n],
                what=f"fisher[{n!r}] after two consolidations (gamma={gamma:.3f})",
                rtol=1e-5,
            )
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}. R5: online EWC keeps one running Fisher, decayed at each new task. "
                f"Without the decay the importance of old tasks only grows and the model gets "
                f"more rigid with every task."
            ) from None
    anchor = {n: p.detach().clone() for n, p in model.named_parameters()}
    assert float(ewc.penalty(model).detach()) == pytest.approx(0.0, abs=1e-9), (
        "penalty right after the second consolidate is not 0; R5: the anchor is a copy of the "
        "parameters at the latest consolidate"
    )
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=torch_gen))
    combined = {n: gamma * f1[n] + f2[n] for n in f1}
    want = _oracle_penalty(7.0, combined, anchor, model)
    assert float(ewc.penalty(model).detach()) == pytest.approx(want, rel=1e-4), (
        f"penalty after two consolidations and a move of the weights is "
        f"{float(ewc.penalty(model).detach()):.6g}, {float(ewc.penalty(model)) / want:.3g}x the "
        f"expected value (R5, R6: the combined running Fisher, normalised, and the latest anchor)"
    )


def _names_change(sol, model):
    ewc = sol.OnlineEWC(1.0)
    ewc.consolidate(model, {n: torch.ones_like(p) for n, p in model.named_parameters()})
    ewc.consolidate(model, {"weight": torch.ones_like(model.weight)})


@pytest.mark.rules("R8")
def test_ewc_bad_arguments(sol):
    """Negative lam, gamma outside [0, 1], unknown names, wrong shapes and names that differ from
    the earlier consolidation's raise ValueError."""
    model = nn.Linear(3, 2)
    for label, call in (
        ("OnlineEWC(lam=-1)", lambda: sol.OnlineEWC(-1.0)),
        ("OnlineEWC(1, gamma=1.5)", lambda: sol.OnlineEWC(1.0, gamma=1.5)),
        ("OnlineEWC(1, gamma=-0.1)", lambda: sol.OnlineEWC(1.0, gamma=-0.1)),
        (
            "consolidate(unknown name)",
            lambda: sol.OnlineEWC(1.0).consolidate(model, {"nope": torch.ones(2)}),
        ),
        (
            "consolidate(wrong shape)",
            lambda: sol.OnlineEWC(1.0).consolidate(model, {"weight": torch.ones(3, 2)}),
        ),
        ("consolidate(other names than before)", lambda: _names_change(sol, model)),
    ):
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"{label} returned instead of raising ValueError (R8)")


# -- the two-task benchmark ----------------------------------------------------------------------


@pytest.mark.rules("R1", "R5", "R6")
def test_two_task_benchmark(sol, benchmark, bench_setting):
    """Task A, consolidate, task B with cross_entropy + penalty (SGD lr 0.01, lam 100, inputs
    of scale 10): task B reaches >= 65 % accuracy and task A keeps >= 60 %."""
    run = benchmark
    setting = f"({bench_setting}; task A's max Fisher {run.max_fisher:.3g})"
    if not run.acc_b >= 0.65:
        raise AssertionError(
            f"task B reached {run.acc_b:.0%} accuracy, expected >= 65 % {setting}; final penalty "
            f"{run.final_penalty:.4g}, task loss {run.final_task_loss:.4g}. The penalty dominates "
            f"(R6): its curvature must not scale with the data, or SGD oscillates or the weights "
            f"cannot leave the anchor."
        )
    if not run.acc_a >= 0.60:
        raise AssertionError(
            f"task A fell from {run.acc_a_before:.0%} to {run.acc_a:.0%} accuracy while learning "
            f"task B, expected >= 60 % {setting}: the penalty did not hold the weights that matter "
            f"for task A (R1, R5, R6)."
        )
