"""Fixtures of the scd2_merge hidden suite: random dimensions and batches, the judge's oracle
(the dimension rebuilt in plain Python from what the table knew and the batch) and a comparison
that explains the first wrong key.

Everything here runs judge-side. Rows are dicts ``{column: value}`` with plain Python values
(``datetime``, ``date``, ``str``, ``int``, ``float``, ``bool``, ``None``); the sandbox's
driver (inside.py) turns them into DuckDB tables and sends back what the table holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

VALID = [("valid_from", "TIMESTAMP"), ("valid_to", "TIMESTAMP"), ("is_current", "BOOLEAN")]
T0 = datetime(2024, 1, 1)

# column name -> SQL type, and a small pool of values (so that no-ops and repeats are common)
COLUMNS = {
    "customer_id": "BIGINT",
    "country": "VARCHAR",
    "region": "VARCHAR",
    "tier": "VARCHAR",
    "credit_limit": "BIGINT",
    "score": "DOUBLE",
    "since": "DATE",
    "vip": "BOOLEAN",
    "segment": "VARCHAR",
}
POOLS = {
    "region": ["eu", "us", "apac", "latam", None],
    "tier": ["bronze", "silver", "gold", "platinum"],
    "credit_limit": [500, 1000, 2500, 10_000, None],
    "score": [0.5, 0.25, 1.75, -3.5, None],
    "since": [date(2019, 5, 1), date(2021, 1, 31), date(2023, 7, 14), None],
    "vip": [True, False, None],
    "segment": ["retail", "smb", "enterprise", None],
}
COUNTRIES = ["de", "fr", "us", "jp"]


# -- worlds ----------------------------------------------------------------------------------


@dataclass
class Spec:
    """The shape of one scenario: key and tracked columns, the table's and the batches'
    column orders (different, with extra batch columns), the names of the tables."""

    keys: list[str]
    tracked: list[str]
    effective_ts: str = "updated_at"
    table: str = "dim_customer"
    table_order: list[str] = field(default_factory=list)
    batch_order: list[str] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)

    def table_columns(self) -> list[tuple[str, str]]:
        types = dict(VALID)
        return [(c, types.get(c) or COLUMNS[c]) for c in self.table_order]

    def batch_columns(self) -> list[tuple[str, str]]:
        extra = dict(self.extra)
        types = {self.effective_ts: "TIMESTAMP", **extra}
        return [(c, types.get(c) or COLUMNS[c]) for c in self.batch_order]

    def key_of(self, row: dict) -> tuple:
        return tuple(row[k] for k in self.keys)

    def values_of(self, row: dict) -> tuple:
        return tuple(row[c] for c in self.tracked)


def make_spec(rng, *, composite: bool | None = None, tracked: list[str] | None = None,
              extra: bool = True) -> Spec:  # fmt: skip
    """A spec with shuffled column orders: the table's and the batch's differ, and the batch
    carries extra columns (one of them of a tracked column's type) that the merge ignores."""
    if composite is None:
        composite = bool(rng.random() < 0.5)
    keys = ["country", "customer_id"] if composite else ["customer_id"]
    if tracked is None:
        tracked = ["region", "tier", "credit_limit"]
    spec = Spec(keys=list(keys), tracked=list(tracked))
    names = [*keys, *tracked]
    table_order = [*names, *(c for c, _ in VALID)]
    spec.table_order = [table_order[i] for i in rng.permutation(len(table_order))]
    spec.extra = [("source_file", "VARCHAR"), ("loaded_at", "TIMESTAMP")] if extra else []
    batch_order = [*names, spec.effective_ts, *(c for c, _ in spec.extra)]
    while True:
        order = [batch_order[i] for i in rng.permutation(len(batch_order))]
        if order[: len(names)] != names:
            break
    spec.batch_order = order
    return spec


def random_values(rng, spec: Spec) -> tuple:
    """Tracked values drawn from the small pools (NULLs included)."""
    return tuple(POOLS[c][int(rng.integers(len(POOLS[c])))] for c in spec.tracked)


def other_values(rng, spec: Spec, values: tuple) -> tuple:
    """Tracked values that differ from ``values`` (in one or more columns)."""
    while True:
        new = list(values)
        for i in rng.choice(len(values), size=int(rng.integers(1, len(values) + 1)),
                            replace=False):  # fmt: skip
            new[i] = POOLS[spec.tracked[i]][int(rng.integers(len(POOLS[spec.tracked[i]])))]
        if tuple(new) != tuple(values):
            return tuple(new)


def key_values(spec: Spec, i: int) -> tuple:
    """The key of entity ``i``."""
    cid = 1000 + 7 * i
    return (COUNTRIES[i % len(COUNTRIES)], cid) if len(spec.keys) == 2 else (cid,)


def at(minutes: int) -> datetime:
    """T0 plus ``minutes`` (the suite's instants are whole minutes, some on equal instants)."""
    return T0 + timedelta(minutes=int(minutes))


def batch_row(spec: Spec, key: tuple, values: tuple, ts, rng=None) -> dict:
    """A batch row: key, tracked values, effective_ts and the ignored extra columns."""
    row = dict(zip(spec.keys, key, strict=True))
    row.update(zip(spec.tracked, values, strict=True))
    row[spec.effective_ts] = ts
    for name, typ in spec.extra:
        if typ == "VARCHAR":
            row[name] = f"crm_{int(rng.integers(1000)) if rng is not None else 0}.csv"
        else:
            row[name] = datetime(2025, 1, 1)
    return row


def history(rng, spec: Spec, n_keys: int, max_versions: int = 5, span: int = 200 * 1440):
    """A valid dimension: ``{key: [(valid_from, values), ...]}`` with 1..max_versions
    versions per key, consecutive values different, instants on whole hours."""
    out = {}
    for i in range(n_keys):
        key = key_values(spec, i)
        n = int(rng.integers(1, max_versions + 1))
        starts = sorted(int(s) * 60 for s in rng.choice(span // 60, size=n, replace=False))
        points, values = [], random_values(rng, spec)
        for s in starts:
            points.append((at(s), values))
            values = other_values(rng, spec, values)
        out[key] = points
    return out


def table_rows(spec: Spec, hist: dict) -> list[dict]:
    """The table rows of a history ``{key: [(valid_from, values), ...]}`` (starts sorted,
    consecutive values different)."""
    rows = []
    for key, points in hist.items():
        for j, (start, values) in enumerate(points):
            end = points[j + 1][0] if j + 1 < len(points) else None
            row = dict(zip(spec.keys, key, strict=True))
            row.update(zip(spec.tracked, values, strict=True))
            row.update(valid_from=start, valid_to=end, is_current=end is None)
            rows.append(row)
    return rows


# -- the oracle --------------------------------------------------------------------------------


class BatchError(Exception):
    """The batch is invalid (R8): the merge must raise ValueError and change nothing."""


def check_batch(spec: Spec, batch: list[dict]) -> None:
    """Raise BatchError for a NULL key or effective_ts, or a conflicting pair of rows."""
    seen: dict[tuple, tuple] = {}
    for row in batch:
        key = spec.key_of(row)
        ts = row[spec.effective_ts]
        if any(v is None for v in key) or ts is None:
            raise BatchError("NULL key or effective_ts")
        values = spec.values_of(row)
        if seen.setdefault((key, ts), values) != values:
            raise BatchError(f"conflicting rows for key {key} at {ts}")


def oracle(spec: Spec, rows: list[dict], batch: list[dict]) -> list[dict]:
    """The table after merging ``batch`` into ``rows``: for every key of the batch, the points
    the table knows (each version's start and values) and the batch's rows (which win at an
    equal instant), in time order; a point whose values equal the previous point's is dropped
    (Python equality: None == None); each remaining point starts a version that ends where the
    next begins. Other keys' rows are kept as they are.

    Raises:
        BatchError: the batch is invalid (R8).
    """
    check_batch(spec, batch)
    touched = {spec.key_of(r) for r in batch}
    points: dict[tuple, dict] = defaultdict(dict)
    out = []
    for row in rows:
        key = spec.key_of(row)
        if key in touched:
            points[key][row["valid_from"]] = spec.values_of(row)
        else:
            out.append(dict(row))
    for row in batch:
        points[spec.key_of(row)][row[spec.effective_ts]] = spec.values_of(row)
    for key, by_ts in points.items():
        kept = []
        for ts in sorted(by_ts):
            if not kept or kept[-1][1] != by_ts[ts]:
                kept.append((ts, by_ts[ts]))
        out.extend(table_rows(spec, {key: kept}))
    return out


def rebuild(spec: Spec, batches: list[list[dict]]) -> list[dict]:
    """The dimension rebuilt from the full history of all rows of ``batches`` at once."""
    return oracle(spec, [], [r for b in batches for r in b])


# -- running the candidate ---------------------------------------------------------------------


def to_tuples(columns, rows: list[dict]) -> list[tuple]:
    return [tuple(r[c] for c, _ in columns) for r in rows]


def run(drive, spec: Spec, rows: list[dict], batches: list[list[dict]],
        names: list[str] | None = None) -> list[dict]:  # fmt: skip
    """Build the table with ``rows``, merge each batch in turn in the sandbox; one result dict
    per batch (see inside.run)."""
    table_cols = spec.table_columns()
    batch_cols = spec.batch_columns()
    steps = [
        {"name": (names[i] if names else f"stg_crm_{i}"), "columns": batch_cols,
         "rows": to_tuples(batch_cols, b)}
        for i, b in enumerate(batches)
    ]  # fmt: skip
    return drive.run(spec.table, table_cols, to_tuples(table_cols, rows), steps, spec.keys,
                     spec.tracked, spec.effective_ts)  # fmt: skip


# -- comparison --------------------------------------------------------------------------------


def _sort_key(value):
    return (value is not None, value if value is not None else 0)


def _fmt_ts(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return repr(v)


def _fmt_version(spec: Spec, row: dict) -> str:
    vals = ", ".join(_fmt_ts(row.get(c)) if row.get(c) is None else repr(row.get(c))
                     for c in spec.tracked)  # fmt: skip
    return (f"[{_fmt_ts(row.get('valid_from'))}, {_fmt_ts(row.get('valid_to'))}) ({vals}) "
            f"current={row.get('is_current')}")  # fmt: skip


def _by_key(spec: Spec, rows: list[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        out[spec.key_of(r)].append(r)
    for versions in out.values():
        versions.sort(key=lambda r: _sort_key(r.get("valid_from")))
    return out


def shape_problem(spec: Spec, versions: list[dict]) -> str | None:
    """What breaks R1 in one key's versions (sorted by valid_from), or None."""
    for j, r in enumerate(versions):
        last = j == len(versions) - 1
        if r.get("valid_from") is None:
            return "a version has valid_from NULL"
        if last:
            if r.get("valid_to") is not None:
                return "the last version's valid_to is not NULL"
            if r.get("is_current") is not True:
                return "the last version's is_current is not TRUE"
        else:
            nxt = versions[j + 1]
            if r.get("valid_to") != nxt.get("valid_from"):
                if r.get("valid_to") is None or (nxt.get("valid_from") is not None
                                                 and r["valid_to"] > nxt["valid_from"]):  # fmt: skip
                    return "two versions overlap"
                return "there is a gap between two versions (valid_to != next valid_from)"
            if r.get("is_current") is not False:
                return "a closed version has is_current not FALSE"
            if spec.values_of(r) == spec.values_of(nxt):
                return "two consecutive versions have the same tracked values"
    return None


def compare(spec: Spec, got: dict, expected: list[dict], *, what: str, hint: str = "",
            batch: list[dict] | None = None) -> None:  # fmt: skip
    """The table snapshot ``got`` (from inside.run) holds exactly ``expected``: the same
    columns and types (R2), and per key the same versions. On a difference, the message names
    the first wrong key, what the table holds for it (a few versions) and the rule."""
    suffix = f" {hint}" if hint else ""
    if "error" in got:
        raise AssertionError(f"{what}: the table could not be read afterwards ({got['error']})")
    want_cols = sorted(spec.table_columns())
    have_cols = sorted((c, t) for c, t in got["columns"])
    if have_cols != want_cols:
        raise AssertionError(
            f"{what}: the table's columns are now {sorted(got['columns'])}, they were "
            f"{want_cols}; R2: the table keeps its columns and their types."
        )
    names = [c for c, _ in got["columns"]]
    rows = [dict(zip(names, r, strict=True)) for r in got["rows"]]
    have, want = _by_key(spec, rows), _by_key(spec, expected)
    batch_keys = {spec.key_of(r) for r in batch or []}
    for key in sorted(set(have) | set(want), key=lambda k: tuple(map(_sort_key, k))):
        h, w = have.get(key, []), want.get(key, [])
        cols = [*spec.keys, *spec.tracked, "valid_from", "valid_to", "is_current"]
        if [tuple(r[c] for c in cols) for r in h] == [tuple(r[c] for c in cols) for r in w]:
            continue
        shown = "; ".join(_fmt_version(spec, r) for r in h[:6]) + (" ..." if len(h) > 6 else "")
        problem = shape_problem(spec, h) if h else None
        where = dict(zip(spec.keys, key, strict=True))
        if key not in batch_keys and batch is not None:
            rule = ("R2: the rows of keys the batch does not mention are left exactly as they "
                    "were (and columns are matched by name).")  # fmt: skip
        elif problem:
            rule = f"R1: {problem}."
        else:
            rule = "the versions differ from what the rules give."
        sub = [r for r in batch or [] if spec.key_of(r) == key]
        sub_txt = "; ".join(
            f"({_fmt_ts(r[spec.effective_ts])}: " + ", ".join(repr(r[c]) for c in spec.tracked)
            + ")" for r in sorted(sub, key=lambda r: _sort_key(r[spec.effective_ts]))[:6]
        )  # fmt: skip
        raise AssertionError(
            f"{what}: key {where} has {len(h)} versions: {shown or 'none'}"
            + (f" (this batch's rows for it: {sub_txt})" if sub_txt else "")
            + f"; {rule}"
            + suffix
        )


def helpers() -> SimpleNamespace:
    """The suite's helpers, as one namespace."""
    return SimpleNamespace(
        Spec=Spec,
        make_spec=make_spec,
        random_values=random_values,
        other_values=other_values,
        key_values=key_values,
        at=at,
        batch_row=batch_row,
        history=history,
        table_rows=table_rows,
        oracle=oracle,
        rebuild=rebuild,
        BatchError=BatchError,
        run=run,
        compare=compare,
        shape_problem=shape_problem,
        POOLS=POOLS,
        VALID=VALID,
        T0=T0,
    )


@pytest.fixture(scope="session")
def scd():
    """The suite's helpers (test files cannot import conftest under --import-mode=importlib)."""
    return helpers()


@pytest.fixture(scope="module")
def drive(inside, sol):
    """The suite's drivers (inside.py) in the candidate's sandbox."""
    return inside(sol)
