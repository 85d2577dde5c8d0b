"""Blend nightly batch scores with real-time session intent (reference solution).

Session intent is the exponentially time-decayed sum of the embeddings of the session's
clicks, with decay rate lambda = ln 2 / half_life:

    intent(t) = sum_i exp(-lambda (t - t_i)) e_i,

the exponentially weighted moving statistic of streaming systems (e.g. the time-decayed
aggregates of Cormode, Shkapenyuk, Srivastava & Xu 2009, "Forward decay: a practical time
decay model for streaming systems"). It is kept in O(dim) per click, whatever the session
length, as the sum *at the time of the latest click*: every factor applied is exp of a
non-positive number, so nothing can overflow. (Forward decay's exp(+lambda t_i) weights
overflow once lambda (t - t_0) passes ~709: about 1000 half-lives into a session.)

A click that arrives out of order (earlier than the latest click seen) is added with its own
decay exp(-lambda (t_latest - t_i)) if it is at most ``max_lateness_s`` late, and dropped
otherwise (a watermark, as in stream processors).
"""

from __future__ import annotations

import math

import numpy as np


def _finite_number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


class SessionReranker:
    """Session intent as an O(1)-updated decayed sum, and the blended reranking."""

    def __init__(self, dim: int, half_life_s: float, weight: float, max_lateness_s: float):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        half_life_s = _finite_number(half_life_s, "half_life_s")
        if half_life_s <= 0:
            raise ValueError("half_life_s must be positive")
        self._weight = _finite_number(weight, "weight")
        if isinstance(max_lateness_s, bool) or not isinstance(
            max_lateness_s, (int, float, np.integer, np.floating)
        ):
            raise ValueError(f"max_lateness_s must be a number, got {max_lateness_s!r}")
        self._lateness = float(max_lateness_s)  # +inf: every late click is accepted
        if not self._lateness >= 0:
            raise ValueError("max_lateness_s must be >= 0 (not NaN)")
        self._dim = dim
        self._rate = math.log(2.0) / half_life_s
        self._sum = np.zeros(dim, dtype=np.float64)  # intent at time self._latest
        self._latest: float | None = None

    def click(self, embedding, t: float) -> bool:
        """Add a click; False (and nothing changes) if it is more than max_lateness_s late."""
        e = np.asarray(embedding, dtype=np.float64)
        if e.shape != (self._dim,) or not np.isfinite(e).all():
            raise ValueError(f"embedding must be finite with shape ({self._dim},)")
        t = _finite_number(t, "t")
        if self._latest is None:
            self._sum = e.copy()
            self._latest = t
        elif t >= self._latest:
            self._sum = math.exp(-self._rate * (t - self._latest)) * self._sum + e
            self._latest = t
        elif t >= self._latest - self._lateness:
            self._sum = self._sum + math.exp(-self._rate * (self._latest - t)) * e
        else:
            return False
        return True

    def intent(self, t: float) -> np.ndarray:
        """The decayed click sum at time t (>= the latest click), float64 (dim,)."""
        t = _finite_number(t, "t")
        if self._latest is None:
            return np.zeros(self._dim, dtype=np.float64)
        if t < self._latest:
            raise ValueError(f"t={t} is before the latest click at {self._latest}")
        return math.exp(-self._rate * (t - self._latest)) * self._sum

    def scores(self, batch_scores, candidate_embeddings, t: float) -> np.ndarray:
        """batch_score + weight * (candidate embedding . intent(t)), float64 (n,)."""
        b = np.asarray(batch_scores, dtype=np.float64)
        emb = np.asarray(candidate_embeddings, dtype=np.float64)
        if b.ndim != 1 or emb.shape != (b.shape[0], self._dim):
            raise ValueError(
                f"need batch_scores (n,) and candidate_embeddings (n, {self._dim}), got "
                f"{b.shape} and {emb.shape}"
            )
        return b + self._weight * (emb @ self.intent(t))

    def rerank(self, batch_scores, candidate_embeddings, t: float, k: int) -> np.ndarray:
        """Indices of the k best blended scores, best first, ties to the lower index."""
        s = self.scores(batch_scores, candidate_embeddings, t)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= s.size:
            raise ValueError(f"k must be an int in [1, {s.size}], got {k!r}")
        k = int(k)
        if k < s.size:
            top = np.argpartition(-s, k - 1)[:k]
            # everything tied with the k-th score competes on index
            kth = s[top].min()
            top = np.union1d(top[s[top] > kth], np.flatnonzero(s == kth))
        else:
            top = np.arange(s.size)
        order = np.lexsort((top, -s[top]))
        return top[order][:k].astype(np.int64)
