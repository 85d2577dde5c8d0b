"""Hidden performance gate of oov_embeddings (a ratio measured by the judge, graders.perf).

forward on 10**5 hashed ids (the statement's target is 10**6 per batch; 10**5 keeps one call
near 10 ms) within 3x a plain vectorised forward (the suite's baseline.py, same tables). The
answer is checked against that baseline first and on a random call of every timed block; every
timed call gets fresh buckets, categories and window flags.
"""

import pytest
import torch

N, Q, R, CATS, DIM = 100_000, 1024, 1024, 1000, 16


@pytest.mark.perf
@pytest.mark.rules("R13")
def test_forward_vectorised(sol, baseline, perf, torch_gen):
    """forward(10**5 buckets) runs within 3x a plain vectorised forward (same tables)."""
    mine = sol.OOVEmbedding(Q, R, CATS, DIM)
    plain = baseline.PlainOOV(Q, R, CATS, DIM)
    plain.load_state_dict(mine.state_dict())
    pool = torch.randint(0, Q * R, (4 * N,), generator=torch_gen)
    cats_pool = torch.randint(-1, CATS, (4 * N,), generator=torch_gen)
    window_pool = torch.rand(4 * N, generator=torch_gen) < 0.9

    def make():
        start = int(torch.randint(0, 3 * N, (1,), generator=torch_gen))
        return pool[start : start + N], cats_pool[start : start + N], window_pool[start : start + N]

    def check(got, want, args):
        assert type(got) is torch.Tensor and tuple(got.shape) == (N, DIM), (
            f"forward(10**5 ids) returned {type(got).__name__} {tuple(getattr(got, 'shape', ()))}"
            f"; R13 counts only right answers: (N, dim)"
        )
        assert torch.equal(got.detach(), want.detach()), (
            "forward(10**5 ids) differs from the quotient-remainder formula with the category "
            "fallback (R8, R9); R13 counts only right answers"
        )

    perf.compare(
        mine, plain, make, bound=3.0, check=check,
        what="forward time / plain vectorised forward time (10**5 ids, Q = R = 1024, dim 16)",
        hint="R13: forward must be vectorised over the batch",
    )  # fmt: skip
