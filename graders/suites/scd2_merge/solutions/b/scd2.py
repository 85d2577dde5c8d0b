"""A slowly changing dimension of type 2, merged in DuckDB (solution b).

Style: one CTE pipeline (window functions only) builds the new history of the touched keys,
partitioned on the original key columns; tracked values are compared column by column with
IS NOT DISTINCT FROM (NULL equals NULL); the write replaces, key by key, only the keys whose
history actually changed.

README R7: per key, take the table's change points (valid_from, values) and the batch rows
(effective_ts, values) together; at one instant the batch row replaces the table's point (R6);
sort by time; drop every point whose values equal the previous point's (R3, R4); each
remaining point starts a version that ends where the next begins (R1).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

_seq = [0]


def _id(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def merge_scd2(
    con: duckdb.DuckDBPyConnection,
    table: str,
    batch: str,
    keys: Sequence[str],
    tracked: Sequence[str],
    effective_ts: str,
) -> None:
    """Merge the rows of ``batch`` into the type 2 dimension ``table`` (Kimball SCD2)."""
    K = [_id(k) for k in keys]
    V = [_id(c) for c in tracked]
    TS = _id(effective_ts)
    T, B = _id(table), _id(batch)
    _seq[0] += 1
    nh = _id(f"__scd2b_nh_{_seq[0]}")
    ck = _id(f"__scd2b_ck_{_seq[0]}")

    def cols(alias, names):
        return ", ".join(f"{alias}.{n}" for n in names)

    def keq(a, b):
        return " AND ".join(f"{a}.{k} = {b}.{k}" for k in K)

    kl, vl = ", ".join(K), ", ".join(V)
    part = f"PARTITION BY {kl}"
    lags = [_id(f"__l{i}") for i in range(len(V))]

    con.execute("BEGIN TRANSACTION")
    try:
        null_key = " OR ".join(f"{k} IS NULL" for k in K)
        n_null, n_conf, n_rows = con.execute(
            f"""
            WITH d AS (SELECT DISTINCT {kl}, {vl}, {TS} FROM {B})
            SELECT
              (SELECT count(*) FROM {B} WHERE {null_key} OR {TS} IS NULL),
              (SELECT count(*) FROM (SELECT 1 FROM d GROUP BY {kl}, {TS} HAVING count(*) > 1)),
              (SELECT count(*) FROM d)
            """
        ).fetchone()
        if n_null:
            raise ValueError("a batch row has a NULL key column or a NULL effective_ts")
        if n_conf:
            raise ValueError("batch rows with the same key and effective_ts disagree")
        if n_rows == 0:
            con.execute("COMMIT")
            return

        con.execute(
            f"""
            CREATE TEMP TABLE {nh} AS
            WITH
            bd AS MATERIALIZED (SELECT DISTINCT {kl}, {vl}, {TS} AS __ts FROM {B}),
            bk AS MATERIALIZED (SELECT DISTINCT {kl} FROM bd),
            old AS (
                SELECT {cols('x', K)}, {cols('x', V)}, x.valid_from AS __ts
                FROM {T} x SEMI JOIN bk ON {keq('x', 'bk')}
            ),
            pts AS (
                SELECT {kl}, {vl}, __ts FROM (
                    SELECT {kl}, {vl}, __ts, 0 AS __src FROM old
                    UNION ALL
                    SELECT {kl}, {vl}, __ts, 1 AS __src FROM bd
                ) u
                QUALIFY row_number() OVER ({part}, __ts ORDER BY __src DESC) = 1
            ),
            lagged AS (
                SELECT *, row_number() OVER y AS __i,
                  {', '.join(f'lag({c}) OVER y AS {l}' for c, l in zip(V, lags))}
                FROM pts WINDOW y AS ({part} ORDER BY __ts)
            ),
            kept AS (
                SELECT {kl}, {vl}, __ts FROM lagged
                WHERE __i = 1 OR NOT ({' AND '.join(
                    f'{c} IS NOT DISTINCT FROM {l}' for c, l in zip(V, lags))})
            )
            SELECT *, lead(__ts) OVER ({part} ORDER BY __ts) AS __vt FROM kept
            """
        )
        # Keys whose history changed: symmetric difference of the old and new histories.
        con.execute(
            f"""
            CREATE TEMP TABLE {ck} AS
            WITH old AS (
                SELECT {cols('x', K)}, {cols('x', V)}, x.valid_from AS __ts, x.valid_to AS __vt
                FROM {T} x SEMI JOIN (SELECT DISTINCT {kl} FROM {nh}) k ON {keq('x', 'k')}
            ), nw AS (SELECT {kl}, {vl}, __ts, __vt FROM {nh})
            SELECT DISTINCT {kl} FROM (
                (SELECT * FROM old EXCEPT SELECT * FROM nw)
                UNION ALL
                (SELECT * FROM nw EXCEPT SELECT * FROM old)
            )
            """
        )
        con.execute(f"DELETE FROM {T} x USING {ck} c WHERE {keq('x', 'c')}")
        con.execute(
            f"""
            INSERT INTO {T} ({kl}, {vl}, valid_from, valid_to, is_current)
            SELECT {cols('n', K)}, {cols('n', V)}, n.__ts, n.__vt, n.__vt IS NULL
            FROM {nh} n SEMI JOIN {ck} c ON {keq('n', 'c')}
            """
        )
        con.execute(f"DROP TABLE {nh}")
        con.execute(f"DROP TABLE {ck}")
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
