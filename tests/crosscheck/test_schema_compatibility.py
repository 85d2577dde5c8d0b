"""Cross-check of reference/schema_compatibility against fastavro's schema resolution: data
written with one schema (``schemaless_writer``) and read with the other
(``schemaless_reader(..., writer_schema, reader_schema)``), on randomised schema pairs.

Where the reference says the reader reads the writer, fastavro reads every datum; where it
reports problems, fastavro fails on at least one datum (the data cover every union branch and
enum symbol, containers are never empty). Pairs come from the hidden suite's evolutions (random
schemas edited at random places: fields added, removed, renamed with aliases, types changed,
made optional, enums grown, fixed sizes, records renamed) and from independent random leaf
changes. Needs only ``fastavro``."""

import copy
import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pytest

fastavro = pytest.importorskip("fastavro")

_GEN = Path(__file__).resolve().parents[2] / "graders/suites/schema_compatibility/schemagen.py"


def _schemagen():
    spec = importlib.util.spec_from_file_location("_crosscheck_schemagen", _GEN)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return sys.modules[spec.name]


def _kind(t):
    if isinstance(t, str):
        return t
    if isinstance(t, list):
        return "union"
    return t["type"]


def datum(rng, t):
    """A random value of schema t (fastavro's Python form); unions pick a random branch."""
    k = _kind(t)
    if k == "union":
        return datum(rng, t[int(rng.integers(len(t)))])
    if k == "null":
        return None
    if k == "boolean":
        return bool(rng.integers(2))
    if k == "int":
        return int(rng.integers(-(2**31), 2**31))
    if k == "long":
        return int(rng.integers(-(2**62), 2**62))
    if k in ("float", "double"):
        return float(rng.integers(-1000, 1000)) / 4
    if k == "string":
        return "s" * int(rng.integers(0, 5))
    if k == "bytes":
        return b"b" * int(rng.integers(0, 5))  # ASCII: readable as a string too
    if k == "fixed":
        return b"x" * t["size"]
    if k == "enum":
        return t["symbols"][int(rng.integers(len(t["symbols"])))]
    if k == "array":
        return [datum(rng, t["items"]) for _ in range(int(rng.integers(1, 4)))]
    if k == "map":
        return {f"k{i}": datum(rng, t["values"]) for i in range(int(rng.integers(1, 4)))}
    return {f["name"]: datum(rng, f["type"]) for f in t["fields"]}


def fastavro_reads(rng, reader, writer, n=60) -> tuple[int, int]:
    """(data read, data tried) for n random data written with ``writer``."""
    w = fastavro.parse_schema(copy.deepcopy(writer))
    r = fastavro.parse_schema(copy.deepcopy(reader))
    ok = 0
    for _ in range(n):
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, w, datum(rng, writer))
        buf.seek(0)
        try:
            fastavro.schemaless_reader(buf, w, r)
        except Exception:  # noqa: BLE001 - any failure to resolve is "cannot read"
            continue
        ok += 1
    return ok, n


def _leaf_pair(rng, gen):
    """Two random schemas that differ by independent random leaf changes (primitives swapped,
    unions widened or narrowed), both from one random base."""
    names = gen.Names(rng)
    base = gen.random_record(rng, names, 2, min_fields=2)
    other = copy.deepcopy(base)
    fields = [f for r, _ in gen.walk_records(other) for f in r["fields"]]
    for f in rng.choice(len(fields), size=min(3, len(fields)), replace=False):
        field = fields[int(f)]
        field.pop("default", None)
        choice = rng.random()
        if choice < 0.6:
            field["type"] = gen.PRIMS[int(rng.integers(len(gen.PRIMS)))]
        elif choice < 0.8:
            field["type"] = ["null", "int", "string"][: int(rng.integers(1, 4))]
        else:
            field["type"] = ["long", "bytes"]
    for r, _ in gen.walk_records(base):
        for f in r["fields"]:
            f.pop("default", None)
    return base, other


def _pairs(seed, count=40):
    gen = _schemagen()
    rng = np.random.default_rng(seed)
    for i in range(count):
        if i % 2:
            ev = gen.evolve(rng, depth=2, n_edits=int(rng.integers(1, 4)))
            yield ev.new, ev.old
            yield ev.old, ev.new
        else:
            a, b = _leaf_pair(rng, gen)
            yield a, b
            yield b, a


@pytest.mark.parametrize("seed", range(4))
def test_verdict_matches_fastavro(reference_module, seed):
    """compatibility_problems(reader, writer) is empty exactly when fastavro reads every datum
    written with ``writer`` using ``reader``."""
    compat = reference_module("schema_compatibility", "compat")
    rng = np.random.default_rng(1000 + seed)
    seen = {True: 0, False: 0}
    for reader, writer in _pairs(seed):
        problems = compat.compatibility_problems(reader, writer)
        ok, n = fastavro_reads(rng, reader, writer)
        if problems:
            assert ok < n, f"reference reports {problems}, fastavro read all {n} data"
        else:
            assert ok == n, f"reference says compatible, fastavro failed {n - ok}/{n} data"
        seen[not problems] += 1
    assert seen[True] >= 10 and seen[False] >= 10, seen  # both verdicts are exercised


@pytest.mark.parametrize("seed", range(2))
def test_modes_match_fastavro(reference_module, seed):
    """BACKWARD / FORWARD / FULL of is_compatible agree with fastavro reading in each
    direction (new reads the latest's data; the latest reads the new schema's data)."""
    compat = reference_module("schema_compatibility", "compat")
    rng = np.random.default_rng(2000 + seed)
    for new, old in list(_pairs(100 + seed, count=20))[::2]:
        backward = fastavro_reads(rng, new, old)
        forward = fastavro_reads(rng, old, new)
        b_ok, f_ok = backward[0] == backward[1], forward[0] == forward[1]
        assert compat.is_compatible(new, [old], "BACKWARD") is b_ok
        assert compat.is_compatible(new, [old], "FORWARD") is f_ok
        assert compat.is_compatible(new, [old], "FULL") is (b_ok and f_ok)
