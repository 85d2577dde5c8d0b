"""Avro schema-evolution checks as the Confluent Schema Registry runs them (reference solution).

The reader/writer rules are Avro's schema resolution (Avro 1.11 specification, "Schema
Resolution") as checked by ``org.apache.avro.SchemaCompatibility`` (the checker behind
Confluent's ``AvroCompatibilityChecker``), with its incompatibility kinds; the modes are those of
the Confluent Schema Registry documentation ("Schema Evolution and Compatibility": BACKWARD,
FORWARD, FULL, their TRANSITIVE forms, NONE). Paths use the kata's own notation (README.md).
"""

from __future__ import annotations

import json
from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
COMPLEX = frozenset({"record", "enum", "array", "map", "fixed"})

# reader type -> writer types it also reads (Avro's promotions)
PROMOTIONS = {
    "long": {"int"},
    "float": {"int", "long"},
    "double": {"int", "long", "float"},
    "string": {"bytes"},
    "bytes": {"string"},
}

MODES = frozenset(
    {
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
        "NONE",
    }
)


def _bad(msg: str) -> ValueError:
    return ValueError(f"malformed schema: {msg}")


def _name(node: dict, what: str) -> str:
    name = node.get("name")
    if not isinstance(name, str) or not name:
        raise _bad(f"{what} needs a non-empty string 'name'")
    return name


def _aliases(node: dict) -> frozenset[str]:
    aliases = node.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise _bad("'aliases' must be a list of strings")
    return frozenset(aliases)


def _parse(schema: Any) -> Any:
    """Validate a schema and return its canonical form: a primitive name (str), a list of
    canonical branches (a union), or a dict with 'type' and the attributes the checks use."""
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return schema
        raise _bad(f"unknown type name {schema!r}")
    if isinstance(schema, list):
        if not schema:
            raise _bad("empty union")
        branches = []
        for branch in schema:
            if isinstance(branch, list):
                raise _bad("a union directly inside a union")
            parsed = _parse(branch)
            if isinstance(parsed, list):  # {"type": [...]} as a branch
                raise _bad("a union directly inside a union")
            branches.append(parsed)
        return branches
    if not isinstance(schema, dict):
        raise _bad(f"a schema is a str, dict or list, got {type(schema).__name__}")
    kind = schema.get("type")
    if isinstance(kind, (list, dict)):
        return _parse(kind)
    if not isinstance(kind, str):
        raise _bad("a dict schema needs a 'type'")
    if kind in PRIMITIVES:
        return kind
    if kind not in COMPLEX:
        raise _bad(f"unknown type name {kind!r}")
    if kind == "array":
        if "items" not in schema:
            raise _bad("array without 'items'")
        return {"type": "array", "items": _parse(schema["items"])}
    if kind == "map":
        if "values" not in schema:
            raise _bad("map without 'values'")
        return {"type": "map", "values": _parse(schema["values"])}
    name = _name(schema, kind)
    aliases = _aliases(schema)
    if kind == "fixed":
        size = schema.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _bad(f"fixed {name!r} needs an int 'size' >= 0")
        return {"type": "fixed", "name": name, "aliases": aliases, "size": size}
    if kind == "enum":
        symbols = schema.get("symbols")
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise _bad(f"enum {name!r} needs a list of string 'symbols'")
        if len(set(symbols)) != len(symbols):
            raise _bad(f"enum {name!r} has duplicate symbols")
        has_default = "default" in schema
        if has_default and schema["default"] not in symbols:
            raise _bad(f"enum {name!r} default is not one of its symbols")
        return {
            "type": "enum",
            "name": name,
            "aliases": aliases,
            "symbols": frozenset(symbols),
            "has_default": has_default,
        }
    fields = schema.get("fields")
    if not isinstance(fields, list):
        raise _bad(f"record {name!r} needs a list of 'fields'")
    parsed_fields = []
    seen = set()
    for field in fields:
        if not isinstance(field, dict) or "type" not in field:
            raise _bad(f"record {name!r}: a field is a dict with 'name' and 'type'")
        fname = _name(field, "a field")
        if fname in seen:
            raise _bad(f"record {name!r} has two fields named {fname!r}")
        seen.add(fname)
        parsed_fields.append(
            {
                "name": fname,
                "aliases": _aliases(field),
                "type": _parse(field["type"]),
                "has_default": "default" in field,
            }
        )
    return {"type": "record", "name": name, "aliases": aliases, "fields": parsed_fields}


