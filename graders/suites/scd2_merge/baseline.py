"""The bar of scd2_merge's performance gate (baseline sandbox only): a plain set-based SCD2
merge, the rebuild of every touched key written as it reads: all points of the touched keys
(the table's version starts and the batch's rows), the batch's row kept where both have one at
the same instant (``row_number``), consecutive repeats dropped (``lag`` with
``IS DISTINCT FROM``), intervals closed with ``lead``, then the touched keys' versions replaced
in one transaction."""

from __future__ import annotations

import inside


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def merge(con, table, batch, keys, tracked, effective_ts) -> None:
    k = ", ".join(_q(c) for c in keys)
    a = ", ".join(_q(c) for c in tracked)
    on_key = " AND ".join(f"t.{_q(c)} = b.{_q(c)}" for c in keys)
    lags = ", ".join(f"lag({_q(c)}) OVER w AS _p{i}" for i, c in enumerate(tracked))
    changed = " OR ".join(f"{_q(c)} IS DISTINCT FROM _p{i}" for i, c in enumerate(tracked))
    nulls = " OR ".join(f"{_q(c)} IS NULL" for c in [*keys, effective_ts])
    con.execute("BEGIN")
    try:
        con.execute(
            f"CREATE TEMP TABLE _b AS SELECT DISTINCT {k}, {a}, {_q(effective_ts)} AS _ts "
            f"FROM {_q(batch)}"
        )
        n_null = con.execute(f"SELECT count(*) FROM {_q(batch)} WHERE {nulls}").fetchone()[0]
        n_conflict = con.execute(
            f"SELECT count(*) FROM (SELECT {k}, _ts FROM _b GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        if n_null or n_conflict:
            raise ValueError("invalid batch")
        con.execute(
            f"""
            CREATE TEMP TABLE _v AS
            WITH pts AS (
                SELECT {k}, {a}, valid_from AS _ts, 0 AS _src FROM {_q(table)} t
                WHERE EXISTS (SELECT 1 FROM _b b WHERE {on_key})
                UNION ALL
                SELECT {k}, {a}, _ts, 1 AS _src FROM _b
            ), one AS (
                SELECT * FROM pts
                QUALIFY row_number() OVER (PARTITION BY {k}, _ts ORDER BY _src DESC) = 1
            ), marked AS (
                SELECT *, {lags}, row_number() OVER w AS _n FROM one
                WINDOW w AS (PARTITION BY {k} ORDER BY _ts)
            )
            SELECT {k}, {a}, _ts AS valid_from,
                   lead(_ts) OVER (PARTITION BY {k} ORDER BY _ts) AS valid_to
            FROM marked WHERE _n = 1 OR {changed}
            """
        )
        con.execute(f"DELETE FROM {_q(table)} t WHERE EXISTS (SELECT 1 FROM _b b WHERE {on_key})")
        con.execute(
            f"INSERT INTO {_q(table)} BY NAME SELECT *, valid_to IS NULL AS is_current FROM _v"
        )
        con.execute("DROP TABLE _b; DROP TABLE _v")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def prepare(*args) -> inside.Case:
    """A prepared case (see inside.Case) whose timed merge is this module's ``merge``."""
    return inside.Case(*args, merge=merge)
