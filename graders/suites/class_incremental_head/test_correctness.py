"""Hidden correctness tests of class_incremental_head.

Oracles: the cosine-logit formula and binary cross-entropy written here with torch.nn.functional
from the head's own weight/bias, and a class-incremental run (conftest.py) on synthetic features:
task A, add classes, task B on new data only, then what became of the old classes.
"""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.nn import functional as F  # noqa: N812

from graders.checks import assert_tensor

K_OLD = 5  # classes of task A in the class-incremental run (conftest.py)


COUPLING = (
    "Softmax couples the classes: p_c = exp(z_c) / sum_j exp(z_j), so adding classes renormalises "
    "every old probability, and cross-entropy on new data pushes every old logit down (its gradient "
    "is p_c > 0 on each new sample): old classes drift and are forgotten. Give each class its own "
    "sigmoid (binary cross-entropy), and consolidate the old classes in add_classes (no gradient "
    "to their parameters)."
)


def _oracle_logits(head, x, scale=16.0):
    w = head.weight.detach()
    cos = F.normalize(x, dim=1) @ F.normalize(w, dim=1).T
    return scale * cos + head.bias.detach()


def _head(sol, kata_seed, d, c, scale=16.0):
    torch.manual_seed(kata_seed)
    return sol.IncrementalHead(d, c, scale)


# -- outputs ------------------------------------------------------------------------------------


def test_logits_are_scaled_cosine(sol, kata_seed, torch_gen):
    """forward returns scale * cos(features, weight[c]) + bias[c], for any feature magnitude
    (including a zero vector), before and after add_classes."""
    head = _head(sol, kata_seed, 12, 4, scale=7.5)
    with torch.no_grad():
        for p in head.parameters():  # move the biases away from 0
            p.add_(0.3 * torch.randn(p.shape, generator=torch_gen))
    x = torch.randn(20, 12, generator=torch_gen) * torch.rand(20, 1, generator=torch_gen) * 50
    x[3] = 0.0
    for stage in ("as built", "after add_classes(3)"):
        out = head(x)
        try:
            assert_tensor(
                out, _oracle_logits(head, x, 7.5), what=f"head(features) {stage}", rtol=1e-5
            )
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}. The logits must be cosine-normalised: scale * cos(x, w_c) + b_c. With raw "
                f"dot products a class trained later (on more data, for longer) grows a larger "
                f"weight norm and wins on old samples: predictions drift toward the newest classes."
            ) from None
        head.add_classes(3)


def test_logits_ignore_feature_magnitude(sol, kata_seed, torch_gen):
    """Scaling a feature vector by any positive factor leaves its logits unchanged."""
    head = _head(sol, kata_seed, 16, 6)
    x = torch.randn(10, 16, generator=torch_gen)
    factor = 0.01 + 100 * torch.rand(10, 1, generator=torch_gen)
    assert_tensor(
        head(x * factor), head(x).detach(), what="head(c * features) vs head(features)", rtol=1e-4
    )


def test_predict_proba_is_per_class_sigmoid(sol, kata_seed, torch_gen):
    """predict_proba is sigmoid of each logit, independently per class."""
    head = _head(sol, kata_seed, 8, 5)
    x = torch.randn(16, 8, generator=torch_gen)
    got = head.predict_proba(x)
    try:
        assert_tensor(
            got, torch.sigmoid(head(x)).detach(), what="predict_proba(features)", rtol=1e-5
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}. {COUPLING}") from None


def test_predict_ties_go_to_lowest_index(sol, kata_seed):
    """A zero feature vector has cosine 0 with every class, so all logits equal the biases (0 at
    initialisation): predict returns class 0, also after add_classes."""
    head = _head(sol, kata_seed, 8, 4)
    x = torch.zeros(3, 8)
    for stage in ("as built", "after add_classes(2)"):
        got = head.predict(x)
        assert got.dtype == torch.int64, f"predict returned dtype {got.dtype}, expected torch.int64"
        assert got.tolist() == [0, 0, 0], (
            f"predict(zero features) {stage} returned {got.tolist()}; every logit is equal, ties "
            f"go to the lowest index: [0, 0, 0]"
        )
        head.add_classes(2)


