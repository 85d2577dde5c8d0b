"""Hidden correctness tests of oov_embeddings.

Oracles: the same ids hashed in fresh contestant processes with other PYTHONHASHSEEDs,
chi-square uniformity (scipy), nn.Embedding's own initialisation under the same torch seed
(computed here), the quotient-remainder formula and the category fallback written here from the
module's own tables.
"""

import numpy as np
import pytest
import torch
from scipy import stats

from graders.checks import assert_tensor

SALT = (
    "R2: the bucket must be a function of (id, num_buckets, seed) alone, the same in every "
    "process; Python's built-in hash() of a str is salted per process (PYTHONHASHSEED, PEP 456), "
    "so every training job, serving replica and restart would see other buckets"
)


def _int64_vector(b, n: int, call: str) -> None:
    assert type(b) is torch.Tensor and b.dtype == torch.int64 and tuple(b.shape) == (n,), (
        f"{call} returned {type(b).__name__} "
        f"{getattr(b, 'dtype', '')} {tuple(getattr(b, 'shape', ()))}; "
        f"R1: an int64 tensor of shape ({n},)"
    )


@pytest.mark.rules("R1")
def test_bucket_ids_range_and_determinism(sol, random_ids):
    """bucket_ids is an int64 (N,) tensor in [0, num_buckets), repeatable; [] gives (0,)."""
    ids = random_ids(2000)
    b = sol.bucket_ids(ids, 1009, seed=5)
    _int64_vector(b, 2000, "bucket_ids(2000 ids, 1009, seed=5)")
    assert int(b.min()) >= 0 and int(b.max()) < 1009, (
        f"bucket_ids(2000 ids, 1009) returned buckets from {int(b.min())} to {int(b.max())}; "
        f"R1: every bucket lies in [0, 1009)"
    )
    assert torch.equal(b, sol.bucket_ids(ids, 1009, seed=5)), (
        "bucket_ids(2000 ids, 1009, seed=5) called twice gave different buckets; R1: repeatable"
    )
    one = sol.bucket_ids(ids[:5], 1, seed=2)
    _int64_vector(one, 5, "bucket_ids(5 ids, 1)")
    assert one.tolist() == [0] * 5, f"bucket_ids(5 ids, 1) returned {one.tolist()}; R1"
    try:
        empty = sol.bucket_ids([], 10)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(
            f"bucket_ids([], 10) raised {type(exc).__name__}: {exc}; R1: no ids give an empty "
            f"int64 tensor of shape (0,)"
        ) from None
    _int64_vector(empty, 0, "bucket_ids([], 10)")


@pytest.mark.rules("R5")
def test_seeds_give_unrelated_buckets(sol, random_ids):
    """Two seeds put about 1/num_buckets of the ids in the same bucket, no more."""
    ids = random_ids(4000)
    for s1, s2, m in ((5, 6, 1009), (0, 1, 64), (3, 1000, 97)):
        a = sol.bucket_ids(ids, m, seed=s1)
        b = sol.bucket_ids(ids, m, seed=s2)
        same = float((a == b).double().mean())
        assert same < 1 / m + 0.03, (
            f"bucket_ids(4000 ids, {m}) with seeds {s1} and {s2} put {same:.1%} of the ids in the "
            f"same bucket (chance: {1 / m:.1%}); R5: different seeds give unrelated assignments"
        )


@pytest.mark.rules("R4")
def test_bucket_ids_uniform(sol, random_ids):
    """Random ids and sequential ids ('item_0', 'item_1', ...) spread evenly over 64 and 97
    buckets (chi-square p-value above 1e-6)."""
    rand = random_ids(20000)
    sequential = [f"item_{i}" for i in range(20000)]
    for label, ids in (("random ids", rand), ("sequential ids item_0 .. item_19999", sequential)):
        for m in (64, 97):
            counts = np.bincount(sol.bucket_ids(ids, m, seed=0).numpy(), minlength=m)
            p = stats.chisquare(counts).pvalue
            if p < 1e-6:
                raise AssertionError(
                    f"bucket_ids({label}, {m}) is far from uniform: bucket counts from "
                    f"{counts.min()} to {counts.max()} (expected ~{20000 / m:.0f} each, chi-square "
                    f"p = {p:.2g}); R4: buckets are spread evenly, also for ids that differ in one "
                    f"character. Similar ids piled into few buckets share embeddings."
                )


