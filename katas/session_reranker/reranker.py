"""Blend nightly batch scores with real-time session intent.

Fill in the class below with numpy. Read README.md first: it states the decay, the lateness
rule, the tie-break, the errors to raise and the performance targets.
"""

from __future__ import annotations

import numpy as np


class SessionReranker:
    """Session intent as an exponentially decayed sum of clicked embeddings, and reranking."""

    def __init__(self, dim: int, half_life_s: float, weight: float, max_lateness_s: float):
        """Set up an empty session.

        Args:
            dim: embedding size (positive int).
            half_life_s: half-life of a click's influence in seconds (> 0).
            weight: weight of the session term in the blended score (finite).
            max_lateness_s: how late (behind the latest accepted click) a click may arrive.

        Raises:
            ValueError: an argument out of range.
        """
        raise NotImplementedError

    def click(self, embedding, t: float) -> bool:
        """Record a click at time t; False (and no change) if more than max_lateness_s late.

        Raises:
            ValueError: embedding not finite of shape (dim,), or t not finite.
        """
        raise NotImplementedError

    def intent(self, t: float) -> np.ndarray:
        """``sum_i exp(-ln2 / half_life * (t - t_i)) e_i`` over accepted clicks, float64 (dim,).

        Raises:
            ValueError: t before the latest accepted click, or not finite.
        """
        raise NotImplementedError

    def scores(self, batch_scores, candidate_embeddings, t: float) -> np.ndarray:
        """``batch_scores + weight * candidate_embeddings @ intent(t)``, float64 (n,).

        Raises:
            ValueError: shapes do not match (n,) and (n, dim); as :meth:`intent`.
        """
        raise NotImplementedError

    def rerank(self, batch_scores, candidate_embeddings, t: float, k: int) -> np.ndarray:
        """Indices (int64, (k,)) of the k best scores, best first, ties to the lower index.

        Raises:
            ValueError: k not an int in [1, n]; as :meth:`scores`.
        """
        raise NotImplementedError
