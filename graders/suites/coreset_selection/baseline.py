"""The bar of the coreset_selection performance gates: a plain O(n k d) k-center greedy (a
running vector of each point's squared distance to its nearest centre, updated with direct
float64 differences to the newest centre), with the statement's argument checks. Visible only
in the baseline sandbox."""

import torch


def _check(features, k, labelled):
    if not torch.is_tensor(features) or features.dim() != 2 or not features.is_floating_point():
        raise ValueError("features")
    x = features.double()
    lab = torch.zeros(0, dtype=torch.int64) if labelled is None else labelled.long()
    if lab.numel() and (
        lab.min() < 0 or lab.max() >= x.shape[0] or lab.unique().numel() != lab.numel()
    ):
        raise ValueError("labelled")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= x.shape[0] - lab.numel():
        raise ValueError("k")
    return x, lab


def _greedy(x, k, nearest):
    n = x.shape[0]
    first_is_zero = nearest is None
    if nearest is None:
        nearest = torch.full((n,), float("inf"), dtype=torch.float64)
    taken = torch.zeros(n, dtype=torch.bool)
    picks = []
    for t in range(k):
        i = 0 if t == 0 and first_is_zero else int(torch.argmax(nearest.masked_fill(taken, -1.0)))
        picks.append(i)
        taken[i] = True
        nearest = torch.minimum(nearest, ((x - x[i]) ** 2).sum(dim=1))
    return torch.tensor(picks, dtype=torch.int64)


def _to_labelled(x, rows, lab):
    return torch.stack([((x[rows] - x[j]) ** 2).sum(dim=1) for j in lab.tolist()]).min(dim=0).values


def k_center_greedy(features, k, *, labelled=None):
    x, lab = _check(features, k, labelled)
    if lab.numel() == 0:
        return _greedy(x, k, None)
    rest = torch.ones(x.shape[0], dtype=torch.bool)
    rest[lab] = False
    keep = torch.nonzero(rest).flatten()
    return keep[_greedy(x[keep], k, _to_labelled(x, keep, lab))]


def predictive_entropy(logits):
    if not torch.is_tensor(logits) or logits.dim() != 2 or not logits.is_floating_point():
        raise ValueError("logits")
    z = logits.double()
    if torch.isnan(z).any() or torch.isposinf(z).any() or torch.isneginf(z).all(dim=1).any():
        raise ValueError("logits")
    logp = torch.log_softmax(z, dim=1)
    p = logp.exp()
    return -torch.where(p > 0, p * logp, torch.zeros_like(p)).sum(dim=1)


def select_batch(logits, features, k, *, labelled=None, pool_size=None):
    x, lab = _check(features, k, labelled)
    h = predictive_entropy(logits)
    if h.shape[0] != x.shape[0]:
        raise ValueError("n")
    free = x.shape[0] - lab.numel()
    pool_size = min(free, 10 * k) if pool_size is None else pool_size
    if isinstance(pool_size, bool) or not isinstance(pool_size, int) or not k <= pool_size <= free:
        raise ValueError("pool_size")
    h = h.clone()
    h[lab] = -1.0
    cand = torch.sort(-h, stable=True).indices[:pool_size]
    if lab.numel() == 0:
        return cand[_greedy(x[cand], k, None)]
    return cand[_greedy(x[cand], k, _to_labelled(x, cand, lab))]
