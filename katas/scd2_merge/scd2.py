"""A slowly changing dimension of type 2, merged in DuckDB.

Fill in ``merge_scd2``. Read README.md first: it states what a version is, what a batch row
does to the history (no-op rows, re-runs, NULLs, late rows, corrections, several rows per key),
the errors to raise and the performance target.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb


def merge_scd2(
    con: duckdb.DuckDBPyConnection,
    table: str,
    batch: str,
    keys: Sequence[str],
    tracked: Sequence[str],
    effective_ts: str,
) -> None:
    """Merge the rows of ``batch`` into the type 2 dimension ``table`` (Kimball SCD2).

    Each batch row says: from ``effective_ts`` on, the entity with these key values has these
    tracked values. The table holds, per key, the versions of its tracked values over time:
    ``[valid_from, valid_to)`` intervals that never overlap and leave no gaps, the last one
    open (``valid_to`` NULL, ``is_current`` TRUE).

    Args:
        con: an open DuckDB connection, in auto-commit mode, holding both tables.
        table: name of the dimension table: the key columns, the tracked columns,
            ``valid_from`` TIMESTAMP, ``valid_to`` TIMESTAMP and ``is_current`` BOOLEAN, in
            any column order. It may be empty.
        batch: name of a table or view in ``con`` with the key columns, the tracked columns
            (same types as the table's) and the ``effective_ts`` TIMESTAMP column, in any
            column order; other columns are ignored.
        keys: the business key columns (one or more; never NULL in valid input).
        tracked: the tracked attribute columns (one or more; NULL is a value).
        effective_ts: the batch column holding when each row's values took effect.

    Returns:
        None. The table is changed in place; the batch is not.

    Raises:
        ValueError: a batch row has a NULL key column or a NULL ``effective_ts``, or two batch
            rows have the same key and ``effective_ts`` but different tracked values. The
            table is then left exactly as it was.
    """
    raise NotImplementedError
