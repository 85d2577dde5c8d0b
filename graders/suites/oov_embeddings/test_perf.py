"""Hidden performance gate of oov_embeddings (a ratio in one process, graders.perf).

forward on 10**5 hashed ids (the statement's target is 10**6 per batch; 10**5 keeps one call
near 10 ms here) within 3x the reference. The answer is checked against the quotient-remainder
formula first, and every timed call gets fresh buckets, categories and window flags.
"""

import pytest
import torch

N, Q, R, CATS, DIM = 100_000, 1024, 1024, 1000, 16


@pytest.mark.perf
def test_forward_vectorised(sol, ref, perf, kata_seed, torch_gen):
    """forward(10**5 buckets) runs within 3x the reference's time (same tables)."""
    torch.manual_seed(kata_seed)
    mine = sol.OOVEmbedding(Q, R, CATS, DIM)
    theirs = ref.OOVEmbedding(Q, R, CATS, DIM)
    theirs.load_state_dict(mine.state_dict())
    pool = torch.randint(0, Q * R, (4 * N,), generator=torch_gen)
    cats_pool = torch.randint(-1, CATS, (4 * N,), generator=torch_gen)
    window_pool = torch.rand(4 * N, generator=torch_gen) < 0.9

    def make():
        start = int(torch.randint(0, 3 * N, (1,), generator=torch_gen))
        return pool[start : start + N], cats_pool[start : start + N], window_pool[start : start + N]

    def check(got, want, args):
        assert type(got) is torch.Tensor and got.shape == (N, DIM), f"forward returned {got!r:.80}"
        assert torch.equal(got.detach(), want.detach()), (
            "forward differs from the quotient-remainder formula"
        )

    with torch.no_grad():
        perf.compare(
            mine, theirs, make, bound=3.0, check=check,
            what="forward time / reference time (10**5 ids, Q = R = 1024, dim 16)",
            hint="gather whole tensors: quotient(h // R) * remainder(h % R), torch.where for the fallback; no loop over items",
        )  # fmt: skip