@pytest.mark.rules("R2")
def test_same_buckets_in_other_processes(sol, inside, rng, random_ids, fresh_processes):
    """Two fresh Python processes with other PYTHONHASHSEEDs compute the same buckets, and
    (same torch seed) the same embeddings, for the same ids as the first process."""
    ids = random_ids(300)
    first = int(rng.integers(1, 2**31))
    hash_seeds = [first, first + int(rng.integers(1, 2**20))]
    seed = int(rng.integers(0, 1000))
    torch_seed = int(rng.integers(0, 2**31))
    tables = (32, 64, 7, 4)
    cats = torch.tensor(rng.integers(-1, 7, size=300))
    window = torch.tensor(rng.random(300) < 0.8)

    def run(module, drivers) -> tuple[list, torch.Tensor]:
        buckets = module.bucket_ids(ids, 1_000_003, seed=seed).tolist()
        drivers.manual_seed(torch_seed)
        emb = module.OOVEmbedding(*tables, seed=seed)
        return buckets, emb.embed(ids, cats, window).detach()

    base_buckets, base_embed = run(sol, inside(sol))
    others = fresh_processes(hash_seeds)
    for hs, (module, drivers) in zip(hash_seeds, others, strict=True):
        buckets, embed = run(module, drivers)
        differ = [i for i, (a, b) in enumerate(zip(base_buckets, buckets, strict=True)) if a != b]
        if differ:
            raise AssertionError(
                f"bucket_ids(300 ids, 1000003, seed={seed}) differs between two processes "
                f"(the second with PYTHONHASHSEED={hs}) for {len(differ)} of 300 ids; {SALT}"
            )
        if not torch.equal(embed, base_embed):
            raise AssertionError(
                f"embed() of the same ids with tables built under the same torch seed differs "
                f"between two processes (the second with PYTHONHASHSEED={hs}); {SALT}"
            )


@pytest.mark.rules("R3")
def test_buckets_independent_of_call_history(sol, random_ids, fresh_processes):
    """An id's bucket does not depend on which ids were hashed before or alongside it, nor on
    their order: the same process after unrelated traffic and in reverse order, and a fresh
    process, agree."""
    ids = random_ids(400)
    traffic = random_ids(2000)
    here = sol.bucket_ids(ids, 4096, seed=1).tolist()
    sol.bucket_ids(traffic, 4096, seed=1)
    again = sol.bucket_ids(ids[::-1], 4096, seed=1).tolist()[::-1]
    ((fresh, _),) = fresh_processes([0])
    first = fresh.bucket_ids(ids[200:] + ids[:200], 4096, seed=1).tolist()
    first = first[200:] + first[:200]
    for label, other in (("after 2000 other ids, in reverse order", again),
                         ("in a fresh process, in another order", first)):  # fmt: skip
        changed = sum(a != b for a, b in zip(here, other, strict=True))
        if changed:
            raise AssertionError(
                f"bucket_ids(400 ids, 4096, seed=1) gave {changed} of 400 ids another bucket "
                f"{label}; R3: the bucket is a function of the id alone. A vocabulary grown at "
                f"serving time depends on the order items arrive, differs between replicas and "
                f"grows without bound."
            )


@pytest.mark.rules("R7")
def test_tables_layout_init_and_fixed_size(sol, inside, kata_seed, random_ids):
    """The parameters are exactly quotient (Q, dim), remainder (R, dim) and category
    (categories + 1, dim), initialised by nn.Embedding from torch's global generator in that
    order, and they stay so after embedding many new ids."""
    inside(sol).manual_seed(kata_seed)
    emb = sol.OOVEmbedding(32, 16, 10, 8)
    shapes = {n: tuple(p.shape) for n, p in emb.named_parameters()}
    want = {"quotient.weight": (32, 8), "remainder.weight": (16, 8), "category.weight": (11, 8)}
    assert shapes == want, (
        f"OOVEmbedding(32, 16, 10, 8) has parameters {shapes}; R7: exactly {want}"
    )
    with torch.random.fork_rng():
        torch.manual_seed(kata_seed)
        expected = {
            "quotient.weight": torch.nn.Embedding(32, 8).weight.detach(),
            "remainder.weight": torch.nn.Embedding(16, 8).weight.detach(),
            "category.weight": torch.nn.Embedding(11, 8).weight.detach(),
        }
    got = dict(emb.state_dict())
    for name, table in expected.items():
        if name in got and not torch.equal(got[name], table):
            raise AssertionError(
                f"after torch.manual_seed(s), OOVEmbedding(32, 16, 10, 8).{name} is not the table "
                f"nn.Embedding would draw there; R7: the three tables are initialised by "
                f"nn.Embedding's default from torch's global generator, quotient, remainder, "
                f"category in that order"
            )
    ids = random_ids(3000)
    emb.embed(ids, torch.zeros(3000, dtype=torch.long), torch.ones(3000, dtype=torch.bool))
    after = {n: tuple(p.shape) for n, p in emb.named_parameters()}
    assert after == want, (
        f"after embedding 3000 new ids the parameters are {after}; R7: memory is fixed at "
        f"construction"
    )