def parse_schema(schema: Any) -> Any:
    """Canonical form of a schema given as Python data or as JSON text.

    Raises:
        ValueError: the schema is malformed (README.md, R10).
    """
    if isinstance(schema, str) and schema not in PRIMITIVES:
        try:
            schema = json.loads(schema)
        except json.JSONDecodeError as exc:
            raise _bad(f"not a type name and not JSON text: {exc}") from None
    return _parse(schema)


def _kind(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "union"
    return node["type"]


def _check(reader: Any, writer: Any, path: str, out: set) -> None:
    """Add to ``out`` every (path, kind) that keeps ``reader`` from reading ``writer`` data."""
    rk, wk = _kind(reader), _kind(writer)
    if wk == "union":
        # every branch the writer may have used must be readable
        for branch in writer:
            _check(reader, branch, path, out)
        return
    if rk == "union":
        for branch in reader:
            trial: set = set()
            _check(branch, writer, path, trial)
            if not trial:
                return
        out.add((path, "MISSING_UNION_BRANCH"))
        return
    if rk != wk:
        if wk not in PROMOTIONS.get(rk, ()):
            out.add((path, "TYPE_MISMATCH"))
        return
    if rk in PRIMITIVES:
        return
    if rk == "array":
        _check(reader["items"], writer["items"], path + "[]", out)
        return
    if rk == "map":
        _check(reader["values"], writer["values"], path + "{}", out)
        return
    # named types: the reader's name, or one of the reader's aliases, is the writer's name
    if reader["name"] != writer["name"] and writer["name"] not in reader["aliases"]:
        out.add((path, "NAME_MISMATCH"))
    if rk == "fixed":
        if reader["size"] != writer["size"]:
            out.add((path, "FIXED_SIZE_MISMATCH"))
        return
    if rk == "enum":
        if not reader["has_default"] and not writer["symbols"] <= reader["symbols"]:
            out.add((path, "MISSING_ENUM_SYMBOLS"))
        return
    writer_fields = {f["name"]: f for f in writer["fields"]}
    for field in reader["fields"]:
        fpath = f"{path}.{field['name']}"
        match = writer_fields.get(field["name"])
        if match is None:
            for alias in field["aliases"]:
                if alias in writer_fields:
                    match = writer_fields[alias]
                    break
        if match is None:
            if not field["has_default"]:
                out.add((fpath, "READER_FIELD_MISSING_DEFAULT_VALUE"))
        else:
            _check(field["type"], match["type"], fpath, out)


def compatibility_problems(reader: Any, writer: Any) -> list[tuple[str, str]]:
    """Why data written with ``writer`` cannot be read with ``reader``: a list of
    ``(path, kind)`` pairs, each once, sorted; empty when the reader reads every datum the
    writer can write.

    Raises:
        ValueError: either schema is malformed.
    """
    out: set = set()
    _check(parse_schema(reader), parse_schema(writer), "$", out)
    return sorted(out)


def _reads(reader: Any, writer: Any) -> bool:
    out: set = set()
    _check(reader, writer, "$", out)
    return not out


def is_compatible(new_schema: Any, history: list, mode: str) -> bool:
    """Whether ``new_schema`` may be registered after ``history`` (oldest first) under the
    Confluent compatibility ``mode``.

    Raises:
        ValueError: an unknown mode, or a malformed schema (the new one or any in history).
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"unknown compatibility mode {mode!r}; one of {sorted(MODES)}")
    new = parse_schema(new_schema)
    olds = [parse_schema(s) for s in history]
    if mode == "NONE" or not olds:
        return True
    against = olds if mode.endswith("_TRANSITIVE") else olds[-1:]
    base = mode.removesuffix("_TRANSITIVE")
    for old in against:
        if base in ("BACKWARD", "FULL") and not _reads(new, old):
            return False
        if base in ("FORWARD", "FULL") and not _reads(old, new):
            return False
    return True
