"""Hidden correctness tests of overfit_one_batch.

Each test runs sanity_check on planted setups (conftest.py): small classifiers on synthetic,
learnable data with one known bug, or none. A verdict must name the planted bug and no other
cause (did_not_overfit, the symptom, is judged only where it is certain).
"""

import copy
from types import SimpleNamespace

import pytest
import torch
from torch import nn

CORE = {
    "probabilities_into_cross_entropy",
    "gradients_accumulate",
    "frozen_parameters",
    "labels_misaligned",
    "learning_rate_too_low",
}
ORDER = (
    "probabilities_into_cross_entropy",
    "gradients_accumulate",
    "frozen_parameters",
    "labels_misaligned",
    "learning_rate_too_low",
    "did_not_overfit",
)

RULE = {
    "probabilities_into_cross_entropy": "R6",
    "frozen_parameters": "R7",
    "gradients_accumulate": "R8",
    "learning_rate_too_low": "R9",
    "labels_misaligned": "R10",
    "did_not_overfit": "R11",
}

EXPLAIN = {
    "probabilities_into_cross_entropy": (
        "CrossEntropyLoss applies log_softmax itself; fed probabilities it computes "
        "log_softmax(softmax(z)), whose loss cannot go below log(1 + (C-1)/e) and whose gradients "
        "vanish. Look at the outputs: rows in [0, 1] summing to 1 are probabilities."
    ),
    "gradients_accumulate": (
        "Without zero_grad every backward pass adds to .grad, so each update uses the sum of all "
        "past gradients. Probe the caller's train_step: give it a .grad that already holds G and "
        "an optimiser that does not move (SGD lr=0); a step that clears gradients leaves G (or "
        "nothing), an accumulating one 2G."
    ),
    "frozen_parameters": (
        "A parameter can be frozen without requires_grad=False: a detach() in forward or a layer "
        "that is never used leaves it without gradient too. Check .grad after a backward pass, "
        "not only the requires_grad flags."
    ),
    "labels_misaligned": (
        "This is the overfitting illusion: a network memorises one batch whatever its labels, so "
        "a loss near zero says nothing about whether the labels belong to the inputs (Zhang et al. "
        "2017). Fit the even-indexed samples and predict the odd-indexed ones: with real labels "
        "it generalises, with misaligned labels it stays at chance."
    ),
    "learning_rate_too_low": (
        "Measure the update/weight ratio ||theta_10 - theta_0|| / ||theta_0|| of the parameters "
        "that get a gradient: far below 1e-4 the optimiser is not moving them."
    ),
}


def _run(inside, sol, setup):
    """sanity_check on the setup, run in the sandbox (inside.run_check): the Diagnosis's fields."""
    model = setup.model
    state = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        d = inside(sol).run_check(model, setup.batch, setup.loss_fn, setup.step, setup.kwargs)
    except Exception as exc:  # noqa: BLE001 - report the setup
        raise AssertionError(
            f"sanity_check on the setup '{setup.name}' raised {type(exc).__name__}: {exc}"
        ) from None
    for k, v in model.state_dict().items():
        if not torch.equal(v, state[k]):
            raise AssertionError(
                f"sanity_check on '{setup.name}' modified the caller's model ({k}); R3: the "
                f"caller's model is never modified"
            )
    return SimpleNamespace(**d)


def _judge(inside, sol, setup, *, overfit=None):
    """The verdict names exactly the planted core issues; did_not_overfit as given (None: either)."""
    d = _run(inside, sol, setup)
    issues = tuple(d.issues)
    got_core = set(issues) & CORE
    missing = set(setup.expected) - got_core
    extra = got_core - set(setup.expected)
    call = f"sanity_check on '{setup.name}'"
    if missing:
        name = sorted(missing)[0]
        raise AssertionError(
            f"{call} returned issues {issues}; it must report {name!r} ({RULE[name]}). "
            f"{EXPLAIN[name]}"
        )
    if extra:
        raise AssertionError(
            f"{call} returned issues {issues}: {sorted(extra)} is not the problem of this setup "
            f"({', '.join(RULE[e] for e in sorted(extra))}: report an issue exactly when it "
            f"holds)"
        )
    if overfit is not None and ("did_not_overfit" in issues) != (not overfit):
        raise AssertionError(
            f"{call} returned issues {issues} with final_loss {d.final_loss:.4g}; did_not_overfit "
            f"must be {'absent' if overfit else 'present'} here (R11)"
        )
    unknown = set(issues) - set(ORDER)
    assert not unknown, f"{call} returned unknown issues {sorted(unknown)} (R5)"
    assert type(d.issues) is tuple and list(issues) == sorted(issues, key=ORDER.index), (
        f"{call}: issues {d.issues!r}; R5: a tuple in the order of ISSUES"
    )
    assert d.ok is (not issues), f"{call}: ok is {d.ok!r} with issues {issues} (R5)"
    return d


