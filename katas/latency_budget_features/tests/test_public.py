"""Public examples for latency_budget_features: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import hashlib

import numpy as np
import pytest
from features import Selection, hash_cross, select_features


def test_one_cross_with_its_bases():
    """A budget that covers both base features and the cross takes all three."""
    base_cost, base_gain = [40, 60], [0.1, 0.2]
    cross_cost, cross_gain, parents = [10], [1.0], [[0, 1]]
    sel = select_features(base_cost, base_gain, cross_cost, cross_gain, parents, 115)
    assert isinstance(sel, Selection)
    assert sel.bases.tolist() == [0, 1] and sel.crosses.tolist() == [0]
    assert sel.cost == 110 and sel.gain == pytest.approx(1.3)


def test_budget_picks_the_better_base():
    """Without crosses, a tight budget keeps the base feature with the larger gain."""
    sel = select_features([40, 60], [0.1, 0.2], [], [], np.zeros((0, 2), dtype=int), 70)
    assert sel.bases.tolist() == [1] and sel.crosses.tolist() == []
    assert sel.cost == 60 and sel.gain == pytest.approx(0.2)


def test_nothing_fits():
    """With a budget of 0 only free features can be selected."""
    sel = select_features([5], [1.0], [], [], np.zeros((0, 2), dtype=int), 0)
    assert sel.bases.tolist() == [] and sel.gain == 0.0 and sel.cost == 0
    assert sel.bases.dtype == np.int64 and sel.crosses.dtype == np.int64


def test_hash_cross_example():
    """The bucket follows the stated BLAKE2b recipe."""
    digest = hashlib.blake2b(b"country=US\x1fgenre=drama", digest_size=8).digest()
    want = int.from_bytes(digest, "little") % 1000
    got = hash_cross(["country=US"], ["genre=drama"], 1000)
    assert got.dtype == np.int64 and got.tolist() == [want]


def test_whole_number_latencies_may_be_floats():
    """Latencies are whole numbers; stored as floats ([40.0]) they are accepted, 1.5 is not."""
    sel = select_features([40.0, 60.0], [0.1, 0.2], [10.0], [1.0], [[0, 1]], 115)
    assert sel.cost == 110 and sel.bases.tolist() == [0, 1]
    with pytest.raises(ValueError):
        select_features([40.5, 60.0], [0.1, 0.2], [10.0], [1.0], [[0, 1]], 115)
