"""Random Avro schemas and evolutions whose problems are known by construction.

``evolve(rng)`` draws a random schema ``old``, copies it to ``new`` and applies a few edits at
places that no union encloses (records reached through fields, array items and map values only),
each on its own field; every edit knows what it does to both directions:
``fwd`` = problems of compatibility_problems(new, old) (new reads old data), ``bwd`` = problems
of compatibility_problems(old, new). The untouched parts are equal, hence problem-free. This is
the suite's oracle: it is independent of any checker implementation.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

PRIMS = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
# reader -> writers it reads (README R3), written out independently of any solution
READS = {
    "null": {"null"},
    "boolean": {"boolean"},
    "int": {"int"},
    "long": {"long", "int"},
    "float": {"float", "int", "long"},
    "double": {"double", "int", "long", "float"},
    "bytes": {"bytes", "string"},
    "string": {"string", "bytes"},
}
DEFAULTS = {
    "null": None,
    "boolean": False,
    "int": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "bytes": "",
    "string": "",
}


class Names:
    """Unique names for fields and named types within one generated schema."""

    def __init__(self, rng, prefix=""):
        self.rng = rng
        self.n = 0
        self.prefix = prefix

    def __call__(self, kind: str) -> str:
        self.n += 1
        stem = {"field": "f", "record": "R", "enum": "E", "fixed": "X"}[kind]
        return f"{stem}{self.prefix}{self.n}"


def prim_form(rng, name: str):
    """A primitive as a bare name or wrapped as {"type": name} (README R1)."""
    return {"type": name} if rng.random() < 0.3 else name


def random_type(rng, names: Names, depth: int, allow_union: bool = True):
    r = rng.random()
    if depth <= 0 or r < 0.4:
        return prim_form(rng, PRIMS[int(rng.integers(len(PRIMS)))])
    if r < 0.6:
        return random_record(rng, names, depth - 1)
    if r < 0.68:
        k = int(rng.integers(1, 5))
        return {"type": "enum", "name": names("enum"), "symbols": [f"S{i}" for i in range(k)]}
    if r < 0.76:
        return {"type": "array", "items": random_type(rng, names, depth - 1)}
    if r < 0.84:
        return {"type": "map", "values": random_type(rng, names, depth - 1)}
    if r < 0.9:
        return {"type": "fixed", "name": names("fixed"), "size": int(rng.integers(1, 9))}
    if not allow_union:
        return prim_form(rng, "string")
    others = [p for p in PRIMS if p != "null"]
    picks = list(rng.choice(others, size=int(rng.integers(1, 3)), replace=False))
    if rng.random() < 0.4:
        picks.append(random_record(rng, names, depth - 1))
    return ["null", *picks]


def random_record(rng, names: Names, depth: int, min_fields: int = 1):
    fields = []
    for _ in range(int(rng.integers(min_fields, 5))):
        fields.append({"name": names("field"), "type": random_type(rng, names, depth)})
    return {"type": "record", "name": names("record"), "fields": fields}


def walk_records(schema, path="$"):
    """(record dict, path) for every record reachable without crossing a union."""
    if isinstance(schema, dict):
        t = schema.get("type")
        if t == "record":
            yield schema, path
            for f in schema["fields"]:
                yield from walk_records(f["type"], f"{path}.{f['name']}")
        elif t == "array":
            yield from walk_records(schema["items"], path + "[]")
        elif t == "map":
            yield from walk_records(schema["values"], path + "{}")


def _kind(t):
    if isinstance(t, str):
        return t
    if isinstance(t, list):
        return "union"
    return t["type"] if t["type"] not in PRIMS else t["type"]


def _prim(t):
    k = _kind(t)
    return k if k in PRIMS else None


@dataclass
class Evolution:
    old: dict
    new: dict
    fwd: set = field(default_factory=set)  # compatibility_problems(new, old)
    bwd: set = field(default_factory=set)  # compatibility_problems(old, new)
    edits: list = field(default_factory=list)
    touched: list = field(default_factory=list)  # field paths an edit owns
    renamed: list = field(default_factory=list)  # record paths renamed
    orig: dict = field(default_factory=dict)  # new record name -> old record name


def _under(x: str, y: str) -> bool:
    """Path x is y or lies below it."""
    return x == y or (x.startswith(y) and x[len(y)] in ".[{")


def _overlaps(a: str, b: str) -> bool:
    return _under(a, b) or _under(b, a)


def _blocked(ev: Evolution, p: str) -> bool:
    return any(_overlaps(p, t) for t in ev.touched) or any(_under(r, p) for r in ev.renamed)


def evolve(rng, depth: int = 3, n_edits: int = 3, ops=None) -> Evolution:
    """A random schema and an evolution of it with its problems known (module docstring)."""
    names = Names(rng)
    old = random_record(rng, names, depth, min_fields=2)
    ev = Evolution(old, copy.deepcopy(old))
    ops = ops or OPS
    for _ in range(n_edits * 6):
        if len(ev.edits) >= n_edits:
            break
        records = [
            (r, p) for r, p in walk_records(ev.new) if not any(_under(p, t) for t in ev.touched)
        ]
        rec, path = records[int(rng.integers(len(records)))]
        op = ops[int(rng.integers(len(ops)))]
        done = op(rng, names, rec, path, ev)
        if done:
            ev.edits.append(f"{op.__name__} at {done}")
    return ev


def _old_record(ev: Evolution, rec: dict) -> dict:
    return _find_record(ev.old, ev.orig.get(rec["name"], rec["name"]))


def _free_fields(rec, path, ev):
    return [f for f in rec["fields"] if not _blocked(ev, f"{path}.{f['name']}")]


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))] if seq else None


def op_add_field(rng, names, rec, path, ev):
    fname = names("field")
    t = PRIMS[int(rng.integers(len(PRIMS)))]
    f = {"name": fname, "type": prim_form(rng, t)}
    if rng.random() < 0.5:
        if rng.random() < 0.5 and t != "null":
            f = {"name": fname, "type": ["null", t], "default": None}
        else:
            f["default"] = DEFAULTS[t]
    else:
        ev.fwd.add((f"{path}.{fname}", "READER_FIELD_MISSING_DEFAULT_VALUE"))
    rec["fields"].insert(int(rng.integers(len(rec["fields"]) + 1)), f)
    ev.touched.append(f"{path}.{fname}")
    return f"{path}.{fname}"


def op_remove_field(rng, names, rec, path, ev):
    f = _pick(rng, _free_fields(rec, path, ev))
    if f is None or len(rec["fields"]) < 2:
        return None
    p = f"{path}.{f['name']}"
    old_f = next(x for x in _old_record(ev, rec)["fields"] if x["name"] == f["name"])
    prim = _prim(old_f["type"])
    if prim is not None and rng.random() < 0.5:
        old_f["default"] = DEFAULTS[prim]  # the old reader (bwd) fills it in
    else:
        old_f.pop("default", None)
        ev.bwd.add((p, "READER_FIELD_MISSING_DEFAULT_VALUE"))
    rec["fields"].remove(f)
    ev.touched.append(p)
    return p


def op_rename_field(rng, names, rec, path, ev):
    f = _pick(rng, _free_fields(rec, path, ev))
    if f is None:
        return None
    old_name = f["name"]
    f["name"] = names("field")
    f["aliases"] = [old_name]
    old_f = next(x for x in _old_record(ev, rec)["fields"] if x["name"] == old_name)
    if "default" not in old_f:
        # the old reader looks for old_name; the writer's alias does not count (R4)
        ev.bwd.add((f"{path}.{old_name}", "READER_FIELD_MISSING_DEFAULT_VALUE"))
    ev.touched += [f"{path}.{old_name}", f"{path}.{f['name']}"]
    return f"{path}.{old_name} -> {f['name']}"


def op_change_prim(rng, names, rec, path, ev):
    f = _pick(rng, [f for f in _free_fields(rec, path, ev) if _prim(f["type"]) is not None])
    if f is None:
        return None
    a = _prim(f["type"])
    b = PRIMS[int(rng.integers(len(PRIMS)))]
    f["type"] = prim_form(rng, b)
    f.pop("default", None)
    next(x for x in _old_record(ev, rec)["fields"] if x["name"] == f["name"]).pop("default", None)
    p = f"{path}.{f['name']}"
    if a not in READS[b]:
        ev.fwd.add((p, "TYPE_MISMATCH"))
    if b not in READS[a]:
        ev.bwd.add((p, "TYPE_MISMATCH"))
    ev.touched.append(p)
    return f"{p}: {a} -> {b}"


def op_make_optional(rng, names, rec, path, ev):
    free = [f for f in _free_fields(rec, path, ev) if _kind(f["type"]) not in ("null", "union")]
    f = _pick(rng, free)
    if f is None:
        return None
    f["type"] = ["null", f["type"]]
    f["default"] = None
    p = f"{path}.{f['name']}"
    # the old (non-union) reader of the new union: the null branch does not fit (R8)
    ev.bwd.add((p, "TYPE_MISMATCH"))
    ev.touched.append(p)
    return p


def op_enum_symbols(rng, names, rec, path, ev):
    f = _pick(rng, [f for f in _free_fields(rec, path, ev) if _kind(f["type"]) == "enum"])
    if f is None:
        enum = {"type": "enum", "name": names("enum"), "symbols": ["A", "B", "C"]}
        f = {"name": names("field"), "type": enum}
        rec["fields"].append(f)
        _old_record(ev, rec)["fields"].append(copy.deepcopy(f))
    p = f"{path}.{f['name']}"
    old_enum = next(x for x in _old_record(ev, rec)["fields"] if x["name"] == f["name"])["type"]
    symbols = [*f["type"]["symbols"], "ADDED"]
    rng.shuffle(symbols)
    f["type"]["symbols"] = symbols
    if rng.random() < 0.5:
        old_enum["default"] = old_enum["symbols"][0]  # the old reader reads unknown symbols (R6)
    else:
        old_enum.pop("default", None)
        ev.bwd.add((p, "MISSING_ENUM_SYMBOLS"))
    ev.touched.append(p)
    return p


def op_fixed_size(rng, names, rec, path, ev):
    f = {"name": names("field"), "type": {"type": "fixed", "name": names("fixed"), "size": 4}}
    _old_record(ev, rec)["fields"].append(copy.deepcopy(f))
    f["type"]["size"] = int(rng.choice([2, 8, 16]))
    rec["fields"].append(f)
    p = f"{path}.{f['name']}"
    ev.fwd.add((p, "FIXED_SIZE_MISMATCH"))
    ev.bwd.add((p, "FIXED_SIZE_MISMATCH"))
    ev.touched.append(p)
    return p


def op_rename_record(rng, names, rec, path, ev):
    if path in ev.renamed:
        return None
    new_name = names("record")
    ev.orig[new_name] = ev.orig.pop(rec["name"], rec["name"])
    if rng.random() < 0.5:
        rec["aliases"] = [rec["name"]]  # the new reader knows the old name (R5)
    else:
        ev.fwd.add((path, "NAME_MISMATCH"))
    rec["name"] = new_name
    ev.bwd.add((path, "NAME_MISMATCH"))  # the old reader has no alias for the new name
    ev.renamed.append(path)
    return path


def _find_record(schema, name):
    for r, _ in walk_records(schema):
        if r["name"] == name:
            return r
    raise KeyError(name)


def _find_field(schema, rec_name, field_name):
    return next(f for f in _find_record(schema, rec_name)["fields"] if f["name"] == field_name)


OPS = [
    op_add_field,
    op_remove_field,
    op_rename_field,
    op_change_prim,
    op_make_optional,
    op_enum_symbols,
    op_fixed_size,
    op_rename_record,
]
