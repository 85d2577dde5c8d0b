"""Sandbox-side drivers of the session_reranker hidden suite (they hold no solution).

They batch many small calls into one round trip: a stream of clicks fed to a reranker (its
acceptance decisions come back as data), a session built from scratch, and the timed
click-then-intent steps of the scaling gate.
"""

from __future__ import annotations

import numpy as np


def _module():
    import reranker  # the submitted module, next to this file in the sandbox

    return reranker


def feed(reranker, embeddings, times) -> list:
    """``reranker.click(e, t)`` for each click in order; what each call returned."""
    return [reranker.click(e, float(t)) for e, t in zip(embeddings, times, strict=True)]


def session(dim, half_life_s, weight, max_lateness_s, embeddings, times):
    """A new ``SessionReranker`` fed these clicks (returned by handle)."""
    r = _module().SessionReranker(dim, half_life_s, weight, max_lateness_s)
    feed(r, embeddings, times)
    return r


def steps(reranker, embedding, t0: float, m: int):
    """``m`` clicks one second apart from ``t0``, each followed by ``intent`` half a second
    later; the last intent."""
    e = np.asarray(embedding, dtype=np.float64)
    out = None
    for j in range(m):
        t = t0 + j
        reranker.click(e, t)
        out = reranker.intent(t + 0.5)
    return out
