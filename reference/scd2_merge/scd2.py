"""Slowly changing dimension type 2: a set-based merge of a batch into a DuckDB dimension.

Reference solution of the scd2_merge kata. The semantics are Kimball's type 2 dimension (R. Kimball
and M. Ross, *The Data Warehouse Toolkit*, 3rd ed., ch. 5, "Type 2: Add New Row"): every change of
a tracked attribute starts a new version, versions tile time without gaps or overlaps, and the
open version is the current one. Late-arriving rows are placed in the history as in the book's
"late arriving dimension" technique (ch. 19): the version in effect at the row's effective time
is split.

The merge is one rebuild per touched key, done by the engine in a few set-based statements
(as dbt snapshots and Delta Lake's documented SCD2 MERGE do): the versions' starts of every key
in the batch, overridden by the batch's rows at the same instant, are sorted per key; points
that repeat the previous point's values are dropped (``IS DISTINCT FROM``, so NULL equals NULL);
each remaining point opens a version that ends where the next one begins (``lead``). The touched
keys' old versions are then replaced in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

__all__ = ["merge_scd2"]

_STAGE = "_scd2_stage"
_NEW = "_scd2_new"


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def merge_scd2(
    con: duckdb.DuckDBPyConnection,
    table: str,
    batch: str,
    keys: Sequence[str],
    tracked: Sequence[str],
    effective_ts: str,
) -> None:
    """Merge the rows of ``batch`` into the type 2 dimension ``table`` (Kimball SCD2).

    Args:
        con: an open DuckDB connection in auto-commit mode holding both tables.
        table: the dimension: the key columns, the tracked columns, ``valid_from``
            (TIMESTAMP), ``valid_to`` (TIMESTAMP, NULL for the current version) and
            ``is_current`` (BOOLEAN), in any column order.
        batch: a table or view with the key columns, the tracked columns and ``effective_ts``
            (TIMESTAMP), in any column order; other columns are ignored.
        keys: the business key columns (at least one).
        tracked: the tracked attribute columns (at least one).
        effective_ts: the batch column holding when each row's values took effect.

    Raises:
        ValueError: a batch row has a NULL key or effective time, or two batch rows share a
            key and an effective time but not their values; the table is left as it was.
    """
    keys, tracked = list(keys), list(tracked)
    if not keys or not tracked:
        raise ValueError("keys and tracked must each name at least one column")
    k = ", ".join(_q(c) for c in keys)
    a = ", ".join(_q(c) for c in tracked)
    on_key = " AND ".join(f"d.{_q(c)} = b.{_q(c)}" for c in keys)
    changed = " OR ".join(f"{_q(c)} IS DISTINCT FROM _prev_{i}" for i, c in enumerate(tracked))
    prev = ", ".join(f"lag({_q(c)}) OVER w AS _prev_{i}" for i, c in enumerate(tracked))
    null_key = " OR ".join(f"{_q(c)} IS NULL" for c in [*keys, "_ts"])

    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_STAGE} AS "
            f"SELECT DISTINCT {k}, {a}, {_q(effective_ts)} AS _ts FROM {_q(batch)}"
        )
        bad = con.execute(
            f"SELECT (SELECT count(*) FROM {_STAGE} WHERE {null_key}), "
            f"(SELECT count(*) FROM (SELECT 1 FROM {_STAGE} GROUP BY {k}, _ts "
            f"HAVING count(*) > 1))"
        ).fetchone()
        if bad[0]:
            raise ValueError(f"{bad[0]} batch rows have a NULL key column or {effective_ts}")
        if bad[1]:
            raise ValueError(
                f"{bad[1]} (key, {effective_ts}) pairs of the batch have conflicting values"
            )
        # every point of the touched keys' histories: the versions' starts, except where the
        # batch has a row at the same instant (the batch's row wins), and the batch's rows
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {_NEW} AS
            WITH points AS (
                SELECT {k}, {a}, d.valid_from AS _ts FROM {_q(table)} d
                WHERE EXISTS (SELECT 1 FROM {_STAGE} b WHERE {on_key})
                  AND NOT EXISTS (SELECT 1 FROM {_STAGE} b WHERE {on_key}
                                  AND b._ts = d.valid_from)
                UNION ALL
                SELECT {k}, {a}, _ts FROM {_STAGE}
            ), marked AS (
                SELECT *, {prev}, row_number() OVER w AS _n FROM points
                WINDOW w AS (PARTITION BY {k} ORDER BY _ts)
            ), kept AS (
                SELECT {k}, {a}, _ts FROM marked WHERE _n = 1 OR {changed}
            )
            SELECT {k}, {a}, _ts AS valid_from,
                   lead(_ts) OVER (PARTITION BY {k} ORDER BY _ts) AS valid_to
            FROM kept
            """
        )
        con.execute(
            f"DELETE FROM {_q(table)} d WHERE EXISTS (SELECT 1 FROM {_STAGE} b WHERE {on_key})"
        )
        con.execute(
            f"INSERT INTO {_q(table)} BY NAME SELECT {k}, {a}, valid_from, valid_to, "
            f"valid_to IS NULL AS is_current FROM {_NEW}"
        )
        con.execute(f"DROP TABLE {_STAGE}; DROP TABLE {_NEW}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
