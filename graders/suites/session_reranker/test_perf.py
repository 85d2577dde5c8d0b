"""Hidden performance gates of session_reranker (ratios, graders.perf).

Sizes: rerank of 10^4 candidates with dim 64 (the catalog's size) against the plain vectorised
reranker of the suite's baseline.py; click + intent after 2*10^4 clicks against after 10^2
(200 steps per timed call, run in the sandbox by ``inside.steps``). Answers are checked; every
timed call gets fresh candidates (a random scale of a pre-generated set) or new clicks.
"""

import numpy as np
import pytest

N, DIM, K = 10_000, 64, 100
STEPS = 200


def _clicks(rng, n):
    emb = rng.normal(size=(64, DIM))
    return emb[np.arange(n) % 64], 1.7e9 + 5.0 * np.arange(1, n + 1)


@pytest.mark.perf
@pytest.mark.rules("R8")
def test_rerank_vs_plain_vectorised(sol, drive, baseline, perf, rng):
    """rerank of 10^4 candidates (dim 64, k 100) runs within 3x of a plain vectorised
    reranker (matrix-vector product, stable sort)."""
    emb, times = _clicks(rng, 500)
    mine = drive.session(DIM, 300.0, 0.5, 60.0, emb, times)
    theirs = baseline.session(DIM, 300.0, 0.5, 60.0, emb, times)
    cand = rng.normal(size=(N, DIM))
    batch = rng.normal(size=N)
    t_end = float(times[-1])

    def make():
        scale = float(rng.uniform(0.5, 2.0))
        return batch * scale, cand * scale, t_end + float(rng.uniform(0, 60)), K

    def check(got, want, args):
        ok = type(got) is np.ndarray and got.dtype == np.int64 and np.array_equal(got, want)
        assert ok, (
            f"rerank({N} candidates, k={K}) on a timed input returned another ranking than the "
            f"order by score (ties by lower index); R6, R7"
        )

    perf.compare(mine.rerank, theirs.rerank, make, bound=3.0, check=check,
                 what=f"rerank time / a plain vectorised reranker's (n={N}, dim={DIM}, k={K}; "
                      "R8)",
                 hint="R8: score the candidates with numpy, not a Python loop over them")  # fmt: skip


@pytest.mark.perf
@pytest.mark.rules("R9")
def test_click_and_intent_time_independent_of_session_length(sol, drive, perf, rng):
    """click + intent after 2*10^4 clicks takes at most 3x as long as after 10^2 clicks."""
    short_emb, short_t = _clicks(rng, 100)
    long_emb, long_t = _clicks(rng, 20_000)
    short = drive.session(DIM, 300.0, 0.5, 60.0, short_emb, short_t)
    long = drive.session(DIM, 300.0, 0.5, 60.0, long_emb, long_t)
    e = rng.normal(size=DIM)
    clock = {"short": float(short_t[-1]), "long": float(long_t[-1])}

    def maker(name, session):
        def make():
            clock[name] += STEPS + 1.0
            return session, e * float(rng.uniform(0.5, 2.0)), clock[name], STEPS

        return make

    perf.scaling(drive.steps, maker("short", short), maker("long", long), bound=3.0,
                 what=f"time of {STEPS} click + intent steps after 20000 clicks / after 100 "
                      "clicks (R9)",
                 hint="R9: constant time and memory per click, whatever the session length")  # fmt: skip
