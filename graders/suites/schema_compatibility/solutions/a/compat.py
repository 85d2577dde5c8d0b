"""Avro schema-evolution checks (solution a: recursive normalisation + recursive comparison).

Schemas are first normalised, recursively, into plain tuples:

    ("prim", name)
    ("record", name, aliases, fields)   fields: tuple of (fname, faliases, has_default, schema)
    ("enum", name, aliases, symbols, has_default)
    ("array", items)
    ("map", values)
    ("fixed", name, aliases, size)
    ("union", branches)

and then compared by a recursive function that returns a list of (path, kind) pairs.
"""

import json

PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
MODES = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)

# reader primitive -> writer primitives it reads
_PROMOTIONS = {
    "null": {"null"},
    "boolean": {"boolean"},
    "int": {"int"},
    "long": {"long", "int"},
    "float": {"float", "int", "long"},
    "double": {"double", "int", "long", "float"},
    "bytes": {"bytes", "string"},
    "string": {"string", "bytes"},
}


def _names(value, what):
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("%s must be a list of strings" % what)
    return tuple(value)


def _norm(data, in_union=False):
    """Normalise Python schema data (already JSON-decoded) into the tuple form."""
    if isinstance(data, str):
        if data in PRIMITIVES:
            return ("prim", data)
        raise ValueError("unknown type name: %r" % (data,))
    if isinstance(data, list):
        if in_union:
            raise ValueError("a union directly inside a union")
        return ("union", tuple(_norm(b, True) for b in data))
    if not isinstance(data, dict):
        raise ValueError("not a schema: %r" % (data,))
    t = data.get("type")
    if not isinstance(t, str):
        raise ValueError("schema type must be a type name: %r" % (t,))
    if t in PRIMITIVES:
        return ("prim", t)
    if t == "record":
        fields = data.get("fields")
        if not isinstance(fields, list):
            raise ValueError("a record needs a list of fields")
        out = []
        for f in fields:
            if not isinstance(f, dict) or not isinstance(f.get("name"), str) or "type" not in f:
                raise ValueError("malformed record field: %r" % (f,))
            out.append(
                (f["name"], _names(f.get("aliases"), "field aliases"), "default" in f, _norm(f["type"]))
            )
        return ("record", data.get("name"), _names(data.get("aliases"), "aliases"), tuple(out))
    if t == "enum":
        symbols = data.get("symbols")
        if not isinstance(symbols, list) or not all(isinstance(x, str) for x in symbols):
            raise ValueError("an enum needs a list of symbols")
        return (
            "enum",
            data.get("name"),
            _names(data.get("aliases"), "aliases"),
            frozenset(symbols),
            "default" in data,
        )
    if t == "array":
        if "items" not in data:
            raise ValueError("an array needs items")
        return ("array", _norm(data["items"]))
    if t == "map":
        if "values" not in data:
            raise ValueError("a map needs values")
        return ("map", _norm(data["values"]))
    if t == "fixed":
        size = data.get("size")
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValueError("a fixed needs an integer size")
        return ("fixed", data.get("name"), _names(data.get("aliases"), "aliases"), size)
    raise ValueError("unknown type name: %r" % (t,))


def _parse(schema):
    """Top-level argument -> normalised schema (R1, R11)."""
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return ("prim", schema)
        try:
            data = json.loads(schema)
        except (ValueError, TypeError):
            raise ValueError("neither a primitive name nor JSON text: %r" % (schema,)) from None
        return _norm(data)
    return _norm(schema)


def _name_ok(reader, writer):
    return reader[1] == writer[1] or writer[1] in reader[2]


def _check(r, w, path):
    """Problems reading writer ``w`` with reader ``r`` (both normalised) at ``path``."""
    # R8: writer union first -- every branch must be readable.
    if w[0] == "union":
        out = []
        for branch in w[1]:
            out.extend(_check(r, branch, path))
        return out
    if r[0] == "union":
        for branch in r[1]:
            if not _check(branch, w, path):
                return []
        return [(path, "MISSING_UNION_BRANCH")]
    kind = r[0]
    if kind == "prim":
        if w[0] == "prim" and w[1] in _PROMOTIONS[r[1]]:
            return []
        return [(path, "TYPE_MISMATCH")]
    if kind != w[0]:
        return [(path, "TYPE_MISMATCH")]
    if kind == "array":
        return _check(r[1], w[1], path + "[]")
    if kind == "map":
        return _check(r[1], w[1], path + "{}")
    out = []
    if not _name_ok(r, w):
        out.append((path, "NAME_MISMATCH"))
    if kind == "fixed":
        if r[3] != w[3]:
            out.append((path, "FIXED_SIZE_MISMATCH"))
        return out
    if kind == "enum":
        if not r[4] and not (w[3] <= r[3]):
            out.append((path, "MISSING_ENUM_SYMBOLS"))
        return out
    # record
    wfields = {}
    for fname, _aliases, _default, fschema in w[3]:
        wfields.setdefault(fname, fschema)
    for fname, faliases, has_default, fschema in r[3]:
        sub = path + "." + fname
        match = wfields.get(fname)
        if match is None:
            for alias in faliases:
                if alias in wfields:
                    match = wfields[alias]
                    break
        if match is None:
            if not has_default:
                out.append((sub, "READER_FIELD_MISSING_DEFAULT_VALUE"))
        else:
            out.extend(_check(fschema, match, sub))
    return out


def _dedup(pairs):
    seen = set()
    out = []
    for p in pairs:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def compatibility_problems(reader, writer):
    r = _parse(reader)
    w = _parse(writer)
    return _dedup(_check(r, w, "$"))


def is_compatible(new_schema, history, mode):
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError("unknown compatibility mode: %r" % (mode,))
    new = _parse(new_schema)
    versions = [_parse(s) for s in history]
    if mode == "NONE" or not versions:
        return True
    targets = versions if mode.endswith("_TRANSITIVE") else versions[-1:]
    backward = mode.startswith(("BACKWARD", "FULL"))
    forward = mode.startswith(("FORWARD", "FULL"))
    for old in targets:
        if backward and _check(new, old, "$"):
            return False
        if forward and _check(old, new, "$"):
            return False
    return True
