"""Hidden correctness tests of class_incremental_head.

Oracles: the cosine-logit formula and binary cross-entropy written here with torch.nn.functional
from the head's own weight/bias, and a class-incremental run (conftest.py) on synthetic features:
task A, add classes, task B on new data only, then what became of the old classes. Heads are
built and trained inside the sandbox (inside.py): autograd does not cross the channel.
"""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.nn import functional as F  # noqa: N812

from graders.checks import assert_tensor

K_OLD = 5  # classes of task A in the class-incremental run (conftest.py)


COUPLING = (
    "With softmax, p_c = exp(z_c) / sum_j exp(z_j): adding classes renormalises every old "
    "probability, and training on new data pushes every old logit down (its gradient is p_c > 0 "
    "on each new sample), so old classes drift and are forgotten"
)


def _oracle_logits(head, x, scale=16.0):
    w = head.weight.detach()
    cos = F.normalize(x, dim=1) @ F.normalize(w, dim=1).T
    return scale * cos + head.bias.detach()


def _head(inside, sol, kata_seed, d, c, scale=16.0):
    return inside(sol).new_head(kata_seed, d, c, scale)


# -- outputs ------------------------------------------------------------------------------------


@pytest.mark.rules("R2")
def test_logits_are_scaled_cosine(sol, inside, kata_seed, torch_gen):
    """forward returns scale * cos(features, weight[c]) + bias[c], for any feature magnitude
    (including a zero vector), before and after add_classes."""
    head = _head(inside, sol, kata_seed, 12, 4, scale=7.5)
    inside(sol).shift_parameters(head, kata_seed, 0.3)  # biases away from 0
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
                f"{exc}. R2: the logits are scale * cos(features, weight[c]) + bias[c], with the "
                f"cosine taken as 0 for a zero vector. With raw dot products a class trained "
                f"later grows a larger weight norm and wins on old samples."
            ) from None
        head.add_classes(3)


@pytest.mark.rules("R2")
def test_logits_ignore_feature_magnitude(sol, inside, kata_seed, torch_gen):
    """Scaling a feature vector by any positive factor leaves its logits unchanged."""
    head = _head(inside, sol, kata_seed, 16, 6)
    x = torch.randn(10, 16, generator=torch_gen)
    factor = 0.01 + 100 * torch.rand(10, 1, generator=torch_gen)
    try:
        assert_tensor(
            head(x * factor), head(x), what="head(c * features) vs head(features)", rtol=1e-4
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}. R2: the logits depend on the cosine only") from None


@pytest.mark.rules("R3")
def test_predict_proba_is_per_class_sigmoid(sol, inside, kata_seed, torch_gen):
    """predict_proba is sigmoid of each logit, independently per class."""
    head = _head(inside, sol, kata_seed, 8, 5)
    x = torch.randn(16, 8, generator=torch_gen)
    got = head.predict_proba(x)
    try:
        assert_tensor(got, torch.sigmoid(head(x)), what="predict_proba(features)", rtol=1e-5)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}. R3: each class's probability is the sigmoid of its own logit. {COUPLING}."
        ) from None


@pytest.mark.rules("R4")
def test_predict_ties_go_to_lowest_index(sol, inside, kata_seed):
    """A zero feature vector has cosine 0 with every class, so all logits equal the biases (0 at
    initialisation): predict returns class 0, also after add_classes."""
    head = _head(inside, sol, kata_seed, 8, 4)
    x = torch.zeros(3, 8)
    for stage in ("as built", "after add_classes(2)"):
        got = head.predict(x)
        assert type(got) is torch.Tensor and got.dtype == torch.int64, (
            f"predict returned {type(got).__name__} {getattr(got, 'dtype', '')}; R4: an int64 "
            f"tensor"
        )
        assert got.tolist() == [0, 0, 0], (
            f"predict(zero features) {stage} returned {got.tolist()} while every logit is equal; "
            f"R4: ties go to the lowest class index"
        )
        head.add_classes(2)


@pytest.mark.rules("R4")
def test_predict_is_argmax(sol, inside, kata_seed, torch_gen):
    """predict returns the class with the largest logit."""
    head = _head(inside, sol, kata_seed, 8, 6)
    x = torch.randn(40, 8, generator=torch_gen)
    got, logits = head.predict(x), head(x)
    want = logits.argmax(dim=1)
    assert type(got) is torch.Tensor and got.dtype == torch.int64 and got.shape == (40,), (
        f"predict(features (40, 8)) returned {type(got).__name__} "
        f"{getattr(got, 'dtype', '')} {tuple(getattr(got, 'shape', ()))}; R4: an int64 (B,) tensor"
    )
    wrong = int((got != want).sum())
    assert wrong == 0, (
        f"predict(features (40, 8)) disagrees with the largest logit on {wrong} of 40 rows (R4)"
    )


