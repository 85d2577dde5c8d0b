"""Style B: a fixed reference time with lazy rebasing (the sum is stored as
sum exp(lam * (t_i - ref)) e_i and re-anchored before the exponent can grow large); rerank
uses argpartition, widens to the tied cut-off and stable-argsorts the candidates."""

from __future__ import annotations

import math
import operator

import numpy as np

_LN2 = math.log(2.0)
_REBASE_EXPONENT = 30.0  # re-anchor once exp(lam * (t - ref)) would exceed e^30


def _number(x, what):
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{what}: bool is not a number")
    if isinstance(x, (str, bytes)):
        raise ValueError(f"{what}: not a number")
    try:
        return float(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: not a number") from exc


class SessionReranker:
    """Session intent as an exponentially decayed sum of clicked embeddings, and reranking."""

    def __init__(self, dim: int, half_life_s: float, weight: float, max_lateness_s: float):
        if isinstance(dim, (bool, np.bool_)):
            raise ValueError("dim must be an int")
        try:
            dim_i = operator.index(dim)
        except TypeError as exc:
            raise ValueError("dim must be an int") from exc
        if dim_i <= 0:
            raise ValueError("dim must be positive")
        hl = _number(half_life_s, "half_life_s")
        if not (hl > 0 and math.isfinite(hl)):
            raise ValueError("half_life_s must be a finite number > 0")
        w = _number(weight, "weight")
        if not math.isfinite(w):
            raise ValueError("weight must be finite")
        ml = _number(max_lateness_s, "max_lateness_s")
        if math.isnan(ml) or ml < 0:
            raise ValueError("max_lateness_s must be >= 0")
        self._dim = dim_i
        self._lam = _LN2 / hl
        self._weight = w
        self._max_late = ml
        self._ref = 0.0  # reference time of the stored sum
        self._acc = np.zeros(dim_i)  # sum_i exp(lam * (t_i - ref)) e_i
        self._latest = -math.inf
        self._any = False

    def _rebase(self, new_ref: float) -> None:
        # acc' = sum exp(lam (t_i - new_ref)) e_i = acc * exp(lam (ref - new_ref))
        self._acc = self._acc * math.exp(self._lam * (self._ref - new_ref))
        self._ref = new_ref

    def click(self, embedding, t: float) -> bool:
        """Record a click at time t; False (and no change) if more than max_lateness_s late."""
        arr = np.asarray(embedding)
        if arr.ndim != 1 or arr.shape[0] != self._dim:
            raise ValueError("embedding has the wrong shape")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError("embedding is not numeric") from exc
        if not np.all(np.isfinite(arr)):
            raise ValueError("embedding has a non-finite value")
        tt = _number(t, "t")
        if not math.isfinite(tt):
            raise ValueError("t must be finite")

        if not self._any:
            self._any = True
            self._ref = tt
            self._latest = tt
            self._acc = arr.copy()
            return True
        if tt < self._latest - self._max_late:
            return False
        if tt > self._latest:
            self._latest = tt
        # keep the exponent lam * (t_i - ref) small: rebase to the latest click when needed
        if self._lam * (self._latest - self._ref) > _REBASE_EXPONENT:
            self._rebase(self._latest)
        self._acc = self._acc + math.exp(self._lam * (tt - self._ref)) * arr
        return True

    def intent(self, t: float) -> np.ndarray:
        """``sum_i exp(-ln2 / half_life * (t - t_i)) e_i`` over accepted clicks, float64 (dim,)."""
        tt = _number(t, "t")
        if not math.isfinite(tt):
            raise ValueError("t must be finite")
        if not self._any:
            return np.zeros(self._dim)
        if tt < self._latest:
            raise ValueError("intent asked before the latest accepted click")
        # t >= latest >= ref - ... : exponent -lam (t - ref) <= small positive bound
        return self._acc * math.exp(-self._lam * (tt - self._ref))

    def scores(self, batch_scores, candidate_embeddings, t: float) -> np.ndarray:
        """``batch_scores + weight * candidate_embeddings @ intent(t)``, float64 (n,)."""
        bs = np.asarray(batch_scores)
        ce = np.asarray(candidate_embeddings)
        if bs.ndim != 1:
            raise ValueError("batch_scores must be 1-D")
        if ce.ndim != 2 or ce.shape[0] != bs.shape[0] or ce.shape[1] != self._dim:
            raise ValueError("candidate_embeddings must have shape (n, dim)")
        try:
            bs = bs.astype(np.float64, copy=False)
            ce = ce.astype(np.float64, copy=False)
        except (TypeError, ValueError) as exc:
            raise ValueError("inputs must be numeric") from exc
        vec = self.intent(t)
        return bs + self._weight * (ce @ vec)

    def rerank(self, batch_scores, candidate_embeddings, t: float, k: int) -> np.ndarray:
        """Indices (int64, (k,)) of the k best scores, best first, ties to the lower index."""
        sc = self.scores(batch_scores, candidate_embeddings, t)
        if isinstance(k, (bool, np.bool_)):
            raise ValueError("k must be an int")
        try:
            kk = operator.index(k)
        except TypeError as exc:
            raise ValueError("k must be an int") from exc
        if kk < 1 or kk > sc.shape[0]:
            raise ValueError("k must lie in [1, n]")
        neg = -sc
        neg[np.isnan(neg)] = np.inf  # NaN scores rank last
        n = neg.shape[0]
        if kk < n:
            # any k best, then widen to every index tied with the worst of them, so that the
            # lower indices win ties; candidates come out in ascending index order
            part = np.argpartition(neg, kk - 1)[:kk]
            cutoff = neg[part].max()
            cand = np.flatnonzero(neg <= cutoff)
        else:
            cand = np.arange(n)
        # a stable sort keeps equal scores in index order
        order = np.argsort(neg[cand], kind="stable")[:kk]
        return cand[order].astype(np.int64)
