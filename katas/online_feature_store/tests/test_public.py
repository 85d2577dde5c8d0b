"""Public examples for online_feature_store: they show the API, not every rule.

They run against an in-process fakeredis server. The hidden suite checks much more (see
README.md), on fakeredis or a real Redis; passing these is a start, not a grade.
"""

import fakeredis
import numpy as np
import pandas as pd
import pytest
from online_store import PRESENT, FeatureView, get_online_features, materialize, skew_report

NOW = 1_750_000_000.0
VIEW = FeatureView("user_stats", "user_id", ("spend_7d", "txn_count_7d"), ttl_s=86_400.0)


@pytest.fixture
def client():
    return fakeredis.FakeRedis(decode_responses=True)


def source():
    return pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "event_timestamp": [NOW - 7200.0, NOW - 3600.0, NOW - 600.0],
            "created_timestamp": [NOW - 7100.0, NOW - 3500.0, NOW - 500.0],
            "spend_7d": [10.0, 25.0, 7.5],
            "txn_count_7d": [1.0, 3.0, 2.0],
        }
    )


def test_materialize_writes_one_hash_per_entity(client):
    """Each entity's latest row lands in the hash prefix + 'view:entity'."""
    assert materialize(client, "demo:", VIEW, source(), NOW) == 2
    stored = client.hgetall("demo:user_stats:1")
    assert stored["spend_7d"] == "25.0"
    assert stored["txn_count_7d"] == "3.0"
    assert float(stored["_ts"]) == NOW - 3600.0
    assert float(stored["_created"]) == NOW - 3500.0


def test_get_online_features(client):
    """Values come back in request order, one column per feature reference, with statuses."""
    materialize(client, "demo:", VIEW, source(), NOW)
    refs = ["user_stats:txn_count_7d", "user_stats:spend_7d"]
    resp = get_online_features(client, "demo:", [VIEW], [2, 1], refs, NOW + 60.0)
    assert list(resp.values.index) == [2, 1]
    assert list(resp.values.columns) == refs
    np.testing.assert_array_equal(resp.values.to_numpy(), [[2.0, 7.5], [3.0, 25.0]])
    assert (resp.statuses.to_numpy() == PRESENT).all()


def test_skew_report_lists_disagreements(client):
    """An offline value that differs from the served one is reported with both values."""
    materialize(client, "demo:", VIEW, source(), NOW)
    offline = source()
    offline.loc[2, "spend_7d"] = 9.0  # the batch job recomputed user 2's spend
    report = skew_report(
        client, "demo:", [VIEW], {"user_stats": offline}, [1, 2],
        ["user_stats:spend_7d", "user_stats:txn_count_7d"], NOW,
    )  # fmt: skip
    assert list(report.columns) == ["entity_key", "feature_ref", "online", "offline"]
    assert report.to_dict("records") == [
        {"entity_key": 2, "feature_ref": "user_stats:spend_7d", "online": 7.5, "offline": 9.0}
    ]


def test_unknown_feature_reference_is_a_key_error(client):
    """A reference to a feature the views do not define raises KeyError."""
    with pytest.raises(KeyError):
        get_online_features(client, "demo:", [VIEW], [1], ["user_stats:nope"], NOW)
