"""The bar of session_reranker's rerank gate (baseline sandbox only): a plain vectorised
reranker, as the statement asks for it and no more: the decayed click sum kept as of the latest
click, scores by one matrix-vector product, and the ranking by a full stable sort of the
negated scores (ties keep the lower index first)."""

from __future__ import annotations

import math

import numpy as np


class PlainReranker:
    def __init__(self, dim, half_life_s, weight, max_lateness_s):
        self.dim, self.weight, self.lateness = dim, float(weight), float(max_lateness_s)
        self.lam = math.log(2.0) / half_life_s
        self.total = np.zeros(dim)
        self.latest = None

    def click(self, embedding, t):
        e = np.asarray(embedding, dtype=np.float64)
        if self.latest is None or t >= self.latest:
            if self.latest is not None:
                self.total = self.total * math.exp(-self.lam * (t - self.latest))
            self.total = self.total + e
            self.latest = t
            return True
        if t >= self.latest - self.lateness:
            self.total = self.total + math.exp(-self.lam * (self.latest - t)) * e
            return True
        return False

    def intent(self, t):
        if self.latest is None:
            return np.zeros(self.dim)
        return math.exp(-self.lam * (t - self.latest)) * self.total

    def scores(self, batch_scores, candidate_embeddings, t):
        return np.asarray(batch_scores, dtype=np.float64) + self.weight * (
            np.asarray(candidate_embeddings, dtype=np.float64) @ self.intent(t)
        )

    def rerank(self, batch_scores, candidate_embeddings, t, k):
        s = self.scores(batch_scores, candidate_embeddings, t)
        return np.argsort(-s, kind="stable")[:k].astype(np.int64)


def session(dim, half_life_s, weight, max_lateness_s, embeddings, times):
    """A PlainReranker fed these clicks."""
    r = PlainReranker(dim, half_life_s, weight, max_lateness_s)
    for e, t in zip(embeddings, times, strict=True):
        r.click(e, float(t))
    return r
