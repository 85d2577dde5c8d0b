"""Style A: the intent is kept already decayed to the latest accepted click time (a moving
anchor); late clicks are folded in with a decay factor <= 1; rerank uses argpartition + lexsort."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np


def _real(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a real number")
    return float(value)


def _finite_time(t):
    t = _real(t, "t")
    if not math.isfinite(t):
        raise ValueError("t must be finite")
    return t


class SessionReranker:
    """Session intent as an exponentially decayed sum of clicked embeddings, and reranking."""

    def __init__(self, dim: int, half_life_s: float, weight: float, max_lateness_s: float):
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, Integral) or dim < 1:
            raise ValueError("dim must be a positive int")
        half_life_s = _real(half_life_s, "half_life_s")
        if not (math.isfinite(half_life_s) and half_life_s > 0):
            raise ValueError("half_life_s must be > 0 and finite")
        weight = _real(weight, "weight")
        if not math.isfinite(weight):
            raise ValueError("weight must be finite")
        max_lateness_s = _real(max_lateness_s, "max_lateness_s")
        if not max_lateness_s >= 0:  # rejects NaN too
            raise ValueError("max_lateness_s must be >= 0")
        self.dim = int(dim)
        self.half_life_s = half_life_s
        self.weight = weight
        self.max_lateness_s = max_lateness_s
        self._lam = math.log(2.0) / half_life_s
        self._state = np.zeros(self.dim, dtype=np.float64)  # intent at time self._latest
        self._latest: float | None = None

    def _embedding(self, embedding):
        try:
            e = np.asarray(embedding, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError("embedding must be numeric") from exc
        if e.shape != (self.dim,):
            raise ValueError(f"embedding must have shape ({self.dim},)")
        if not np.isfinite(e).all():
            raise ValueError("embedding must be finite")
        return e

    def click(self, embedding, t: float) -> bool:
        """Record a click at time t; False (and no change) if more than max_lateness_s late."""
        e = self._embedding(embedding)
        t = _finite_time(t)
        if self._latest is None:
            self._state = e.copy()
            self._latest = t
            return True
        if t < self._latest - self.max_lateness_s:
            return False
        if t >= self._latest:
            # move the anchor forward: decay what we have, then add the new click at weight 1
            factor = math.exp(-self._lam * (t - self._latest))
            self._state = self._state * factor + e
            self._latest = t
        else:
            # late click: it is older than the anchor, so its weight at the anchor is < 1
            self._state = self._state + math.exp(-self._lam * (self._latest - t)) * e
        return True

    def intent(self, t: float) -> np.ndarray:
        """``sum_i exp(-ln2 / half_life * (t - t_i)) e_i`` over accepted clicks, float64 (dim,)."""
        t = _finite_time(t)
        if self._latest is None:
            return np.zeros(self.dim, dtype=np.float64)
        if t < self._latest:
            raise ValueError("t is before the latest accepted click")
        return self._state * math.exp(-self._lam * (t - self._latest))

    def scores(self, batch_scores, candidate_embeddings, t: float) -> np.ndarray:
        """``batch_scores + weight * candidate_embeddings @ intent(t)``, float64 (n,)."""
        try:
            b = np.asarray(batch_scores, dtype=np.float64)
            c = np.asarray(candidate_embeddings, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError("scores and embeddings must be numeric") from exc
        if b.ndim != 1 or c.ndim != 2 or c.shape != (b.shape[0], self.dim):
            raise ValueError("expected batch_scores (n,) and candidate_embeddings (n, dim)")
        return b + self.weight * (c @ self.intent(t))

    def rerank(self, batch_scores, candidate_embeddings, t: float, k: int) -> np.ndarray:
        """Indices (int64, (k,)) of the k best scores, best first, ties to the lower index."""
        s = self.scores(batch_scores, candidate_embeddings, t)
        n = s.shape[0]
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, Integral) or not 1 <= k <= n:
            raise ValueError("k must be an int in [1, n]")
        k = int(k)
        if k < n:
            # the k-th best score; every index scoring at least that competes (ties included)
            kth = np.partition(s, n - k)[n - k]
            cand = np.flatnonzero(s >= kth)
            if cand.size < k:  # only possible with NaN scores: fall back to all
                cand = np.arange(n)
        else:
            cand = np.arange(n)
        order = np.lexsort((cand, -s[cand]))  # score descending, then index ascending
        return cand[order[:k]].astype(np.int64)
