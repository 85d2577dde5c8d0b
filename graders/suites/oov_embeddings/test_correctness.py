"""Hidden correctness tests of oov_embeddings.

Oracles: the same ids hashed in separate Python processes with different PYTHONHASHSEED,
chi-square uniformity (scipy), the quotient-remainder formula and the category fallback written
here from the module's own tables.
"""

import numpy as np
import pytest
import torch
from scipy import stats

from graders.checks import assert_tensor

SALT = (
    "Python's hash() of a str is salted per process (PYTHONHASHSEED, PEP 456): every "
    "training job, serving replica and restart would put the same item in a different bucket, "
    "so the served embedding is not the trained one. Use a stable hash of the id's bytes "
    "(hashlib.blake2b / md5 / sha1, zlib.crc32 ...)."
)


def test_bucket_ids_range_and_determinism(sol, random_ids):
    """bucket_ids is int64 in [0, num_buckets), repeatable, and another seed gives another
    assignment."""
    ids = random_ids(2000)
    b = sol.bucket_ids(ids, 1009, seed=5)
    assert type(b) is torch.Tensor and b.dtype == torch.int64 and b.shape == (2000,), (
        f"bucket_ids returned {b!r:.80}, expected an int64 tensor of shape (2000,)"
    )
    assert int(b.min()) >= 0 and int(b.max()) < 1009, (
        f"buckets outside [0, 1009): {int(b.min())} .. {int(b.max())}"
    )
    assert torch.equal(b, sol.bucket_ids(ids, 1009, seed=5)), "bucket_ids is not repeatable"
    other = sol.bucket_ids(ids, 1009, seed=6)
    same = float((other == b).double().mean())
    assert same < 0.05, (
        f"seeds 5 and 6 put {same:.0%} of the ids in the same bucket: the seed must select the hash"
    )


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
                    f"p = {p:.2g}). A hash that is stable but weak (sum of bytes, the id's "
                    f"digits) piles similar ids into few buckets, and they share embeddings."
                )


def test_same_buckets_in_other_processes(sol, rng, random_ids, run_in_process):
    """Two fresh Python processes with different PYTHONHASHSEED compute the same buckets and the
    same embeddings for the same ids as this process."""
    ids = random_ids(300)
    first = int(rng.integers(1, 2**31))
    hash_seeds = [first, first + int(rng.integers(1, 2**20))]
    job = {
        "ids": ids, "num_buckets": 1_000_003, "seed": int(rng.integers(0, 1000)),
        "torch_seed": int(rng.integers(0, 2**31)), "tables": [32, 64, 7, 4],
        "categories": [int(c) for c in rng.integers(-1, 7, size=300)],
        "in_window": [bool(v) for v in rng.random(300) < 0.8],
    }  # fmt: skip
    here_buckets = sol.bucket_ids(ids, job["num_buckets"], seed=job["seed"]).tolist()
    torch.manual_seed(job["torch_seed"])
    emb = sol.OOVEmbedding(*job["tables"], seed=job["seed"])
    with torch.no_grad():
        here_embed = emb.embed(
            ids, torch.tensor(job["categories"]), torch.tensor(job["in_window"])
        ).tolist()
    results = run_in_process(job, hash_seeds)
    runs = [("this process", here_buckets, here_embed)] + [
        (f"a process with PYTHONHASHSEED={hs}", r["buckets"], r["embed"])
        for hs, r in zip(hash_seeds, results, strict=True)
    ]
    base_label, base_buckets, base_embed = runs[0]
    for label, buckets, embed in runs[1:]:
        differ = [i for i, (a, b) in enumerate(zip(base_buckets, buckets, strict=True)) if a != b]
        if differ:
            i = differ[0]
            raise AssertionError(
                f"bucket_ids(300 ids, 1000003) differs between {base_label} and {label} for "
                f"{len(differ)} of 300 ids (e.g. {ids[i]!r}: {base_buckets[i]} vs {buckets[i]}). {SALT}"
            )
        if embed != base_embed:
            raise AssertionError(
                f"embed() of the same ids with the same tables differs between {base_label} and "
                f"{label}. {SALT}"
            )


def test_embedding_independent_of_call_history(sol, rng, random_ids, run_in_process):
    """An id's bucket does not depend on which ids were hashed before or alongside it: two
    processes with the same PYTHONHASHSEED, one hashing unrelated traffic first and the ids in
    reverse order, agree with each other and with this process."""
    ids = random_ids(400)
    traffic = random_ids(2000)
    base = {
        "ids": ids, "num_buckets": 4096, "seed": 1, "torch_seed": 0, "tables": [8, 8, 3, 2],
        "categories": [0] * 400, "in_window": [True] * 400,
    }  # fmt: skip
    hs = int(rng.integers(1, 2**31))
    plain, busy = run_in_process([base, dict(base, traffic=traffic, reverse=True)], [hs, hs])
    here = sol.bucket_ids(ids, 4096, seed=1).tolist()
    sol.bucket_ids(traffic, 4096, seed=1)
    again = sol.bucket_ids(ids[::-1], 4096, seed=1).tolist()[::-1]
    if not (plain["buckets"] == busy["buckets"] and here == again):
        raise AssertionError(
            "bucket_ids of the same ids changed with the call history (unrelated ids hashed "
            "before, another order). An id-to-row vocabulary grown at serving time depends on "
            "the order items arrive, differs between replicas and grows without bound; the bucket "
            "must be a function of the id alone."
        )


