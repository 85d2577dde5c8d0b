"""Style A: one shared greedy kernel over a candidate matrix (running min-distance vector with a
-1 sentinel for used points); entropy via log_softmax; labelled distances by chunked cdist."""

from __future__ import annotations

import torch


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_features(features) -> torch.Tensor:
    if not isinstance(features, torch.Tensor) or features.dim() != 2 or not features.is_floating_point():
        raise ValueError("features must be a 2-D floating tensor")
    return features.to(torch.float64)


def _check_labelled(labelled, n: int) -> torch.Tensor:
    if labelled is None:
        return torch.zeros(0, dtype=torch.int64)
    if (
        not isinstance(labelled, torch.Tensor)
        or labelled.dim() != 1
        or labelled.dtype == torch.bool
        or labelled.is_floating_point()
        or labelled.is_complex()
    ):
        raise ValueError("labelled must be a 1-D integer tensor")
    lab = labelled.to(torch.int64).cpu()
    if lab.numel():
        if int(lab.min()) < 0 or int(lab.max()) >= n:
            raise ValueError("labelled index out of range")
        if torch.unique(lab).numel() != lab.numel():
            raise ValueError("labelled indices must be distinct")
    return lab


def _min_dist_to(points: torch.Tensor, centres: torch.Tensor, chunk: int = 1024) -> torch.Tensor:
    """Distance of every row of points to its nearest row of centres (+inf when none)."""
    best = torch.full((points.shape[0],), float("inf"), dtype=torch.float64)
    for s in range(0, centres.shape[0], chunk):
        d = torch.cdist(points, centres[s:s + chunk], compute_mode="donot_use_mm_for_euclid_dist")
        best = torch.minimum(best, d.min(dim=1).values)
    return best


def _greedy(cand: torch.Tensor, centres: torch.Tensor, k: int) -> torch.Tensor:
    """k-center greedy over the rows of cand (float64), starting from the given centres.

    Returns positions into cand, in pick order; ties go to the lowest position.
    """
    mind = _min_dist_to(cand, centres) if centres.shape[0] else torch.full(
        (cand.shape[0],), float("inf"), dtype=torch.float64
    )
    picks = torch.empty(k, dtype=torch.int64)
    for j in range(k):
        i = int(torch.argmax(mind))  # first maximum = lowest index
        picks[j] = i
        d = torch.linalg.vector_norm(cand - cand[i], dim=1)
        mind = torch.minimum(mind, d)
        mind[i] = -1.0  # used: never the maximum again (all distances are >= 0)
    return picks


def predictive_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of softmax(logits) per row, in nats, as float64."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or not logits.is_floating_point():
        raise ValueError("logits must be a 2-D floating tensor")
    if logits.shape[1] == 0:
        raise ValueError("logits have zero classes")
    x = logits.to(torch.float64)
    if torch.isnan(x).any() or (x == float("inf")).any():
        raise ValueError("logits contain NaN or +inf")
    if x.shape[0] and not torch.isfinite(x).any(dim=1).all():
        raise ValueError("a row has only -inf logits")
    logp = torch.log_softmax(x, dim=1)
    p = logp.exp()
    terms = torch.where(p > 0, p * logp, torch.zeros_like(p))
    return (-terms.sum(dim=1)).clamp_min(0.0)


def k_center_greedy(
    features: torch.Tensor, k: int, *, labelled: torch.Tensor | None = None
) -> torch.Tensor:
    """k-center greedy (Sener & Savarese 2018)."""
    x = _check_features(features)
    n = x.shape[0]
    lab = _check_labelled(labelled, n)
    if not _is_int(k) or not 1 <= k <= n - lab.numel():
        raise ValueError("k must be an int in [1, n - len(labelled)]")
    x = x.cpu()
    if not lab.numel():
        return _greedy(x, x[:0], k)
    # labelled points must never be picked: run over the unlabelled ones only, mapped back
    free = torch.ones(n, dtype=torch.bool)
    free[lab] = False
    pos = torch.nonzero(free).view(-1)
    return pos[_greedy(x[pos], x[lab], k)]


def select_batch(
    logits: torch.Tensor,
    features: torch.Tensor,
    k: int,
    *,
    labelled: torch.Tensor | None = None,
    pool_size: int | None = None,
) -> torch.Tensor:
    """A labelling batch that is uncertain (entropy pool) and diverse (k-center greedy)."""
    ent = predictive_entropy(logits).cpu()
    x = _check_features(features).cpu()
    n = x.shape[0]
    if ent.shape[0] != n:
        raise ValueError("logits and features disagree on n")
    lab = _check_labelled(labelled, n)
    n_free = n - lab.numel()
    if not _is_int(k) or not 1 <= k <= n_free:
        raise ValueError("k must be an int in [1, number of unlabelled points]")
    if pool_size is None:
        pool_size = min(n_free, 10 * k)
    elif not _is_int(pool_size) or not k <= pool_size <= n_free:
        raise ValueError("pool_size must be an int in [k, number of unlabelled points]")
    free = torch.ones(n, dtype=torch.bool)
    free[lab] = False
    free_idx = torch.nonzero(free).view(-1)  # ascending index
    order = torch.sort(ent[free_idx], descending=True, stable=True).indices
    cand = free_idx[order[:pool_size]]  # decreasing entropy, ties: lower index first
    return cand[_greedy(x[cand], x[lab], k)]
