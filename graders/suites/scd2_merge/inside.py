"""Sandbox-side drivers of the scd2_merge hidden suite (they hold no solution).

A DuckDB connection cannot cross the channel, so the database is built here, next to the
submitted ``scd2`` module: the judge sends the tables' columns and rows by value, the driver
creates them in a fresh in-memory DuckDB, calls ``merge_scd2`` and sends back what the table
then holds (its columns, their types and its rows) as plain data. The judge compares that with
its own oracle; nothing here decides a verdict.
"""

from __future__ import annotations

import duckdb
import pandas as pd


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database."""
    return duckdb.connect(config={"memory_limit": "2GB"})


def create(con, name: str, columns, rows) -> None:
    """Create table ``name`` with ``columns`` ([(column, SQL type)]) and fill it with ``rows``
    (tuples in column order, or a DataFrame with those columns)."""
    spec = ", ".join(f"{_q(c)} {t}" for c, t in columns)
    con.execute(f"CREATE OR REPLACE TABLE {_q(name)} ({spec})")
    if isinstance(rows, pd.DataFrame):
        frame = rows
    else:
        if not len(rows):
            return
        frame = pd.DataFrame(list(rows), columns=[c for c, _ in columns], dtype=object)
    if not len(frame):
        return
    cast = ", ".join(f"CAST({_q(c)} AS {t}) AS {_q(c)}" for c, t in columns)
    con.register("_kata_rows", frame)
    try:
        con.execute(f"INSERT INTO {_q(name)} BY NAME SELECT {cast} FROM _kata_rows")
    finally:
        con.unregister("_kata_rows")


def snapshot(con, name: str) -> dict:
    """What table ``name`` holds: ``columns`` [(column, type)] and ``rows`` (tuples in that
    column order), or ``error`` when it cannot be read."""
    try:
        described = con.execute(f"DESCRIBE {_q(name)}").fetchall()
        rows = con.execute(f"SELECT * FROM {_q(name)}").fetchall()
    except duckdb.Error as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return {"columns": [[str(r[0]), str(r[1])] for r in described], "rows": rows}


def _merge(con, table, batch, keys, tracked, effective_ts) -> list | None:
    import scd2

    try:
        scd2.merge_scd2(con, table, batch, list(keys), list(tracked), effective_ts)
    except Exception as exc:  # reported to the judge as data
        return [type(exc).__name__, isinstance(exc, ValueError), str(exc)[:500]]
    return None


def run(table: str, columns, rows, steps, keys, tracked, effective_ts) -> list[dict]:
    """Create the dimension ``table`` (``columns``, ``rows``), then for each step (a dict with
    the batch's ``name``, ``columns`` and ``rows``) create the batch table and call
    ``merge_scd2``. Returns one dict per step: ``error`` (None, or [exception class name, is a
    ValueError, message]), ``table`` (the dimension's snapshot after the step) and ``batch``
    (the batch table's snapshot after the step)."""
    con = connect()
    try:
        create(con, table, columns, rows)
        out = []
        for step in steps:
            create(con, step["name"], step["columns"], step["rows"])
            error = _merge(con, table, step["name"], keys, tracked, effective_ts)
            out.append({"error": error, "table": snapshot(con, table)})
        return out
    finally:
        con.close()


class Case:
    """One prepared merge of the performance gate: the database is built when the case is
    made (not timed); :meth:`merge` is the timed call."""

    def __init__(self, table, columns, frame, batch, batch_columns, batch_frame, keys, tracked,
                 effective_ts, merge=None):  # fmt: skip
        self.con = connect()
        self.args = (table, batch, list(keys), list(tracked), effective_ts)
        self.table = table
        self._merge = merge
        create(self.con, table, columns, frame)
        create(self.con, batch, batch_columns, batch_frame)

    def merge(self) -> None:
        """Merge the batch into the table (``scd2.merge_scd2``, or the case's own merge)."""
        if self._merge is None:
            import scd2

            scd2.merge_scd2(self.con, *self.args)
        else:
            self._merge(self.con, *self.args)

    def result(self) -> pd.DataFrame:
        """The table's rows, as a DataFrame (read after :meth:`merge`); text columns as
        categoricals (compact on the channel)."""
        frame = self.con.execute(f"SELECT * FROM {_q(self.table)}").df()
        for name in frame.columns:
            if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name]):
                frame[name] = frame[name].astype("category")
        return frame

    def close(self) -> None:
        self.con.close()


def prepare(*args) -> Case:
    """A :class:`Case` of ``scd2.merge_scd2`` (see its arguments)."""
    return Case(*args)