def test_loss_matches_bce(sol, kata_seed, torch_gen):
    """loss is the binary cross-entropy against one-hot targets, summed over classes and
    averaged over the batch, and its gradient is the oracle's."""
    head = _head(sol, kata_seed, 8, 6)
    logits = (4 * torch.randn(10, 6, generator=torch_gen)).requires_grad_(True)
    targets = torch.randint(0, 6, (10,), generator=torch_gen)
    got = head.loss(logits, targets)
    onehot = F.one_hot(targets, 6).float()
    want_logits = logits.detach().clone().requires_grad_(True)
    want = F.binary_cross_entropy_with_logits(want_logits, onehot, reduction="sum") / 10
    assert_tensor(got.detach(), want.detach(), what="loss(logits (10, 6), targets)", rtol=1e-5)
    got.backward()
    want.backward()
    assert_tensor(logits.grad, want_logits.grad, what="d loss / d logits", rtol=1e-5)


# -- adding classes -----------------------------------------------------------------------------


def test_add_classes_keeps_old_probabilities(sol, kata_seed, torch_gen):
    """Right after add_classes, the old classes' logits and probabilities are unchanged for any
    input, and the new classes are appended after them."""
    head = _head(sol, kata_seed, 24, 6)
    x = torch.randn(50, 24, generator=torch_gen)
    logits, proba = head(x).detach().clone(), head.predict_proba(x).detach().clone()
    head.add_classes(4)
    assert head.num_classes == 10, (
        f"num_classes after add_classes(4) on 6 classes is {head.num_classes}"
    )
    assert tuple(head.weight.shape) == (10, 24), (
        f"weight has shape {tuple(head.weight.shape)}, expected (10, 24)"
    )
    new_proba = head.predict_proba(x).detach()
    drift = (new_proba[:, :6] - proba).abs().max().item()
    if drift > 1e-5:
        raise AssertionError(
            f"add_classes(4) changed the old classes' probabilities by up to {drift:.3g} on the same "
            f"inputs (nothing was trained). {COUPLING}"
        )
    assert_tensor(
        head(x).detach()[:, :6], logits, what="old-class logits after add_classes(4)", rtol=1e-5
    )


def test_old_classes_get_no_gradient(sol, kata_seed, torch_gen):
    """After add_classes, optimiser steps on any loss built from the outputs leave the old
    classes' logits unchanged."""
    head = _head(sol, kata_seed, 16, 3)
    x = torch.randn(30, 16, generator=torch_gen)
    old = head(x).detach().clone()
    head.add_classes(2)
    opt = torch.optim.SGD(head.parameters(), lr=0.5)
    for _ in range(5):
        opt.zero_grad()
        (head(x) ** 2).sum().backward()
        opt.step()
    drift = (head(x).detach()[:, :3] - old).abs().max().item()
    assert drift <= 1e-5, (
        f"after add_classes(2) and 5 SGD steps on sum(logits^2), the old classes' logits moved by "
        f"up to {drift:.3g}: consolidated classes must receive no gradient (freeze their weights and "
        f"biases, and keep the scale fixed)"
    )


def test_new_task_training_keeps_old_probabilities(sol, stream_run):
    """Train task A, add 5 classes, train task B on new data only: the old classes'
    probabilities on task-A data are unchanged (tolerance 1e-5)."""
    run = stream_run
    at_add = (run.proba_after_add - run.proba_before[:, :K_OLD]).abs().max().item()
    drift = (run.proba_after - run.proba_before[:, :K_OLD]).abs().max().item()
    if drift > 1e-5:
        raise AssertionError(
            f"the old classes' probabilities on task-A samples moved by up to {drift:.3g} "
            f"({at_add:.3g} right after add_classes, before any training on task B). {COUPLING}"
        )


