"""Public examples for scd2_merge: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

from datetime import datetime

import duckdb
import pytest
from scd2 import merge_scd2

KEYS = ["customer_id"]
TRACKED = ["region", "tier"]


def day(d: int, month: int = 1) -> datetime:
    return datetime(2024, month, d)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE dim_customer (customer_id BIGINT, region VARCHAR, tier VARCHAR, "
        "valid_from TIMESTAMP, valid_to TIMESTAMP, is_current BOOLEAN)"
    )
    yield con
    con.close()


def load(con, rows, name="stg_crm"):
    """A staging table (columns in another order than the dimension's, plus one the merge
    ignores) holding ``rows`` of (customer_id, region, tier, updated_at)."""
    con.execute(
        f"CREATE OR REPLACE TABLE {name} (updated_at TIMESTAMP, tier VARCHAR, "
        "customer_id BIGINT, source_file VARCHAR, region VARCHAR)"
    )
    for cid, region, tier, ts in rows:
        con.execute(f"INSERT INTO {name} VALUES (?, ?, ?, 'crm.csv', ?)", [ts, tier, cid, region])
    return name


def merge(con, rows):
    merge_scd2(con, "dim_customer", load(con, rows), KEYS, TRACKED, "updated_at")


def versions(con):
    return con.execute(
        "SELECT customer_id, region, tier, valid_from, valid_to, is_current "
        "FROM dim_customer ORDER BY customer_id, valid_from"
    ).fetchall()


def test_new_keys_then_a_change(con):
    """New keys open a current version; a later change closes it and opens the next."""
    merge(con, [(1, "eu", "gold", day(1)), (2, "us", "silver", day(1))])
    merge(con, [(1, "eu", "platinum", day(10)), (2, "us", "silver", day(10))])
    assert versions(con) == [
        (1, "eu", "gold", day(1), day(10), False),
        (1, "eu", "platinum", day(10), None, True),
        (2, "us", "silver", day(1), None, True),  # unchanged on day 10: no new version
    ]


def test_rerun_changes_nothing(con):
    """Merging the same batch twice leaves the table as the first merge left it, and a row
    that appears twice in a batch counts once (R3)."""
    merge(con, [(1, "eu", "gold", day(1)), (1, "eu", "gold", day(1))])
    merge(con, [(1, "apac", "gold", day(5))])
    first = versions(con)
    merge(con, [(1, "apac", "gold", day(5))])
    assert versions(con) == first
    assert first == [
        (1, "eu", "gold", day(1), day(5), False),
        (1, "apac", "gold", day(5), None, True),
    ]


def test_null_equals_null(con):
    """A NULL that stays NULL is no change (R4)."""
    merge(con, [(7, None, "gold", day(1))])
    merge(con, [(7, None, "gold", day(3))])
    assert versions(con) == [(7, None, "gold", day(1), None, True)]


def test_several_rows_for_one_key_in_one_batch(con):
    """Rows of one key in one batch apply in effective_ts order, whatever their row order:
    gold -> silver -> gold is three versions (R7)."""
    merge(con, [(3, "eu", "gold", day(1))])
    merge(con, [(3, "eu", "gold", day(1, 3)), (3, "eu", "silver", day(1, 2))])
    assert versions(con) == [
        (3, "eu", "gold", day(1), day(1, 2), False),
        (3, "eu", "silver", day(1, 2), day(1, 3), False),
        (3, "eu", "gold", day(1, 3), None, True),
    ]


def test_the_table_is_the_only_memory(con):
    """A row that changed nothing leaves no trace: a later batch with an older change is
    applied to what the table holds (the March no-op is gone)."""
    merge(con, [(4, "us", "gold", day(1))])
    merge(con, [(4, "us", "gold", day(1, 3))])  # no change: nothing recorded
    merge(con, [(4, "us", "silver", day(1, 2))])
    assert versions(con) == [
        (4, "us", "gold", day(1), day(1, 2), False),
        (4, "us", "silver", day(1, 2), None, True),
    ]


def test_conflicting_rows_raise_and_change_nothing(con):
    """Two rows of one key at one instant with different values: ValueError, table unchanged
    (R8)."""
    merge(con, [(5, "eu", "gold", day(1))])
    before = versions(con)
    with pytest.raises(ValueError):
        merge(con, [(6, "us", "gold", day(2)), (5, "eu", "silver", day(4)),
                    (5, "eu", "bronze", day(4))])  # fmt: skip
    assert versions(con) == before
