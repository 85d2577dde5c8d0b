"""Hidden correctness tests of clip_contrastive_loss.

Oracle: the statement's formula recomputed in float64 (conftest.py), with float64 autograd for
the gradients; closed-form properties (swap symmetry, permutation and row-scale invariance).
Gradient checks run their backward pass in the sandbox (inside.py).
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.checks import assert_raises_value_error

F64 = torch.float64
TOL = {torch.float64: 1e-8, torch.float32: 1e-4}

BOTH_DIRECTIONS = (
    "R1: CLIP's loss is symmetric: the mean of the image->text cross-entropy over rows and the "
    "text->image cross-entropy over columns; with only one direction, the text encoder never "
    "learns to reject the wrong images"
)
NORMALISED = (
    "R2: the logits are cosine similarities times the scale: each row is L2-normalised first, "
    "so the encoders cannot lower the loss by inflating norms"
)


def _scalar(x, call: str, dtype=F64) -> float:
    if type(x) is not torch.Tensor:
        raise AssertionError(f"{call} returned {type(x).__name__}, expected a 0-dim tensor (R6)")
    if x.dim() != 0:
        raise AssertionError(f"{call} returned shape {tuple(x.shape)}, expected 0-dim (R6)")
    if x.dtype != dtype:
        raise AssertionError(f"{call} returned {x.dtype} for {dtype} inputs (R6)")
    return float(x)


def _close(got: float, want: float, tol: float) -> bool:
    return math.isfinite(got) and abs(got - want) <= tol * max(1.0, abs(want)) + tol * abs(want)


def _check_grad(got, want: torch.Tensor, tol: float, what: str, rule: str) -> None:
    if got is None:
        raise AssertionError(f"{what}: no gradient arrived; {rule}")
    got = got.detach().to(F64)
    if tuple(got.shape) != tuple(want.shape):
        raise AssertionError(f"{what}: gradient of shape {tuple(got.shape)}; {rule}")
    if not bool(torch.isfinite(got).all()):
        raise AssertionError(f"{what}: the gradient holds NaN or infinity; {rule}")
    allowed = tol * max(1.0, float(want.abs().max())) + tol * want.abs()
    err = (got - want).abs()
    if bool((err > allowed).any()):
        worst = int(torch.argmax(err - allowed))
        raise AssertionError(
            f"{what}: {int((err > allowed).sum())} of {err.numel()} gradient entries wrong, worst "
            f"got {got.reshape(-1)[worst]:.6g}, expected {want.reshape(-1)[worst]:.6g}; {rule}"
        )


def _is_zero(g) -> bool:
    return g is None or not bool(g.detach().ne(0).any())


# -- clip_loss: the value ------------------------------------------------------------------------


@pytest.mark.rules("R1", "R2")
def test_loss_matches_oracle(sol, torch_gen, make_batch, clip_oracle):
    """Random float64 batches (norms 0.3 to 3, scales 1 to 60) match the float64 formula."""
    for n, d in ((7, 5), (12, 16), (3, 3)):
        image = make_batch(torch_gen, n, d)
        text = make_batch(torch_gen, n, d)
        ls = math.log(1.0 + 59.0 * float(torch.rand((), generator=torch_gen)))
        call = f"clip_loss(image ({n}, {d}), text ({n}, {d}), logit_scale=log({math.exp(ls):.3g}))"
        got = _scalar(sol.clip_loss(image, text, torch.tensor(ls, dtype=F64)), call)
        want = clip_oracle(image, text, ls)
        if not _close(got, want.loss, TOL[F64]):
            raise AssertionError(
                f"{call} returned {got:.10g}, expected {want.loss:.10g}; R1 (symmetric InfoNCE, "
                f"mean over the N pairs) with R2 (normalised rows)"
            )


@pytest.mark.rules("R1")
def test_both_directions_count(sol, torch_gen, make_batch, clip_oracle):
    """Images clustered around one direction, texts spread out (the two directions' losses
    differ by more than the loss itself): the loss is their mean, and swapping images and
    texts leaves it unchanged."""
    n, d = 8, 6
    spread = make_batch(torch_gen, n, d, norms=(1.0, 1.0))
    centre = make_batch(torch_gen, 1, d, norms=(1.0, 1.0))
    image = (centre + 0.15 * spread) * make_batch(torch_gen, n, 1, norms=(1.0, 3.0)).abs()
    text = spread + 0.1 * make_batch(torch_gen, n, d)
    ls = math.log(20.0)
    want = clip_oracle(image, text, ls)
    assert abs(want.loss_image - want.loss_text) > 0.5 * want.loss  # the trap is in the input
    scale = torch.tensor(ls, dtype=F64)
    call = "clip_loss(clustered image (8, 6), spread text (8, 6), logit_scale=log(20))"
    got = _scalar(sol.clip_loss(image, text, scale), call)
    swapped = _scalar(sol.clip_loss(text, image, scale), call + " with the arguments swapped")
    if not _close(got, want.loss, TOL[F64]) or not _close(swapped, want.loss, TOL[F64]):
        raise AssertionError(
            f"{call} returned {got:.6g}, and {swapped:.6g} with images and texts swapped; the "
            f"image->text direction alone is {want.loss_image:.6g}, text->image alone "
            f"{want.loss_text:.6g}. {BOTH_DIRECTIONS}"
        )


@pytest.mark.rules("R1")
def test_loss_properties(sol, kata_seed, make_batch, clip_oracle):
    """Hypothesis (N from 1 to 6): the formula, invariance under swapping images and texts,
    and under one permutation of the pairs applied to both."""

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=True, database=None)  # fmt: skip
    @given(n=st.integers(1, 6), d=st.integers(2, 5), seed=st.integers(0, 2**31 - 1),
           ls=st.floats(-2.0, 4.0))  # fmt: skip
    def check(n, d, seed, ls):
        gen = torch.Generator().manual_seed(seed ^ (kata_seed & 0x7FFFFFFF))
        image = make_batch(gen, n, d, norms=(0.1, 10.0))
        text = make_batch(gen, n, d, norms=(0.1, 10.0))
        perm = torch.randperm(n, generator=gen)
        scale = torch.tensor(ls, dtype=F64)
        want = clip_oracle(image, text, ls).loss
        call = f"clip_loss(image ({n}, {d}), text ({n}, {d}), logit_scale={ls:.4g})"
        got = _scalar(sol.clip_loss(image, text, scale), call)
        swapped = _scalar(sol.clip_loss(text, image, scale), call + " swapped")
        permuted = _scalar(sol.clip_loss(image[perm], text[perm], scale), call + " permuted")
        for label, value in (("", got), (" with images and texts swapped", swapped),
                             (" with the pairs permuted", permuted)):  # fmt: skip
            if not _close(value, want, TOL[F64]):
                raise AssertionError(
                    f"{call}{label} returned {value:.10g}, expected {want:.10g}; {BOTH_DIRECTIONS}"
                    f" (the positive of pair i is index i, mean over the N pairs)"
                )

    check()


@pytest.mark.rules("R2")
def test_row_norms_do_not_matter(sol, torch_gen, make_batch, clip_oracle):
    """Rows with norms from 0.01 to 100 give the loss of the same rows normalised."""
    n, d = 9, 7
    image = make_batch(torch_gen, n, d, norms=(0.01, 100.0))
    text = make_batch(torch_gen, n, d, norms=(0.01, 100.0))
    ls = math.log(15.0)
    scale = torch.tensor(ls, dtype=F64)
    unit_i = image / image.norm(dim=1, keepdim=True)
    unit_t = text / text.norm(dim=1, keepdim=True)
    want = clip_oracle(unit_i, unit_t, ls).loss
    call = "clip_loss(image (9, 7), text (9, 7), row norms 0.01 to 100, logit_scale=log(15))"
    got = _scalar(sol.clip_loss(image, text, scale), call)
    unit = _scalar(sol.clip_loss(unit_i, unit_t, scale), call + " on the normalised rows")
    if not _close(got, want, TOL[F64]) or not _close(unit, want, TOL[F64]):
        raise AssertionError(
            f"{call} returned {got:.6g}; on the same rows normalised to norm 1 it returned "
            f"{unit:.6g}; expected {want:.6g} for both. {NORMALISED}"
        )


# -- clip_loss: the scale ------------------------------------------------------------------------


@pytest.mark.rules("R3")
def test_scale_is_clamped_above_only(sol, torch_gen, make_batch, clip_oracle):
    """s = min(exp(logit_scale), max_scale): above the bound, at a custom bound, and below 1
    (no lower bound)."""
    image = make_batch(torch_gen, 6, 5)
    text = make_batch(torch_gen, 6, 5)
    cases = (
        (math.log(300.0), 100.0, "exp(logit_scale) = 300 > max_scale = 100"),
        (math.log(50.0), 30.0, "exp(logit_scale) = 50 > max_scale = 30"),
        (math.log(12.0), 30.0, "exp(logit_scale) = 12 < max_scale = 30"),
        (-1.5, 100.0, "logit_scale = -1.5 (scale 0.22, below 1)"),
    )
    for ls, max_scale, label in cases:
        call = f"clip_loss(image (6, 5), text (6, 5), {label})"
        got = _scalar(
            sol.clip_loss(image, text, torch.tensor(ls, dtype=F64), max_scale=max_scale), call
        )
        want = clip_oracle(image, text, ls, max_scale).loss
        if not _close(got, want, TOL[F64]):
            raise AssertionError(
                f"{call} returned {got:.8g}, expected {want:.8g}; R3: the scale is "
                f"min(exp(logit_scale), max_scale), with no lower bound"
            )


@pytest.mark.rules("R3")
def test_logit_scale_gradient(sol, inside, torch_gen, make_batch, clip_oracle):
    """d loss / d logit_scale is exp(logit_scale) * d loss / d s below the bound, and 0 above
    it (the scale is then a constant)."""
    image = make_batch(torch_gen, 7, 6)
    text = make_batch(torch_gen, 7, 6)
    below = math.log(uniform_between(torch_gen, 2.0, 80.0))
    cases = ((below, 100.0), (math.log(10.0), 20.0), (math.log(400.0), 100.0),
             (math.log(40.0), 20.0))  # fmt: skip
    for ls, max_scale in cases:
        out = inside(sol).loss_and_grads(image, text, torch.tensor(ls, dtype=F64), max_scale)
        want = clip_oracle(image, text, ls, max_scale).logit_scale
        got = out["logit_scale"]
        call = (
            f"clip_loss(...) with exp(logit_scale) = {math.exp(ls):.3g}, max_scale = "
            f"{max_scale:g}, then backward()"
        )
        if math.exp(ls) > max_scale:
            if not _is_zero(got):
                raise AssertionError(
                    f"{call} gave logit_scale the gradient {float(got):.6g}; R3: above the bound "
                    f"the scale is the constant max_scale, the gradient is 0"
                )
            continue
        if got is None or not _close(float(got), want, TOL[F64]):
            shown = "no gradient" if got is None else f"the gradient {float(got):.6g}"
            raise AssertionError(
                f"{call} gave logit_scale {shown}, expected {want:.6g}; R3: below the bound the "
                f"temperature is learned: the loss must backpropagate through exp(logit_scale) "
                f"(a scale computed as a Python number, or under no_grad, never learns)"
            )


def uniform_between(gen, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=gen, dtype=F64))


# -- clip_loss: gradients, float32, the result ---------------------------------------------------


@pytest.mark.rules("R4")
def test_embedding_gradients(sol, inside, torch_gen, make_batch, clip_oracle):
    """The gradients of both embedding tensors match float64 autograd of the formula
    (normalisation included)."""
    n, d = 8, 6
    image = make_batch(torch_gen, n, d, norms=(0.2, 5.0))
    text = make_batch(torch_gen, n, d, norms=(0.2, 5.0))
    ls = math.log(uniform_between(torch_gen, 5.0, 50.0))
    out = inside(sol).loss_and_grads(image, text, torch.tensor(ls, dtype=F64))
    want = clip_oracle(image, text, ls)
    for name in ("image", "text"):
        _check_grad(
            out[name], getattr(want, name), TOL[F64],
            f"clip_loss(image ({n}, {d}), text ({n}, {d})) then backward(): {name}_emb.grad",
            "R4: the gradient of the loss of R1 with the rows normalised as in R2 (the norms "
            "are part of the graph)",
        )  # fmt: skip


@pytest.mark.rules("R5")
def test_float32_hard_batch(sol, inside, torch_gen, make_batch, clip_oracle):
    """float32 at scale 100 and 90, where a positive pair is anti-aligned and a negative pair
    coincides (logits 200 apart in one row): finite and accurate loss and gradients."""
    n, d = 6, 8
    image = make_batch(torch_gen, n, d, norms=(0.5, 2.0))
    text = make_batch(torch_gen, n, d, norms=(0.5, 2.0))
    text[0] = -2.0 * image[0]  # the positive of pair 0 points the other way
    text[1] = 0.7 * image[0]  # and a negative of image 0 coincides with it
    text[3] = -0.5 * image[3]
    image, text = image.float(), text.float()
    for ls in (math.log(100.0) + 0.5, math.log(90.0)):
        call = f"clip_loss(float32 image (6, 8), text (6, 8), scale {min(math.exp(ls), 100):.3g})"
        out = inside(sol).loss_and_grads(image, text, torch.tensor(ls, dtype=torch.float32))
        got = _scalar(out["loss"], call, torch.float32)
        want = clip_oracle(image, text, ls)
        if not _close(got, want.loss, TOL[torch.float32]):
            raise AssertionError(
                f"{call} with an anti-aligned positive pair returned {got:.6g}, expected "
                f"{want.loss:.6g}; R5: the log of a softmax computed as one log-sum-exp; a "
                f"probability of exp(-200) underflows to 0 in float32"
            )
        for name in ("image", "text"):
            _check_grad(out[name], getattr(want, name), TOL[torch.float32],
                        f"{call} then backward(): {name}_emb.grad", "R5")  # fmt: skip


@pytest.mark.rules("R6")
def test_result_and_arguments(sol, torch_gen, make_batch):
    """A 0-dim tensor of the input dtype (float32 and float64); the embeddings, logit_scale
    and the gathered lists are left unchanged."""
    for dtype in (torch.float32, F64):
        image = make_batch(torch_gen, 5, 4, dtype=dtype)
        text = make_batch(torch_gen, 5, 4, dtype=dtype)
        scale = torch.tensor(math.log(500.0), dtype=dtype)  # above the bound
        before = (image.clone(), text.clone(), scale.clone())
        name = str(dtype).replace("torch.", "")
        call = f"clip_loss({name} image (5, 4), text (5, 4), logit_scale=log(500))"
        _scalar(sol.clip_loss(image, text, scale), call, dtype)
        for label, now, then in zip(("image_emb", "text_emb", "logit_scale"),
                                    (image, text, scale), before, strict=True):  # fmt: skip
            assert torch.equal(now, then), f"{call} modified {label}; R6: no argument is modified"
    images = [make_batch(torch_gen, k, 4) for k in (2, 3)]
    texts = [make_batch(torch_gen, k, 4) for k in (2, 3)]
    scale = torch.tensor(math.log(500.0), dtype=F64)
    copies = ([t.clone() for t in images], [t.clone() for t in texts], scale.clone())
    call = "clip_loss_shard(rank 1 of 2 shards of 2 and 3 pairs, logit_scale=log(500))"
    _scalar(sol.clip_loss_shard(images[1], texts[1], images, texts, 1, scale), call)
    same = all(torch.equal(a, b) for a, b in zip(images + texts, copies[0] + copies[1],
                                                 strict=True))  # fmt: skip
    assert same and torch.equal(scale, copies[2]), f"{call} modified an argument; R6"


@pytest.mark.rules("R7")
def test_bad_arguments(sol, make_batch):
    """ValueError for non-2-D or mismatched embeddings, an empty batch, a rank out of range
    (negative included, and rank == S), lists of different lengths, a wrong local shape."""
    gen = torch.Generator().manual_seed(3)
    scale = torch.tensor(1.0, dtype=F64)
    x = make_batch(gen, 4, 3)
    shards_i = [make_batch(gen, k, 3) for k in (2, 2, 1)]
    shards_t = [make_batch(gen, k, 3) for k in (2, 2, 1)]
    cases = (
        ("clip_loss(image (4, 3, 1), text (4, 3, 1))",
         lambda: sol.clip_loss(x[..., None], x[..., None], scale)),
        ("clip_loss(image (4, 3), text (4,))", lambda: sol.clip_loss(x, x[:, 0], scale)),
        ("clip_loss(image (4, 3), text (3, 3))", lambda: sol.clip_loss(x, x[:3], scale)),
        ("clip_loss(image (0, 3), text (0, 3))", lambda: sol.clip_loss(x[:0], x[:0], scale)),
        ("clip_loss_shard(rank=3 of 3 shards)",
         lambda: sol.clip_loss_shard(shards_i[2], shards_t[2], shards_i, shards_t, 3, scale)),
        ("clip_loss_shard(rank=-1 of 3 shards)",
         lambda: sol.clip_loss_shard(shards_i[2], shards_t[2], shards_i, shards_t, -1, scale)),
        ("clip_loss_shard(3 image shards, 2 text shards)",
         lambda: sol.clip_loss_shard(shards_i[0], shards_t[0], shards_i, shards_t[:2], 0, scale)),
        ("clip_loss_shard(rank 2, image_local (2, 3) but image_gathered[2] (1, 3))",
         lambda: sol.clip_loss_shard(shards_i[0], shards_t[2], shards_i, shards_t, 2, scale)),
    )  # fmt: skip
    for what, call in cases:
        assert_raises_value_error(call, what, "R7")


# -- clip_loss_shard -----------------------------------------------------------------------------


def _shards(gen, make_batch, sizes, d=5):
    return [make_batch(gen, k, d) for k in sizes], [make_batch(gen, k, d) for k in sizes]


@pytest.mark.rules("R8")
def test_every_rank_returns_the_unsharded_loss(sol, torch_gen, make_batch, clip_oracle):
    """S = 2 to 4 ranks with shards of different sizes: every rank returns the loss of the
    whole concatenated batch."""
    for sizes in ((3, 1), (2, 4, 1), (1, 3, 2, 2)):
        images, texts = _shards(torch_gen, make_batch, sizes)
        ls = math.log(uniform_between(torch_gen, 3.0, 40.0))
        want = clip_oracle(torch.cat(images), torch.cat(texts), ls).loss
        for rank in range(len(sizes)):
            call = f"clip_loss_shard(rank {rank} of shards of sizes {list(sizes)})"
            got = _scalar(sol.clip_loss_shard(images[rank], texts[rank], images, texts, rank,
                                              torch.tensor(ls, dtype=F64)), call)  # fmt: skip
            if not _close(got, want, TOL[F64]):
                raise AssertionError(
                    f"{call} returned {got:.8g}, expected {want:.8g} (the loss of all "
                    f"{sum(sizes)} pairs); R8: every rank computes the unsharded loss, all "
                    f"N x N logits in both directions, not only its own rows"
                )


@pytest.mark.rules("R9")
def test_shard_gradients(sol, inside, torch_gen, make_batch, clip_oracle):
    """Each rank's backward gives its local embeddings and logit_scale the unsharded loss's
    gradients, and nothing to the gathered tensors (which require grad here)."""
    sizes = (2, 3, 1)
    images, texts = _shards(torch_gen, make_batch, sizes)
    ls = math.log(uniform_between(torch_gen, 3.0, 40.0))
    want = clip_oracle(torch.cat(images), torch.cat(texts), ls)
    offsets = [0, 2, 5, 6]
    for rank in range(len(sizes)):
        out = inside(sol).shard_grads(images, texts, rank, torch.tensor(ls, dtype=F64))
        call = f"clip_loss_shard(rank {rank} of shards of sizes {list(sizes)}) then backward()"
        for kind in ("image", "text"):
            grads = out[f"{kind}_gathered"]
            leaked = [q for q, g in enumerate(grads) if not _is_zero(g)]
            if leaked:
                raise AssertionError(
                    f"{call}: gradient reached {kind}_gathered[{leaked[0]}]; R9: the gathered "
                    f"embeddings are constants, as all_gather's outputs are: a rank's loss must "
                    f"not backpropagate into other ranks' embeddings (summed over ranks, they "
                    f"would get their gradient S times)"
                )
            rows = getattr(want, kind)[offsets[rank] : offsets[rank + 1]]
            _check_grad(
                out[f"{kind}_local"], rows, TOL[F64], f"{call}: {kind}_local.grad",
                "R9: the local embeddings stand in their shard's place and get the unsharded "
                "loss's gradient of those rows",
            )  # fmt: skip
        got = out["logit_scale"]
        if got is None or not _close(float(got), want.logit_scale, TOL[F64]):
            shown = "no gradient" if got is None else f"{float(got):.6g}"
            raise AssertionError(
                f"{call}: logit_scale.grad is {shown}, expected {want.logit_scale:.6g}; R9"
            )
