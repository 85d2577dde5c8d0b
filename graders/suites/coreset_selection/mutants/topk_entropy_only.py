# kills: test_correctness.py::test_select_batch_diversity,test_correctness.py::test_select_batch_exact
"""Mutant: the textbook uncertainty loop: the k highest-entropy unlabelled points, no diversity."""

from __future__ import annotations

import torch


def predictive_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of softmax(logits) per row, in nats, float64."""
    if not torch.is_tensor(logits) or not logits.is_floating_point() or logits.dim() != 2:
        raise ValueError("logits must be a floating tensor of shape (n, C)")
    if logits.shape[1] < 1:
        raise ValueError("logits need at least one class")
    z = logits.double()
    if bool(torch.isnan(z).any()) or bool((z == float("inf")).any()):
        raise ValueError("logits must not hold NaN or +inf")
    if z.shape[0] and bool(torch.isneginf(z).all(dim=1).any()):
        raise ValueError("every row needs at least one finite logit")
    logp = torch.log_softmax(z, dim=1)
    p = logp.exp()
    return -torch.where(p > 0, p * logp, torch.zeros_like(p)).sum(dim=1)


def _features(features: torch.Tensor) -> torch.Tensor:
    if not torch.is_tensor(features) or not features.is_floating_point() or features.dim() != 2:
        raise ValueError("features must be a floating tensor of shape (n, d)")
    return features.double()


def _indices(labelled, n: int, device) -> torch.Tensor:
    if labelled is None:
        return torch.zeros(0, dtype=torch.int64, device=device)
    idx = torch.as_tensor(labelled, device=device)
    if idx.dtype.is_floating_point or idx.dtype == torch.bool or idx.dim() != 1:
        raise ValueError("labelled must be a 1-D integer tensor of indices")
    idx = idx.long()
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise ValueError(f"labelled indices must lie in [0, {n})")
    if idx.unique().numel() != idx.numel():
        raise ValueError("labelled indices must be distinct")
    return idx


def _sq_dist(x: torch.Tensor, norms: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Squared distances of every row of x to the points c (m, d): (n, m), clamped at 0."""
    return (norms[:, None] - 2.0 * (x @ c.T) + (c * c).sum(dim=1)[None, :]).clamp_min_(0.0)


def _greedy(x: torch.Tensor, k: int, nearest: torch.Tensor | None) -> torch.Tensor:
    """k-center greedy over the rows of x. ``nearest``: each row's squared distance to the
    initial centres (None: no initial centre, the first pick is row 0)."""
    n = x.shape[0]
    norms = (x * x).sum(dim=1)
    picks = torch.empty(k, dtype=torch.int64, device=x.device)
    taken = torch.zeros(n, dtype=torch.bool, device=x.device)
    if nearest is None:
        nearest = torch.full((n,), float("inf"), dtype=x.dtype, device=x.device)
    else:
        nearest = nearest.clone()
    for t in range(k):
        if t == 0 and bool(torch.isinf(nearest).all()):
            i = 0
        else:
            i = int(torch.argmax(nearest.masked_fill(taken, -1.0)))  # first max: lowest index
        picks[t] = i
        taken[i] = True
        # squared distances to the newest centre only: |x|^2 - 2 x.c + |c|^2
        dist = torch.addmv(norms, x, x[i], alpha=-2.0).add_(norms[i]).clamp_min_(0.0)
        torch.minimum(nearest, dist, out=nearest)
    return picks


def k_center_greedy(
    features: torch.Tensor, k: int, *, labelled: torch.Tensor | None = None
) -> torch.Tensor:
    """Indices of k points chosen by k-center greedy (Sener & Savarese 2018), in pick order."""
    x = _features(features)
    n = x.shape[0]
    lab = _indices(labelled, n, x.device)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1 or k > n - lab.numel():
        raise ValueError(f"k must be an int in [1, {n - lab.numel()}], got {k!r}")
    if lab.numel() == 0:
        return _greedy(x, k, None)
    nearest = _sq_dist(x, (x * x).sum(dim=1), x[lab]).min(dim=1).values
    nearest[lab] = 0.0
    rest = torch.ones(n, dtype=torch.bool, device=x.device)
    rest[lab] = False
    keep = torch.nonzero(rest).flatten()
    return keep[_greedy(x[keep], k, nearest[keep])]


def select_batch(
    logits: torch.Tensor,
    features: torch.Tensor,
    k: int,
    *,
    labelled: torch.Tensor | None = None,
    pool_size: int | None = None,
) -> torch.Tensor:
    """k diverse, uncertain points: k-center greedy over the pool_size most uncertain ones."""
    x = _features(features)
    n = x.shape[0]
    if not torch.is_tensor(logits) or logits.dim() != 2 or logits.shape[0] != n:
        raise ValueError("logits must have shape (n, C) with the features' n")
    entropy = predictive_entropy(logits).to(x.device)
    lab = _indices(labelled, n, x.device)
    free = n - lab.numel()
    if not isinstance(k, int) or isinstance(k, bool) or k < 1 or k > free:
        raise ValueError(f"k must be an int in [1, {free}], got {k!r}")
    if pool_size is None:
        pool_size = min(free, 10 * k)
    if not isinstance(pool_size, int) or isinstance(pool_size, bool) or not k <= pool_size <= free:
        raise ValueError(f"pool_size must be an int in [{k}, {free}], got {pool_size!r}")
    score = entropy.clone()
    score[lab] = -1.0  # never a candidate
    # descending entropy, ties by ascending index (a stable sort of the negated scores)
    order = torch.sort(-score, stable=True).indices[:pool_size]
    return order[:k]