def test_old_task_accuracy_after_new_task(sol, stream_run):
    """After task B (new data only), task-A samples are still classified correctly over all 10
    classes (accuracy >= 0.6), and task B is learned (accuracy >= 0.6)."""
    run = stream_run
    if run.acc_a < 0.6:
        raise AssertionError(
            f"after training the 5 new classes on new data only, accuracy on task A fell from "
            f"{run.acc_a_before:.2f} to {run.acc_a:.2f} over all 10 classes; {run.share_a_as_new:.0%} "
            f"of task-A samples are now predicted as a new class (bias toward the new classes). "
            f"Training on new data only gives the old classes nothing but negatives: unless they are "
            f"consolidated (no gradient), their logits are pushed down everywhere."
        )
    assert run.acc_b >= 0.6, (
        f"task B accuracy after training it is {run.acc_b:.2f}, expected >= 0.6"
    )


def test_added_classes_follow_dtype(sol, kata_seed, torch_gen):
    """A head moved to float64 adds float64 classes and computes in float64."""
    head = _head(sol, kata_seed, 8, 2).to(torch.float64)
    head.add_classes(3)
    x = torch.randn(4, 8, generator=torch_gen, dtype=torch.float64)
    out = head(x)
    assert out.dtype == torch.float64, (
        f"head(float64 features) after add_classes returned {out.dtype}"
    )
    assert_tensor(out.detach(), _oracle_logits(head, x), what="float64 logits after add_classes(3)")


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_add_classes_sequence_property(sol, data):
    """Property: across any sequence of add_classes calls, num_classes and weight grow by k and
    every earlier class's logits stay the same."""
    d = data.draw(st.integers(1, 12), label="D")
    c0 = data.draw(st.integers(1, 5), label="C0")
    ks = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4), label="ks")
    torch.manual_seed(data.draw(st.integers(0, 2**31), label="seed"))
    head = sol.IncrementalHead(d, c0)
    x = torch.randn(7, d)
    seen = head(x).detach().clone()
    for k in ks:
        head.add_classes(k)
        out = head(x).detach()
        assert out.shape == (7, seen.shape[1] + k), (
            f"after add_classes({k}): logits {tuple(out.shape)}"
        )
        assert head.num_classes == out.shape[1]
        assert torch.allclose(out[:, : seen.shape[1]], seen, rtol=1e-5, atol=1e-5), (
            f"add_classes({k}) changed earlier logits (D={d}, C0={c0}, ks={ks})"
        )
        seen = out.clone()


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [(0, 3), (4, 0), (4, 3, 0.0), (4, 3, -1.0)], ids=["D0", "C0", "scale0", "scale_neg"]
)
def test_bad_constructor_arguments(sol, args):
    """IncrementalHead raises ValueError for D < 1, C < 1 or scale <= 0."""
    with pytest.raises(ValueError):
        sol.IncrementalHead(*args)
        pytest.fail(f"IncrementalHead{args} returned instead of raising ValueError")


def test_bad_call_arguments(sol, kata_seed):
    """add_classes rejects k < 1; forward rejects a wrong feature size; loss rejects float or
    out-of-range targets."""
    head = _head(sol, kata_seed, 4, 3)
    for k in (0, -2):
        with pytest.raises(ValueError):
            head.add_classes(k)
            pytest.fail(f"add_classes({k}) returned instead of raising ValueError")
    with pytest.raises(ValueError):
        head(torch.zeros(2, 5))
        pytest.fail("head(features (2, 5)) for D = 4 returned instead of raising ValueError")
    logits = torch.zeros(2, 3)
    with pytest.raises(TypeError):
        head.loss(logits, torch.tensor([0.0, 1.0]))
        pytest.fail("loss with float targets returned instead of raising TypeError")
    with pytest.raises(ValueError):
        head.loss(logits, torch.tensor([0, 3]))
        pytest.fail("loss with target 3 for C = 3 returned instead of raising ValueError")
