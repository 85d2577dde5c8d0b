"""A slowly changing dimension of type 2, merged in DuckDB (solution a).

Style: temp tables + window functions over integer ids. Touched keys are mapped to an integer
key id, and tracked tuples to an integer value id through a DISTINCT dictionary (NULL-safe
equality: DISTINCT groups NULL with NULL, and the join back uses IS NOT DISTINCT FROM).

Model (README R7). Per key, the new history is the union of the table's change points
(each version's valid_from with its values) and the batch's rows (t, values). A batch row at
the same instant as a table point replaces it (R6). Sort by time, drop every point whose
value id equals the previous point's (R3, R4), and each remaining point starts a version that
ends where the next one begins (R1). R3 (no-op rows), R5 (late rows, splits, rows before the
first version) and R6 (corrections) are all special cases of this rule.

The write touches only differences: old rows that are not in the new history are deleted,
and new rows that are not already in the table are inserted.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

_counter = [0]


def _q(name: str) -> str:
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
    keys = list(keys)
    tracked = list(tracked)
    _counter[0] += 1
    pre = f"__scd2a_{_counter[0]}_"
    tb, bt = _q(table), _q(batch)
    kq = [_q(k) for k in keys]
    vq = [_q(c) for c in tracked]
    ts = _q(effective_ts)
    names = {n: _q(pre + n) for n in ("b", "k", "ev", "new")}

    con.execute("BEGIN TRANSACTION")
    try:
        nulls = " OR ".join([f"{k} IS NULL" for k in kq] + [f"{ts} IS NULL"])
        if con.execute(f"SELECT count(*) FROM {bt} WHERE {nulls}").fetchone()[0]:
            raise ValueError("batch row with a NULL key column or a NULL effective_ts")

        klist = ", ".join(kq)
        vlist = ", ".join(vq)
        # Deduplicated batch (DISTINCT: NULL equals NULL); extra batch columns are dropped.
        con.execute(
            f"CREATE TEMP TABLE {names['b']} AS SELECT DISTINCT {klist}, {vlist}, "
            f"{ts} AS __t FROM {bt}"
        )
        bad = con.execute(
            f"SELECT 1 FROM {names['b']} GROUP BY {klist}, __t HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
        if bad is not None:
            raise ValueError("two batch rows with the same key and effective_ts disagree")
        if con.execute(f"SELECT count(*) FROM {names['b']}").fetchone()[0] == 0:
            _drop(con, names)
            con.execute("COMMIT")
            return

        # Touched keys -> integer id.
        con.execute(
            f"CREATE TEMP TABLE {names['k']} AS SELECT {klist}, "
            f"row_number() OVER () AS __kid FROM (SELECT DISTINCT {klist} FROM {names['b']})"
        )
        kjoin_t = " AND ".join(f"x.{k} = k.{k}" for k in kq)
        xv = ", ".join(f"x.{c}" for c in vq)
        vmatch = " AND ".join(f"raw.{c} IS NOT DISTINCT FROM dict.{c}" for c in vq)
        # Events: old versions (src 0) and batch rows (src 1) of the touched keys, with a
        # value id shared by equal tracked tuples.
        con.execute(
            f"""
            CREATE TEMP TABLE {names['ev']} AS
            WITH raw AS (
                SELECT k.__kid, x.valid_from AS __t, 0 AS __src, x.valid_to AS __vt, {xv}
                FROM {tb} x JOIN {names['k']} k ON {kjoin_t}
                UNION ALL
                SELECT k.__kid, x.__t, 1 AS __src, NULL::TIMESTAMP AS __vt, {xv}
                FROM {names['b']} x JOIN {names['k']} k ON {kjoin_t}
            ), dict AS (
                SELECT *, row_number() OVER () AS __vid FROM (SELECT DISTINCT {vlist} FROM raw)
            )
            SELECT raw.*, dict.__vid FROM raw JOIN dict ON {vmatch}
            """
        )
        # New history of the touched keys: one point per (key, instant), the batch row
        # winning over the table's point (R6); drop points equal to the previous one (R3, R4);
        # each remaining point runs until the next (R1).
        con.execute(
            f"""
            CREATE TEMP TABLE {names['new']} AS
            WITH pts AS (
                SELECT __kid, __t, __vid, {vlist} FROM {names['ev']}
                QUALIFY row_number() OVER (PARTITION BY __kid, __t ORDER BY __src DESC) = 1
            ), fused AS (
                SELECT *, lag(__vid) OVER (PARTITION BY __kid ORDER BY __t) AS __pv FROM pts
            ), kept AS (
                SELECT * EXCLUDE (__pv) FROM fused WHERE __pv IS NULL OR __pv <> __vid
            )
            SELECT *, lead(__t) OVER (PARTITION BY __kid ORDER BY __t) AS __vt FROM kept
            """
        )
        # Write only the differences.
        con.execute(
            f"""
            DELETE FROM {tb} USING (
                SELECT k.*, o.__t FROM {names['ev']} o JOIN {names['k']} k ON k.__kid = o.__kid
                WHERE o.__src = 0 AND NOT EXISTS (
                    SELECT 1 FROM {names['new']} n
                    WHERE n.__kid = o.__kid AND n.__t = o.__t AND n.__vid = o.__vid
                      AND n.__vt IS NOT DISTINCT FROM o.__vt)
            ) d
            WHERE {' AND '.join(f'{tb}.{k} = d.{k}' for k in kq)} AND {tb}.valid_from = d.__t
            """
        )
        con.execute(
            f"""
            INSERT INTO {tb} ({klist}, {vlist}, valid_from, valid_to, is_current)
            SELECT {', '.join('k.' + k for k in kq)}, {', '.join('n.' + c for c in vq)},
                   n.__t, n.__vt, n.__vt IS NULL
            FROM {names['new']} n JOIN {names['k']} k ON k.__kid = n.__kid
            WHERE NOT EXISTS (
                SELECT 1 FROM {names['ev']} o
                WHERE o.__src = 0 AND o.__kid = n.__kid AND o.__t = n.__t
                  AND o.__vid = n.__vid AND o.__vt IS NOT DISTINCT FROM n.__vt)
            """
        )
        _drop(con, names)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise


def _drop(con: duckdb.DuckDBPyConnection, names: dict[str, str]) -> None:
    for n in names.values():
        con.execute(f"DROP TABLE IF EXISTS {n}")