@pytest.mark.rules("R5")
def test_loss_matches_bce(sol, inside, kata_seed, torch_gen):
    """loss is the binary cross-entropy against one-hot targets, summed over classes and
    averaged over the batch, and its gradient is the oracle's."""
    head = _head(inside, sol, kata_seed, 8, 6)
    logits = 4 * torch.randn(10, 6, generator=torch_gen)
    targets = torch.randint(0, 6, (10,), generator=torch_gen)
    got, grad = inside(sol).loss_and_grad(head, logits, targets)
    onehot = F.one_hot(targets, 6).float()
    want_logits = logits.clone().requires_grad_(True)
    want = F.binary_cross_entropy_with_logits(want_logits, onehot, reduction="sum") / 10
    want.backward()
    hint = "R5: binary cross-entropy per class against the one-hot target, summed over the classes "
    hint += "and averaged over the batch"
    try:
        assert_tensor(got, want.detach(), what="loss(logits (10, 6), targets (10,))", rtol=1e-5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {hint}") from None
    if grad is None:
        raise AssertionError(
            "loss(logits, targets).backward() left no gradient on the logits; R5: the loss "
            "backpropagates to the logits"
        )
    try:
        assert_tensor(grad, want_logits.grad, what="d loss / d logits", rtol=1e-5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {hint}") from None


@pytest.mark.rules("R5")
def test_loss_counts_consolidated_classes(sol, inside, kata_seed, torch_gen):
    """After add_classes the loss still sums over every class, the consolidated ones included."""
    head = _head(inside, sol, kata_seed, 8, 3)
    head.add_classes(2)
    logits = 3 * torch.randn(6, 5, generator=torch_gen)
    targets = torch.tensor([3, 4, 3, 4, 0, 1])
    got, _ = inside(sol).loss_and_grad(head, logits, targets)
    want = F.binary_cross_entropy_with_logits(
        logits, F.one_hot(targets, 5).float(), reduction="sum"
    )
    assert_tensor(
        got, want / 6, what="loss(logits (6, 5), targets) after add_classes(2)", rtol=1e-5
    )


# -- adding classes -----------------------------------------------------------------------------


@pytest.mark.rules("R6")
def test_add_classes_keeps_old_probabilities(sol, inside, kata_seed, torch_gen):
    """Right after add_classes, the old classes' logits and probabilities are unchanged for any
    input, and the new classes are appended after them."""
    head = _head(inside, sol, kata_seed, 24, 6)
    x = torch.randn(50, 24, generator=torch_gen)
    logits, proba, weight = head(x), head.predict_proba(x), head.weight
    head.add_classes(4)
    assert head.num_classes == 10, (
        f"num_classes after add_classes(4) on 6 classes is {head.num_classes}; R6: it grows by k"
    )
    new_weight, new_bias = head.weight, head.bias
    assert tuple(new_weight.shape) == (10, 24) and tuple(new_bias.shape) == (10,), (
        f"after add_classes(4) on 6 classes, weight {tuple(new_weight.shape)} and bias "
        f"{tuple(new_bias.shape)}; R6: (10, 24) and (10,)"
    )
    assert_tensor(
        new_weight[:6], weight, what="weight[:6] after add_classes(4) (R6: new rows go last)"
    )
    new_proba = head.predict_proba(x)
    drift = (new_proba[:, :6] - proba).abs().max().item()
    if drift > 1e-5:
        raise AssertionError(
            f"add_classes(4) changed the old classes' probabilities by up to {drift:.3g} on the "
            f"same inputs (nothing was trained); R6: the old classes' outputs stay the same. "
            f"{COUPLING}."
        )
    assert_tensor(head(x)[:, :6], logits, what="old-class logits after add_classes(4)", rtol=1e-5)


@pytest.mark.rules("R7")
def test_old_classes_get_no_gradient(sol, inside, kata_seed, torch_gen):
    """After add_classes, optimiser steps on any loss built from the outputs leave the old
    classes' logits unchanged."""
    head = _head(inside, sol, kata_seed, 16, 3)
    x = torch.randn(30, 16, generator=torch_gen)
    old = head(x)
    head.add_classes(2)
    inside(sol).sgd_on_squares(head, x, 5, 0.5)
    drift = (head(x)[:, :3] - old).abs().max().item()
    assert drift <= 1e-5, (
        f"after add_classes(2) and 5 SGD steps over head.parameters() on sum(logits^2), the old "
        f"classes' logits moved by up to {drift:.3g}; R7: consolidated classes receive no "
        f"gradient and their outputs never change"
    )


@pytest.mark.rules("R7")
def test_new_task_training_keeps_old_probabilities(sol, stream_run):
    """Train task A, add 5 classes, train task B on new data only: the old classes'
    probabilities on task-A data are unchanged (tolerance 1e-5)."""
    run = stream_run
    at_add = (run.proba_after_add - run.proba_before).abs().max().item()
    drift = (run.proba_after - run.proba_before).abs().max().item()
    if drift > 1e-5:
        raise AssertionError(
            f"train task A, add_classes(5), train task B on new data only: the old classes' "
            f"probabilities on task-A samples moved by up to {drift:.3g} ({at_add:.3g} right "
            f"after add_classes, before any training on task B); R7: consolidated classes keep "
            f"their outputs forever. {COUPLING}."
        )


@pytest.mark.rules("R7")
def test_old_task_accuracy_after_new_task(sol, stream_run):
    """After task B (new data only), task-A samples are still classified correctly over all 10
    classes (accuracy >= 0.6), and task B is learned (accuracy >= 0.6)."""
    run = stream_run
    if run.acc_a < 0.6:
        raise AssertionError(
            f"after training the 5 new classes on new data only, accuracy on task A fell from "
            f"{run.acc_a_before:.2f} to {run.acc_a:.2f} over all 10 classes; "
            f"{run.share_a_as_new:.0%} of task-A samples are now predicted as a new class. "
            f"R7: training on new data only gives the old classes nothing but negatives; unless "
            f"they are consolidated, their logits are pushed down everywhere."
        )
    assert run.acc_b >= 0.6, (
        f"task B accuracy after training it is {run.acc_b:.2f}, expected >= 0.6 (the new classes "
        f"are trainable, R7)"
    )


@pytest.mark.rules("R8")
def test_added_classes_follow_dtype(sol, inside, kata_seed, torch_gen):
    """A head moved to float64 adds float64 classes and computes in float64."""
    head = inside(sol).to_dtype(_head(inside, sol, kata_seed, 8, 2), torch.float64)
    head.add_classes(3)
    dtypes = inside(sol).state_dtypes(head)
    assert dtypes == ["torch.float64"], (
        f"head.to(torch.float64) then add_classes(3): the head's floating tensors have dtypes "
        f"{dtypes}; R8: classes added later take the head's dtype"
    )
    x = torch.randn(4, 8, generator=torch_gen, dtype=torch.float64)
    out = head(x)
    assert_tensor(out, _oracle_logits(head, x), what="float64 logits after add_classes(3)")


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.rules("R6")
def test_add_classes_sequence_property(sol, inside, data):
    """Property: across any sequence of add_classes calls, num_classes and the logits grow by k
    and every earlier class's logits stay the same."""
    d = data.draw(st.integers(1, 12), label="D")
    c0 = data.draw(st.integers(1, 5), label="C0")
    ks = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4), label="ks")
    seed = data.draw(st.integers(0, 2**31), label="seed")
    x = torch.randn(7, d, generator=torch.Generator().manual_seed(seed))
    steps = inside(sol).logits_after_adds(seed, d, c0, ks, x)
    seen, n = steps[0]
    for k, (out, count) in zip(ks, steps[1:], strict=True):
        assert out.shape == (7, seen.shape[1] + k) and count == out.shape[1], (
            f"IncrementalHead({d}, {c0}) after add_classes({k}): logits {tuple(out.shape)}, "
            f"num_classes {count} (R6: both grow by k)"
        )
        assert torch.allclose(out[:, : seen.shape[1]], seen, rtol=1e-5, atol=1e-4), (
            f"IncrementalHead({d}, {c0}), add_classes for ks={ks}: add_classes({k}) changed the "
            f"earlier classes' logits (R6)"
        )
        seen = out


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.rules("R1")
@pytest.mark.parametrize(
    "args", [(0, 3), (4, 0), (4, 3, 0.0), (4, 3, -1.0)], ids=["D0", "C0", "scale0", "scale_neg"]
)
def test_bad_constructor_arguments(sol, args):
    """IncrementalHead raises ValueError for D < 1, C < 1 or scale <= 0."""
    with pytest.raises(ValueError):
        sol.IncrementalHead(*args)
        pytest.fail(f"IncrementalHead{args} returned instead of raising ValueError (R1)")


