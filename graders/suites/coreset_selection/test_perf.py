"""Hidden performance gates of coreset_selection (ratios measured by the judge, graders.perf).

n = 10**4 points, d = 64, k = 100 (the production 10**5 x 64 with k = 500 takes about 20 s per
call). Two kinds of gate:

- against the suite's baseline.py, a plain O(n k d) solution (a running vector of each point's
  squared distance to its nearest centre, updated with direct float64 differences to the newest
  centre only): within 3x, for k_center_greedy and select_batch;
- complexity by scaling: k_center_greedy at k = 100 within 20x its time at k = 10 (O(n k d)
  grows 10x; recomputing the distances to every centre at each step, O(n k^2 d), grows about
  50-100x even with a fast matrix product).

Answers are checked against the baseline first and on a random call of every timed block, and
every timed call gets fresh features (a random scale of one of four random sets).
"""

import pytest
import torch

N, D, K = 10_000, 64, 100
HINT = (
    "R10: O(n k d): each point's distance to its nearest centre is a running vector, updated "
    "with the distances to the newest centre only"
)


def _maker(torch_gen, with_logits, k=K):
    feats = torch.randn(4, N, D, generator=torch_gen)
    logits = torch.randn(4, N, 10, generator=torch_gen)

    def make():
        i = int(torch.randint(0, 4, (1,), generator=torch_gen))
        x = feats[i] * (0.5 + torch.rand((), generator=torch_gen))
        return (logits[i], x, k) if with_logits else (x, k)

    return make


def _same(got, want, args):
    assert type(got) is torch.Tensor and got.tolist() == want.tolist(), (
        f"the picks on a timed input (n={N}, d={D}, k={args[-1]}) are wrong (R3-R8); R10 counts "
        f"only right answers"
    )


@pytest.mark.perf
@pytest.mark.rules("R10")
def test_k_center_greedy_vs_plain(sol, baseline, perf, torch_gen):
    """k_center_greedy(n=10**4, d=64, k=100) runs within 3x a plain O(n k d) solution."""
    perf.compare(
        sol.k_center_greedy, baseline.k_center_greedy, _maker(torch_gen, False), bound=3.0,
        check=_same, what="k_center_greedy time / plain O(n k d) time (n=10**4, d=64, k=100)",
        hint=HINT,
    )  # fmt: skip


@pytest.mark.perf
@pytest.mark.rules("R10")
def test_k_center_greedy_linear_in_k(sol, baseline, perf, torch_gen):
    """k_center_greedy at k = 100 takes at most 20x its time at k = 10 (n=10**4, d=64)."""
    small, large = _maker(torch_gen, False, 10), _maker(torch_gen, False, 100)

    def check(args, out):
        _same(out, baseline.k_center_greedy(*args), args)

    perf.scaling(
        sol.k_center_greedy, small, large, bound=20.0, check=check,
        what="k_center_greedy time at k=100 / time at k=10 (n=10**4, d=64)", hint=HINT,
    )  # fmt: skip


@pytest.mark.perf
@pytest.mark.rules("R10")
def test_select_batch_vs_plain(sol, baseline, perf, torch_gen):
    """select_batch(n=10**4, d=64, k=100, default pool of 1000) runs within 3x a plain
    O(n k d) solution."""
    perf.compare(
        sol.select_batch, baseline.select_batch, _maker(torch_gen, True), bound=3.0, check=_same,
        what="select_batch time / plain O(n k d) time (n=10**4, d=64, k=100, pool 1000)",
        hint=HINT,
    )  # fmt: skip