def test_quotient_remainder_layout(sol, kata_seed, torch_gen):
    """forward gives quotient[h // R] * remainder[h % R] for in-window items, for Q != R and
    Q == R, and distinct h give distinct embeddings."""
    for Q, R in ((8, 32), (16, 16)):
        torch.manual_seed(kata_seed)
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
                f"{exc}. Quotient-remainder: q = h // R and r = h % R are complementary, so every h "
                f"in [0, Q * R) has its own (q, r) pair; h % Q with h % R is not (with Q == R it "
                f"only ever uses the Q pairs q == r)."
            ) from None


def test_out_of_window_items_use_their_category(sol, kata_seed, torch_gen):
    """Items outside the window get their category's row, items of an unknown category (-1)
    the last, learned row of the category table, never a zero vector."""
    torch.manual_seed(kata_seed)
    emb = sol.OOVEmbedding(16, 16, 6, 5)
    h = torch.randint(0, 256, (60,), generator=torch_gen)
    cats = torch.randint(-1, 6, (60,), generator=torch_gen)
    cats[:3] = -1
    window = torch.rand(60, generator=torch_gen) < 0.5
    window[:6] = False
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
        hint = (
            f" {zero_rows} out-of-window items got the zero vector: a fixed default puts every new "
            f"item at the same point, where the model can only score it from its bias. Fall back to "
            f"the item's category embedding (the unknown-category row for -1), which is trained."
            if zero_rows
            else ""
        )
        raise AssertionError(f"{exc}.{hint}") from None


def test_gradients_reach_the_rows_used(sol, kata_seed, torch_gen):
    """A loss on the embeddings sends gradients to the quotient/remainder rows of in-window
    items and to the category rows of the others."""
    torch.manual_seed(kata_seed)
    emb = sol.OOVEmbedding(4, 8, 3, 5)
    h = torch.tensor([0, 9, 31, 5])
    cats = torch.tensor([0, -1, 2, 1])
    window = torch.tensor([True, False, True, False])
    emb(h, cats, window).sum().backward()
    q, r, c = emb.quotient.weight.grad, emb.remainder.weight.grad, emb.category.weight.grad
    assert q is not None and r is not None and c is not None, "no gradient reached a table"
    assert sorted(torch.nonzero(q.abs().sum(1)).flatten().tolist()) == [0, 3], (
        "quotient rows with a gradient"
    )
    assert sorted(torch.nonzero(r.abs().sum(1)).flatten().tolist()) == [0, 7], (
        "remainder rows with a gradient"
    )
    assert sorted(torch.nonzero(c.abs().sum(1)).flatten().tolist()) == [1, 3], (
        "category rows with a gradient: expected row 1 and the unknown row 3"
    )


def test_tables_have_fixed_size(sol, kata_seed, random_ids):
    """The parameters are exactly the three tables, (Q + R + categories + 1) x dim, and stay
    so after embedding many new ids."""
    torch.manual_seed(kata_seed)
    emb = sol.OOVEmbedding(32, 16, 10, 8)
    shapes = {n: tuple(p.shape) for n, p in emb.named_parameters()}
    want = {"quotient.weight": (32, 8), "remainder.weight": (16, 8), "category.weight": (11, 8)}
    assert shapes == want, f"parameters {shapes}, expected {want}"
    ids = random_ids(3000)
    emb.embed(ids, torch.zeros(3000, dtype=torch.long), torch.ones(3000, dtype=torch.bool))
    after = {n: tuple(p.shape) for n, p in emb.named_parameters()}
    assert after == want, f"after embedding 3000 new ids the parameters are {after}"


def test_bad_arguments(sol):
    """Bad ids, bucket counts, table sizes, shapes and out-of-range values raise."""
    with pytest.raises(TypeError):
        sol.bucket_ids("item", 10)
        pytest.fail("bucket_ids('item', 10) returned instead of raising TypeError")
    with pytest.raises(TypeError):
        sol.bucket_ids(["a", 3], 10)
        pytest.fail("bucket_ids(['a', 3], 10) returned instead of raising TypeError")
    emb = sol.OOVEmbedding(4, 4, 3, 2)
    ok_c, ok_w = torch.tensor([0, 1]), torch.tensor([True, False])
    cases = [
        ("bucket_ids(ids, 0)", lambda: sol.bucket_ids(["a"], 0)),
        ("bucket_ids(ids, 10, seed=-1)", lambda: sol.bucket_ids(["a"], 10, seed=-1)),
        ("OOVEmbedding(0, 4, 3, 2)", lambda: sol.OOVEmbedding(0, 4, 3, 2)),
        ("OOVEmbedding(4, 4, 3, 0)", lambda: sol.OOVEmbedding(4, 4, 3, 0)),
        ("forward(bucket 16 with Q*R=16)", lambda: emb(torch.tensor([0, 16]), ok_c, ok_w)),
        ("forward(bucket -1)", lambda: emb(torch.tensor([-1, 0]), ok_c, ok_w)),
        ("forward(category 3 of 3)", lambda: emb(torch.tensor([0, 1]), torch.tensor([0, 3]), ok_w)),
        ("forward(category -2)", lambda: emb(torch.tensor([0, 1]), torch.tensor([-2, 0]), ok_w)),
        ("forward(float buckets)", lambda: emb(torch.tensor([0.0, 1.0]), ok_c, ok_w)),
        (
            "forward(in_window not bool)",
            lambda: emb(torch.tensor([0, 1]), ok_c, torch.tensor([1, 0])),
        ),
        (
            "forward(3 categories for 2 items)",
            lambda: emb(torch.tensor([0, 1]), torch.tensor([0, 1, 2]), ok_w),
        ),
    ]
    for label, call in cases:
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"{label} returned instead of raising ValueError")