@pytest.mark.rules("R9")
def test_bad_call_arguments(sol, inside, kata_seed):
    """add_classes rejects k < 1; forward rejects a wrong feature size or integer features; loss
    rejects float targets, out-of-range targets and logits without one column per class."""
    head = _head(inside, sol, kata_seed, 4, 3)
    for k in (0, -2):
        with pytest.raises(ValueError):
            head.add_classes(k)
            pytest.fail(f"add_classes({k}) returned instead of raising ValueError (R9)")
    with pytest.raises(ValueError):
        head(torch.zeros(2, 5))
        pytest.fail("head(features (2, 5)) for D = 4 returned instead of raising ValueError (R9)")
    with pytest.raises(ValueError):
        head(torch.ones(2, 4, dtype=torch.int64))
        pytest.fail("head(int64 features (2, 4)) returned instead of raising ValueError (R9)")
    logits = torch.zeros(2, 3)
    with pytest.raises(TypeError):
        head.loss(logits, torch.tensor([0.0, 1.0]))
        pytest.fail("loss with float targets returned instead of raising TypeError (R9)")
    for bad in ([0, 3], [-1, 0]):
        with pytest.raises(ValueError):
            head.loss(logits, torch.tensor(bad))
            pytest.fail(f"loss with targets {bad} for C = 3 returned instead of raising "
                        f"ValueError (R9)")  # fmt: skip
    with pytest.raises(ValueError):
        head.loss(torch.zeros(2, 4), torch.tensor([0, 1]))
        pytest.fail("loss(logits (2, 4), targets) for C = 3 returned instead of raising "
                    "ValueError (R9)")  # fmt: skip