@pytest.mark.rules("R8")
def test_quotient_remainder_layout(sol, torch_gen):
    """forward gives quotient[h // R] * remainder[h % R] for in-window items, for Q != R and
    Q == R, so distinct h in [0, Q * R) give distinct embeddings; N = 0 gives (0, dim)."""
    for Q, R in ((8, 32), (16, 16)):
        emb = sol.OOVEmbedding(Q, R, 5, 6)
        h = torch.randperm(Q * R, generator=torch_gen)[:100]
        cats = torch.randint(-1, 5, (100,), generator=torch_gen)
        out = emb(h, cats, torch.ones(100, dtype=torch.bool))
        want = emb.quotient.weight[h // R] * emb.remainder.weight[h % R]
        try:
            assert_tensor(
                out.detach(), want.detach(), what=f"forward(h, in_window) with Q={Q}, R={R}"
            )
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}; R8: an in-window item's row is quotient[h // R] * remainder[h % R]"
            ) from None
    empty = torch.zeros(0, dtype=torch.long)
    out = emb(empty, empty, torch.zeros(0, dtype=torch.bool))
    assert tuple(out.shape) == (0, 6), (
        f"forward on 0 items returned shape {tuple(out.shape)}; R8: (0, dim)"
    )


@pytest.mark.rules("R9")
def test_out_of_window_items_use_their_category(sol, torch_gen):
    """Items outside the window get their category's row, items of an unknown category (-1)
    the last, learned row of the category table, never a zero vector."""
    emb = sol.OOVEmbedding(16, 16, 6, 5)
    h = torch.randint(0, 256, (60,), generator=torch_gen)
    cats = torch.randint(-1, 6, (60,), generator=torch_gen)
    cats[:3] = -1
    cats[3:9] = torch.arange(6)
    window = torch.rand(60, generator=torch_gen) < 0.5
    window[:9] = False
    out = emb(h, cats, window).detach()
    rows = torch.where(cats < 0, 6, cats)
    want = torch.where(
        window[:, None],
        emb.quotient.weight[h // 16] * emb.remainder.weight[h % 16],
        emb.category.weight[rows],
    ).detach()
    zero_rows = int((out[~window].abs().sum(dim=1) == 0).sum())
    try:
        assert_tensor(out, want, what="forward(h, categories, in_window) with out-of-window items")
    except AssertionError as exc:
        seen = f" ({zero_rows} out-of-window items got the zero vector)" if zero_rows else ""
        raise AssertionError(
            f"{exc}{seen}; R9: an out-of-window item gets its category's row, the last "
            f"(unknown-category) row for -1. A fixed default puts every new item at the same "
            f"point, where the model can only score it from its bias."
        ) from None


@pytest.mark.rules("R10")
def test_gradients_reach_the_rows_used(sol, inside):
    """A loss on the embeddings sends gradients to the quotient/remainder rows of in-window
    items and to the category rows of the others, and to no other row."""
    emb = sol.OOVEmbedding(4, 8, 3, 5)
    h = torch.tensor([0, 9, 31, 5])
    cats = torch.tensor([0, -1, 2, 1])
    window = torch.tensor([True, False, True, False])
    grads = inside(sol).table_grads(emb, h, cats, window)
    want = {"quotient.weight": [0, 3], "remainder.weight": [0, 7], "category.weight": [1, 3]}
    for name, rows in want.items():
        g = grads.get(name)
        if g is None:
            raise AssertionError(
                f"forward(h, categories, in_window).sum().backward() left no gradient on {name}; "
                f"R10: gradients flow to the rows used"
            )
        got = sorted(torch.nonzero(g.abs().sum(1)).flatten().tolist())
        assert got == rows, (
            f"forward(h=[0, 9, 31, 5], categories=[0, -1, 2, 1], in_window=[T, F, T, F]).sum()"
            f".backward() gave a gradient to rows {got} of {name}; R10: gradients flow to the "
            f"rows used, and only to them"
        )


@pytest.mark.rules("R12")
def test_embed_hashes_with_the_modules_seed(sol, random_ids):
    """embed(ids, ...) equals forward(bucket_ids(ids, Q * R, seed=seed), ...) for a module
    built with a non-zero seed."""
    ids = random_ids(200)
    for seed in (7, 123):
        emb = sol.OOVEmbedding(16, 8, 4, 3, seed=seed)
        cats = torch.tensor([i % 5 - 1 for i in range(200)])
        window = torch.tensor([i % 3 != 0 for i in range(200)])
        got = emb.embed(ids, cats, window).detach()
        want = emb(sol.bucket_ids(ids, 128, seed=seed), cats, window).detach()
        if not torch.equal(got, want):
            raise AssertionError(
                f"OOVEmbedding(16, 8, 4, 3, seed={seed}).embed(200 ids, ...) differs from "
                f"forward(bucket_ids(ids, 128, seed={seed}), ...); R12: embed hashes with the "
                f"module's seed into Q * R buckets"
            )


@pytest.mark.rules("R6")
def test_bucket_ids_errors(sol):
    """bucket_ids raises TypeError for a str or a non-str id, ValueError for a bad bucket
    count or seed."""
    cases = [
        ("bucket_ids('item', 10)", TypeError, lambda: sol.bucket_ids("item", 10)),
        ("bucket_ids(['a', 3], 10)", TypeError, lambda: sol.bucket_ids(["a", 3], 10)),
        ("bucket_ids(['a', None], 10)", TypeError, lambda: sol.bucket_ids(["a", None], 10)),
        ("bucket_ids(['a'], 0)", ValueError, lambda: sol.bucket_ids(["a"], 0)),
        ("bucket_ids(['a'], 2.0)", ValueError, lambda: sol.bucket_ids(["a"], 2.0)),
        ("bucket_ids(['a'], True)", ValueError, lambda: sol.bucket_ids(["a"], True)),
        ("bucket_ids(['a'], 10, seed=-1)", ValueError, lambda: sol.bucket_ids(["a"], 10, seed=-1)),
        ("bucket_ids(['a'], 10, seed=1.0)", ValueError,
         lambda: sol.bucket_ids(["a"], 10, seed=1.0)),
    ]  # fmt: skip
    for label, error, call in cases:
        try:
            out = call()
        except error:
            continue
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(
                f"{label} raised {type(exc).__name__}; R6: it raises {error.__name__}"
            ) from None
        raise AssertionError(
            f"{label} returned {type(out).__name__} instead of raising {error.__name__}; R6"
        )


@pytest.mark.rules("R11")
def test_module_errors(sol):
    """OOVEmbedding and forward raise ValueError for bad sizes, shapes, dtypes and
    out-of-range values."""
    emb = sol.OOVEmbedding(4, 4, 3, 2)
    ok_c, ok_w = torch.tensor([0, 1]), torch.tensor([True, False])
    cases = [
        ("OOVEmbedding(0, 4, 3, 2)", lambda: sol.OOVEmbedding(0, 4, 3, 2)),
        ("OOVEmbedding(4, 4, 3, 0)", lambda: sol.OOVEmbedding(4, 4, 3, 0)),
        ("OOVEmbedding(4, 4, 0, 2)", lambda: sol.OOVEmbedding(4, 4, 0, 2)),
        ("OOVEmbedding(4, 4, 3, 2, seed=-1)", lambda: sol.OOVEmbedding(4, 4, 3, 2, seed=-1)),
        ("forward(bucket 16 with Q*R=16)", lambda: emb(torch.tensor([0, 16]), ok_c, ok_w)),
        ("forward(bucket -1)", lambda: emb(torch.tensor([-1, 0]), ok_c, ok_w)),
        ("forward(category 3 of 3)", lambda: emb(torch.tensor([0, 1]), torch.tensor([0, 3]), ok_w)),
        ("forward(category -2)", lambda: emb(torch.tensor([0, 1]), torch.tensor([-2, 0]), ok_w)),
        ("forward(float buckets)", lambda: emb(torch.tensor([0.0, 1.0]), ok_c, ok_w)),
        ("forward(bool buckets)", lambda: emb(torch.tensor([False, True]), ok_c, ok_w)),
        ("forward(float categories)", lambda: emb(torch.tensor([0, 1]), torch.tensor([0.0, 1.0]), ok_w)),
        ("forward(in_window not bool)", lambda: emb(torch.tensor([0, 1]), ok_c, torch.tensor([1, 0]))),
        ("forward(3 categories for 2 items)",
         lambda: emb(torch.tensor([0, 1]), torch.tensor([0, 1, 2]), ok_w)),
        ("forward(2-D buckets)", lambda: emb(torch.tensor([[0, 1]]), ok_c, ok_w)),
    ]  # fmt: skip
    for label, call in cases:
        try:
            out = call()
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"{label} raised {type(exc).__name__}; R11: ValueError") from None
        raise AssertionError(
            f"{label} returned {type(out).__name__} instead of raising ValueError; R11"
        )
