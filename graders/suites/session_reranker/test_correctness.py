"""Hidden correctness tests of session_reranker.

Oracles are independent of the reference: the statement's formula summed over every accepted
click at query time (``BruteSession``), a sort by (-score, index) for the ranking, and direct
constructions for the lateness boundary and for idle sessions.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.checks import assert_array

OVERFLOW_HINT = (
    "Long sessions: weighting clicks by exp(+lam * t_i) and dividing by exp(lam * t) at query "
    "time overflows once lam * (t - t_0) passes ~709 (about 1000 half-lives). Keep the sum "
    "as of the latest click and decay it by exp(-lam * dt) <= 1 as time moves on."
)
LATE_HINT = (
    "A late click still happened at its own time t_i: add it with weight "
    "exp(-lam * (latest - t_i)), not as if it happened now."
)


def _session(rng, n, start, dim, gap_mean):
    t = start + np.cumsum(rng.exponential(gap_mean, n))
    return rng.normal(size=(n, dim)), t


def test_intent_matches_bruteforce(sol, brute, rng):
    """intent and scores equal the brute-force sum over clicks at several query times."""
    dim, half_life = 8, float(rng.uniform(30, 300))
    r = sol.SessionReranker(dim, half_life, 0.7, 60.0)
    b = brute(half_life, 60.0)
    emb, times = _session(rng, 300, 1.7e9, dim, 20.0)
    for e, t in zip(emb, times, strict=True):
        r.click(e, float(t))
        b.click(e, float(t))
    cand = rng.normal(size=(50, dim))
    batch = rng.normal(size=50)
    for q in (times[-1], times[-1] + 1.0, times[-1] + half_life * 3):
        q = float(q)
        want = b.intent(q, dim)
        assert_array(
            r.intent(q), want, what=f"intent(t=latest+{q - times[-1]:.0f}s) after 300 clicks"
        )
        assert_array(r.scores(batch, cand, q), batch + 0.7 * cand @ want,
                     what="scores(50 candidates)")  # fmt: skip


def test_long_session_no_overflow(sol, brute, rng):
    """A three-day session (half-life 60 s) stays finite and equals the brute-force sum."""
    dim = 4
    r = sol.SessionReranker(dim, 60.0, 1.0, 120.0)
    b = brute(60.0, 120.0)
    emb, times = _session(rng, 400, float(rng.uniform(0, 2e9)), dim, 650.0)  # ~3 days
    for e, t in zip(emb, times, strict=True):
        r.click(e, float(t))
        b.click(e, float(t))
    q = float(times[-1]) + 10.0
    got = r.intent(q)
    if type(got) is np.ndarray and not np.isfinite(got).all():
        raise AssertionError(
            f"intent after a {(times[-1] - times[0]) / 86400:.1f}-day session returned {got}, "
            f"expected the finite {b.intent(q, dim)}. {OVERFLOW_HINT}"
        )
    assert_array(got, b.intent(q, dim), what="intent after a 3-day session")


def test_out_of_order_within_lateness(sol, brute, rng):
    """Clicks delivered out of order, at most max_lateness_s late, count at their own time."""
    dim, lateness = 6, 120.0
    r = sol.SessionReranker(dim, 90.0, 1.0, lateness)
    b = brute(90.0, lateness)
    emb, times = _session(rng, 200, 5e8, dim, 30.0)
    order = np.argsort(times + rng.uniform(0, 100.0, times.size))  # jitter up to 100 s
    late = 0
    for i in order:
        late += int(b.latest is not None and times[i] < b.latest)
        accepted = r.click(emb[i], float(times[i]))
        want = b.click(emb[i], float(times[i]))
        assert accepted is want, f"click(t={times[i]:.1f}) returned {accepted!r}, expected {want}"
    assert late > 0
    q = float(times.max()) + 5.0
    got, want = r.intent(q), b.intent(q, dim)
    try:
        assert_array(got, want, what=f"intent after 200 clicks, {late} of them delivered late")
    except AssertionError as exc:
        raise AssertionError(f"{exc}. {LATE_HINT}") from None


def test_late_clicks_beyond_lateness_dropped(sol, rng):
    """A click exactly max_lateness_s behind the latest is accepted; one beyond is dropped
    (returns False, changes nothing)."""
    lateness = float(rng.integers(10, 100))
    r = sol.SessionReranker(2, 60.0, 1.0, lateness)
    t0 = float(rng.integers(0, 10**9))  # integers: t0 - lateness is exact
    assert r.click([1.0, 0.0], t0) is True
    at_edge = r.click([0.0, 1.0], t0 - lateness)
    if at_edge is not True:
        raise AssertionError(
            f"click(t = latest - max_lateness_s = {t0 - lateness}) returned {at_edge!r}, "
            "expected True: a click exactly max_lateness_s late is accepted (>=)"
        )
    before = r.intent(t0).copy()
    beyond = r.click([5.0, 5.0], t0 - lateness - 0.5)
    assert beyond is False, f"a click {lateness + 0.5} s late returned {beyond!r}, expected False"
    assert np.array_equal(r.intent(t0), before), "a dropped click changed the intent"
    lam = math.log(2) / 60.0
    assert_array(r.intent(t0), np.array([1.0, math.exp(-lam * lateness)]),
                 what="intent after a click exactly max_lateness_s late")  # fmt: skip


def test_intent_decays_to_query_time(sol, rng):
    """A session that went idle fades: hours after the last click the ranking is the batch
    ranking again, and an hour-old session counts by exp(-lam * age)."""
    dim, n = 3, 20
    r = sol.SessionReranker(dim, 120.0, 2.0, 0.0)
    t = float(rng.uniform(1e9, 2e9))
    boost = np.zeros(dim)
    boost[0] = 1.0
    for i in range(5):
        r.click(boost, t + i)
    batch = np.linspace(1.0, 0.0, n) + rng.uniform(0, 1e-3, n)
    cand = np.zeros((n, dim))
    cand[-1] = [1.0, 0.0, 0.0]  # the batch model's last title matches the session
    fresh = r.rerank(batch, cand, t + 5, 3)
    assert int(fresh[0]) == n - 1, f"right after the clicks rerank gave {fresh.tolist()}"
    later = t + 4 + 12 * 3600.0
    got = r.rerank(batch, cand, later, 3)
    want = np.argsort(-batch)[:3]
    if not np.array_equal(np.asarray(got), want):
        raise AssertionError(
            f"rerank 12 hours after the last click (half-life 120 s) returned "
            f"{np.asarray(got).tolist()}, expected the batch order {want.tolist()}: the "
            "session signal must be decayed to the request time. Intent frozen at the last "
            "click keeps a long-gone session in charge (stale intent)."
        )
    lam = math.log(2) / 120.0
    q = t + 4 + 3600.0
    expected = sum(math.exp(-lam * (q - (t + i))) for i in range(5))
    scores = r.scores(batch, cand, q)
    assert_array(scores, batch + 2.0 * cand[:, 0] * expected,
                 what="scores an hour after the last click")  # fmt: skip


def test_rerank_order_and_ties(sol, rng):
    """rerank returns the k best blended scores, best first, ties to the lower index."""
    dim, n = 4, 500
    r = sol.SessionReranker(dim, 60.0, 0.5, 10.0)
    for i in range(10):
        r.click(rng.normal(size=dim), 100.0 + i)
    cand = rng.normal(size=(n, dim))
    batch = rng.normal(size=n)
    dup = rng.choice(n, size=40, replace=False)
    cand[dup[20:]] = cand[dup[:20]]  # pairs of identical candidates
    batch[dup[20:]] = batch[dup[:20]]
    s = batch + 0.5 * cand @ r.intent(120.0)
    for k in (1, 7, 250, n):
        want = np.lexsort((np.arange(n), -s))[:k]
        got = r.rerank(batch, cand, 120.0, k)
        assert_array(np.asarray(got), want.astype(np.int64), what=f"rerank(k={k})")
        assert type(got) is np.ndarray and got.dtype == np.int64, "rerank must return int64"
    pair = np.array([0.0, 0.0, 1.0])
    tie = r.rerank(pair, np.zeros((3, dim)), 120.0, 2)
    assert np.asarray(tie).tolist() == [2, 0], f"rerank with a tie returned {tie!r}"


def test_bad_arguments_raise(sol):
    """Bad constructor values, embeddings, times, shapes and k raise ValueError."""
    for args in ((0, 60.0, 1.0, 1.0), (2, 0.0, 1.0, 1.0), (2, 60.0, float("nan"), 1.0),
                 (2, 60.0, 1.0, -1.0), (2.0, 60.0, 1.0, 1.0)):  # fmt: skip
        with pytest.raises(ValueError):
            sol.SessionReranker(*args)
            pytest.fail(f"SessionReranker{args} returned instead of raising ValueError")
    r = sol.SessionReranker(2, 60.0, 1.0, 5.0)
    r.click([1.0, 1.0], 50.0)
    cases = [
        ("click with 3 values", lambda: r.click([1.0, 2.0, 3.0], 51.0)),
        ("click with NaN", lambda: r.click([np.nan, 1.0], 51.0)),
        ("click at inf", lambda: r.click([1.0, 1.0], float("inf"))),
        ("intent before the latest click", lambda: r.intent(49.0)),
        ("scores with (3, 3) embeddings", lambda: r.scores(np.zeros(3), np.zeros((3, 3)), 60.0)),
        ("rerank k=0", lambda: r.rerank(np.zeros(3), np.zeros((3, 2)), 60.0, 0)),
        ("rerank k=4 of 3", lambda: r.rerank(np.zeros(3), np.zeros((3, 2)), 60.0, 4)),
    ]
    for label, call in cases:
        with pytest.raises(ValueError):
            call()
            pytest.fail(f"{label} returned instead of raising ValueError")
    assert np.array_equal(sol.SessionReranker(3, 1.0, 1.0, 0.0).intent(0.0), np.zeros(3))


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_streams_property(sol, brute, data):
    """Property: any stream of clicks (any order, lateness, time origin) gives the brute-force
    intent and acceptance decisions."""
    half_life = data.draw(st.floats(1.0, 1000.0), label="half_life")
    lateness = data.draw(st.sampled_from([0.0, 5.0, 50.0]), label="lateness")
    origin = data.draw(st.sampled_from([0.0, -1e6, 1.7e9]), label="origin")
    n = data.draw(st.integers(1, 15), label="n")
    offsets = data.draw(st.lists(st.integers(0, 200), min_size=n, max_size=n), label="t")
    r, b = sol.SessionReranker(2, half_life, 1.0, lateness), brute(half_life, lateness)
    for j, off in enumerate(offsets):
        e = [float(j % 3) - 1.0, 1.0 / (j + 1)]
        assert r.click(e, origin + off) is b.click(e, origin + off), f"click {j} at +{off}"
    q = origin + max(offsets) + data.draw(st.integers(0, 100), label="query delay")
    assert_array(r.intent(q), b.intent(q, 2),
                 what=f"intent(+{q - origin}) after clicks at {offsets} (half-life {half_life})")  # fmt: skip
