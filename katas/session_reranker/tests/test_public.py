"""Public examples for session_reranker: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import math

import numpy as np
import pytest
from reranker import SessionReranker

HORROR = np.array([1.0, 0.0])
COMEDY = np.array([0.0, 1.0])


def test_one_click_half_life():
    """One half-life after a click its weight is 1/2."""
    r = SessionReranker(2, half_life_s=60.0, weight=1.0, max_lateness_s=30.0)
    assert r.click(HORROR, 1000.0) is True
    np.testing.assert_allclose(r.intent(1000.0), [1.0, 0.0])
    np.testing.assert_allclose(r.intent(1060.0), [0.5, 0.0])


def test_two_clicks_add_up():
    """Intent is the decayed sum of the clicks."""
    r = SessionReranker(2, 60.0, 1.0, 30.0)
    r.click(HORROR, 0.0)
    r.click(COMEDY, 60.0)
    np.testing.assert_allclose(r.intent(120.0), [0.25, 0.5])


def test_recent_horror_clicks_lift_horror_titles():
    """The batch model prefers the comedy; two fresh horror clicks flip the order."""
    r = SessionReranker(2, 300.0, 1.0, 30.0)
    batch = np.array([0.9, 0.5])  # comedy, horror
    emb = np.stack([COMEDY, HORROR])
    assert r.rerank(batch, emb, 0.0, 2).tolist() == [0, 1]
    r.click(HORROR, 10.0)
    r.click(HORROR, 20.0)
    order = r.rerank(batch, emb, 25.0, 2)
    assert order.dtype == np.int64 and order.tolist() == [1, 0]
    assert r.scores(batch, emb, 20.0)[1] == pytest.approx(
        0.5 + math.exp(-math.log(2) * 10 / 300) + 1.0
    )


def test_query_before_latest_click_is_an_error():
    """intent(t) needs t >= the latest click."""
    r = SessionReranker(2, 60.0, 1.0, 30.0)
    r.click(HORROR, 100.0)
    with pytest.raises(ValueError):
        r.intent(99.0)
