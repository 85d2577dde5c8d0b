"""Style B: k_center_greedy is the single engine (explicit 'taken' mask, einsum sum-of-squares
distances); select_batch reorders the candidates first and appends the labelled points as
initial centres, so its tie rule becomes the engine's lowest-index rule. Entropy via
logsumexp(z) - sum p z."""

from __future__ import annotations

import torch

_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def _need_int(v, lo: int, hi: int, what: str) -> int:
    if type(v) is bool or not isinstance(v, int) or not lo <= v <= hi:
        raise ValueError(f"{what} must be an int in [{lo}, {hi}]")
    return v


def _float_matrix(t, what: str) -> torch.Tensor:
    if not torch.is_tensor(t) or t.ndim != 2 or not torch.is_floating_point(t):
        raise ValueError(f"{what} must be a 2-D floating tensor")
    return t.detach().to(device="cpu", dtype=torch.float64)


def _index_vector(labelled, n: int) -> torch.Tensor:
    if labelled is None:
        return torch.empty(0, dtype=torch.int64)
    if not torch.is_tensor(labelled) or labelled.ndim != 1 or labelled.dtype not in _INT_DTYPES:
        raise ValueError("labelled must be a 1-D integer tensor")
    idx = labelled.detach().to(device="cpu", dtype=torch.int64)
    if ((idx < 0) | (idx >= n)).any():
        raise ValueError("labelled indices must lie in [0, n)")
    srt = torch.sort(idx).values
    if (srt[1:] == srt[:-1]).any():
        raise ValueError("labelled indices must be distinct")
    return idx


def predictive_entropy(logits: torch.Tensor) -> torch.Tensor:
    """H = log Z - sum_c p_c z_c with z = logits - max, Z = sum exp z (masked classes skipped)."""
    z = _float_matrix(logits, "logits")
    if z.shape[1] == 0:
        raise ValueError("zero classes")
    if torch.isnan(z).any() or torch.isposinf(z).any():
        raise ValueError("NaN or +inf logit")
    finite = torch.isfinite(z)
    if not finite.any(dim=1).all():
        raise ValueError("a row of only -inf")
    if z.shape[0] == 0:
        return torch.empty(0, dtype=torch.float64)
    z = z - z.max(dim=1, keepdim=True).values
    e = torch.exp(z)
    sum_e = e.sum(dim=1)
    p = e / sum_e[:, None]
    pz = torch.where(p > 0, p * z, torch.zeros((), dtype=torch.float64))
    h = torch.log(sum_e) - pz.sum(dim=1)
    return torch.clamp(h, min=0.0)


def k_center_greedy(
    features: torch.Tensor, k: int, *, labelled: torch.Tensor | None = None
) -> torch.Tensor:
    """k-center greedy: repeatedly take the point farthest from its nearest centre."""
    x = _float_matrix(features, "features")
    n = x.shape[0]
    lab = _index_vector(labelled, n)
    _need_int(k, 1, n - lab.numel(), "k")
    taken = torch.zeros(n, dtype=torch.bool)
    taken[lab] = True
    nearest = torch.full((n,), float("inf"), dtype=torch.float64)
    block = max(1, (1 << 22) // max(1, n * x.shape[1]))  # bounded memory
    for s in range(0, lab.numel(), block):  # nearest labelled centre, a block at a time
        c = x[lab[s:s + block]]
        diff = x[:, None, :] - c[None, :, :]
        d = torch.einsum("ijk,ijk->ij", diff, diff).sqrt()
        nearest = torch.minimum(nearest, d.min(dim=1).values)
    out = []
    neg_inf = torch.tensor(float("-inf"), dtype=torch.float64)
    for _ in range(k):
        score = torch.where(taken, neg_inf, nearest)
        i = int(score.argmax())  # first maximum: lowest index
        out.append(i)
        taken[i] = True
        diff = x - x[i]
        nearest = torch.minimum(nearest, torch.einsum("ij,ij->i", diff, diff).sqrt())
    return torch.tensor(out, dtype=torch.int64)


def select_batch(
    logits: torch.Tensor,
    features: torch.Tensor,
    k: int,
    *,
    labelled: torch.Tensor | None = None,
    pool_size: int | None = None,
) -> torch.Tensor:
    """Entropy pool of the most uncertain unlabelled points, then k-center greedy over it."""
    h = predictive_entropy(logits)
    x = _float_matrix(features, "features")
    n = x.shape[0]
    if h.shape[0] != n:
        raise ValueError("logits and features disagree on n")
    lab = _index_vector(labelled, n)
    n_free = n - lab.numel()
    _need_int(k, 1, n_free, "k")
    if pool_size is None:
        pool_size = min(n_free, 10 * k)
    else:
        _need_int(pool_size, k, n_free, "pool_size")
    is_lab = torch.zeros(n, dtype=torch.bool)
    is_lab[lab] = True
    # lexicographic key: labelled last, then decreasing entropy, then increasing index
    idx = torch.arange(n)
    by_index = idx  # already ascending
    by_entropy = by_index[torch.sort(-h[by_index], stable=True).indices]
    by_label = by_entropy[torch.sort(is_lab[by_entropy].to(torch.int8), stable=True).indices]
    cand = by_label[:pool_size]
    # candidates first (in candidate order), then every labelled point as an initial centre
    sub = torch.cat([cand, lab])
    local = torch.arange(pool_size, pool_size + lab.numel(), dtype=torch.int64)
    picks = k_center_greedy(x[sub], k, labelled=local)
    return sub[picks]