@pytest.mark.rules("R5", "R6", "R7", "R8", "R9", "R10", "R11")
def test_healthy_setups_pass(sol, inside, setups):
    """Healthy setups (standard step, zero_grad after the update, model.zero_grad, functional
    loss, a residual model) overfit the batch and come back ok with no issue."""
    for setup in setups("healthy"):
        d = _judge(inside, sol, setup, overfit=True)
        assert d.ok and d.final_loss < 0.05, (
            f"'{setup.name}': ok={d.ok}, final_loss={d.final_loss:.4g} (R5, R11)"
        )


@pytest.mark.rules("R6", "R11")
def test_flags_probabilities_into_cross_entropy(sol, inside, setups):
    """An MLP ending in Softmax, trained with CrossEntropyLoss, is flagged."""
    for setup in setups("softmax"):
        _judge(inside, sol, setup, overfit=False)


@pytest.mark.rules("R8")
def test_flags_gradient_accumulation(sol, inside, setups):
    """A train_step without zero_grad is flagged as gradients_accumulate."""
    for setup in setups("accumulate"):
        _judge(inside, sol, setup)


@pytest.mark.rules("R7")
def test_flags_frozen_parameters(sol, inside, setups):
    """A frozen first layer, a detach() in forward, an unused layer and a fully frozen model are
    all flagged as frozen_parameters, and nothing else is blamed."""
    for setup in setups("frozen"):
        _judge(inside, sol, setup)


@pytest.mark.rules("R10")
def test_flags_misaligned_labels(sol, inside, setups):
    """Labels shuffled against the inputs are flagged, although the batch is memorised (the
    loss goes to zero)."""
    for setup in setups("misaligned"):
        d = _judge(inside, sol, setup, overfit=True)
        assert not d.ok, f"'{setup.name}' came back ok"


@pytest.mark.rules("R9", "R11")
def test_flags_learning_rate_too_low(sol, inside, setups):
    """A learning rate of 1e-7 or 1e-9 is flagged as learning_rate_too_low (and the batch is
    not overfitted)."""
    for setup in setups("lr"):
        _judge(inside, sol, setup, overfit=False)


@pytest.mark.rules("R2", "R5")
def test_diagnosis_fields(sol, inside, setups):
    """initial_loss is the loss before training, steps counts the full-batch run (max_steps
    when it never reaches the target), ok mirrors issues."""
    healthy = setups("healthy")[0]
    with torch.no_grad():
        want = float(healthy.loss_fn(healthy.model(healthy.batch[0]), healthy.batch[1]))
    d = _run(inside, sol, healthy)
    assert d.type == "Diagnosis", f"sanity_check returned a {d.type}, expected a Diagnosis (R5)"
    assert type(d.initial_loss) is float and abs(d.initial_loss - want) <= 1e-5 * max(1.0, want), (
        f"sanity_check on a healthy MLP: initial_loss is {d.initial_loss!r}, the loss at "
        f"initialisation is {want:.6g}; R2: the loss before any training, as a float"
    )
    assert type(d.steps) is int and 1 <= d.steps < 300, (
        f"sanity_check on a healthy MLP: steps={d.steps!r}; R2: the run stops after the first "
        f"step whose loss is below target_loss"
    )
    assert type(d.final_loss) is float and d.final_loss < 0.05, (
        f"sanity_check on a healthy MLP: final_loss={d.final_loss!r} (R2: a float, the loss "
        f"after the full-batch run)"
    )
    slow = setups("lr")[1]
    d = _run(inside, sol, slow)
    assert d.steps == 40, (
        f"sanity_check with lr=1e-9 and max_steps=40: steps={d.steps!r}, expected 40 (R2)"
    )
    assert d.final_loss == pytest.approx(d.initial_loss, rel=1e-3), (
        f"sanity_check with lr=1e-9: final_loss {d.final_loss:.6g}, initial_loss "
        f"{d.initial_loss:.6g}; nothing moves, so they agree (R2)"
    )


@pytest.mark.rules("R3")
def test_leaves_the_model_untouched(sol, inside, setups):
    """The caller's model keeps its parameters, .grad (None), requires_grad flags and eval
    mode, for a healthy and a failing setup."""
    for setup in (setups("healthy")[0], setups("frozen")[0]):
        model = setup.model
        model.eval()
        before = copy.deepcopy(model)
        inside(sol).run_check(model, setup.batch, setup.loss_fn, setup.step, setup.kwargs)
        assert not model.training, (
            f"'{setup.name}': sanity_check switched the model to train mode (R3)"
        )
        for (n, p), q in zip(model.named_parameters(), before.parameters(), strict=True):
            assert torch.equal(p, q), (
                f"'{setup.name}': sanity_check changed the caller's parameter {n} (R3)"
            )
            assert p.grad is None, f"'{setup.name}': sanity_check left a .grad on {n} (R3)"
            assert p.requires_grad == q.requires_grad, (
                f"'{setup.name}': requires_grad of {n} changed (R3)"
            )


@pytest.mark.rules("R4")
def test_bad_arguments(sol, setups):
    """Float targets, mismatched sizes, a batch of 2, lr <= 0, max_steps < 1 and
    target_loss <= 0 raise ValueError; inputs that are not a tensor raise TypeError."""
    s = setups("healthy")[0]
    x, y = s.batch
    ce = nn.CrossEntropyLoss()
    cases = [
        ("float targets", (x, y.float()), {}),
        ("2-D targets", (x, y[:, None]), {}),
        ("sizes differ", (x, y[:-1]), {}),
        ("batch of 2", (x[:2], y[:2]), {}),
        ("lr=0", (x, y), {"lr": 0.0}),
        ("max_steps=0", (x, y), {"max_steps": 0}),
        ("target_loss=0", (x, y), {"target_loss": 0.0}),
    ]
    for label, batch, kwargs in cases:
        with pytest.raises(ValueError):
            sol.sanity_check(s.model, batch, ce, **kwargs)
            pytest.fail(f"sanity_check with {label} returned instead of raising ValueError (R4)")
    with pytest.raises(TypeError):
        sol.sanity_check(s.model, (x.tolist(), y), ce)
        pytest.fail("sanity_check with inputs as a list returned instead of raising TypeError (R4)")


@pytest.mark.rules("R1")
def test_standard_step(sol, inside, setups):
    """standard_step clears the gradients already in .grad, steps once and returns the loss
    computed before the update, as a float."""
    setup = setups("healthy")[0]
    model, (x, y) = setup.model, setup.batch
    oracle = copy.deepcopy(model)
    loss, after = inside(sol).run_standard_step(model, (x, y), 0.1, 5.0)
    want_loss = nn.functional.cross_entropy(oracle(x), y)
    want_loss.backward()
    with torch.no_grad():
        for p in oracle.parameters():
            p -= 0.1 * p.grad
    assert type(loss) is float and loss == pytest.approx(float(want_loss), rel=1e-5), (
        f"standard_step(mlp, batch of {len(y)}, CrossEntropyLoss, SGD lr 0.1) returned "
        f"{loss!r}; R1: the loss computed in this step (before the update), as a float"
    )
    for n, p in oracle.named_parameters():
        moved = float((after[n] - p.detach()).abs().max())
        assert moved <= 1e-5, (
            f"standard_step(mlp, batch, CrossEntropyLoss, SGD lr 0.1) on a model whose .grad held "
            f"stale values: parameter {n} is off by up to {moved:.3g} from one clean SGD step; "
            f"R1: clear the gradients, forward, loss, backward, step"
        )
