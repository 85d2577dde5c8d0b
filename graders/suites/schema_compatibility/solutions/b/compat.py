"""Avro schema-evolution checks (solution b: node objects built and compared with work-lists).

Each schema is decoded into a graph of small ``_Node`` objects by an explicit stack (no
recursion), validating every part of it.  The comparison walks (reader, writer, path) triples
from a work-list; a reader union probes each branch with a fresh, independent walk.
"""

import json

_PRIMS = frozenset(["null", "boolean", "int", "long", "float", "double", "bytes", "string"])
_MODES = {
    "BACKWARD": (True, False, False),
    "BACKWARD_TRANSITIVE": (True, False, True),
    "FORWARD": (False, True, False),
    "FORWARD_TRANSITIVE": (False, True, True),
    "FULL": (True, True, False),
    "FULL_TRANSITIVE": (True, True, True),
    "NONE": None,
}
# (reader, writer) primitive pairs that differ but still read, by promotion
_PROMOTE = frozenset(
    [
        ("long", "int"),
        ("float", "int"),
        ("float", "long"),
        ("double", "int"),
        ("double", "long"),
        ("double", "float"),
        ("string", "bytes"),
        ("bytes", "string"),
    ]
)


class _Node:
    __slots__ = ("kind", "prim", "name", "aliases", "fields", "symbols", "has_default",
                 "size", "child", "branches")

    def __init__(self, kind):
        self.kind = kind
        self.prim = None
        self.name = None
        self.aliases = frozenset()
        self.fields = []  # list of _Field
        self.symbols = frozenset()
        self.has_default = False
        self.size = None
        self.child = None  # array items / map values
        self.branches = []


class _Field:
    __slots__ = ("name", "aliases", "has_default", "node")

    def __init__(self, name, aliases, has_default):
        self.name = name
        self.aliases = aliases  # ordered list
        self.has_default = has_default
        self.node = None


def _alias_list(value):
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(a, str) for a in value):
        return list(value)
    raise ValueError("aliases must be a list of strings")


def _build(data):
    """Decode schema data into a _Node graph; ``ValueError`` on malformed input."""
    root_holder = [None]
    # each job: (data, setter, parent_is_union)
    stack = [(data, lambda n: root_holder.__setitem__(0, n), False)]
    while stack:
        item, put, in_union = stack.pop()
        if isinstance(item, str):
            if item not in _PRIMS:
                raise ValueError("unknown type name %r" % (item,))
            node = _Node("prim")
            node.prim = item
            put(node)
            continue
        if isinstance(item, list):
            if in_union:
                raise ValueError("union directly inside a union")
            node = _Node("union")
            node.branches = [None] * len(item)
            put(node)
            for i, sub in enumerate(item):
                stack.append((sub, _setter_index(node.branches, i), True))
            continue
        if not isinstance(item, dict):
            raise ValueError("not a schema: %r" % (item,))
        t = item.get("type")
        if not isinstance(t, str):
            raise ValueError("type must be a name, got %r" % (t,))
        if t in _PRIMS:
            node = _Node("prim")
            node.prim = t
        elif t == "record":
            node = _Node("record")
            node.name = item.get("name")
            node.aliases = frozenset(_alias_list(item.get("aliases")))
            fields = item.get("fields")
            if not isinstance(fields, list):
                raise ValueError("record without a fields list")
            for f in fields:
                if not isinstance(f, dict) or not isinstance(f.get("name"), str) or "type" not in f:
                    raise ValueError("malformed field %r" % (f,))
                fo = _Field(f["name"], _alias_list(f.get("aliases")), "default" in f)
                node.fields.append(fo)
                stack.append((f["type"], _setter_attr(fo, "node"), False))
        elif t == "enum":
            node = _Node("enum")
            node.name = item.get("name")
            node.aliases = frozenset(_alias_list(item.get("aliases")))
            symbols = item.get("symbols")
            if not isinstance(symbols, list) or any(not isinstance(s, str) for s in symbols):
                raise ValueError("enum without a symbols list")
            node.symbols = frozenset(symbols)
            node.has_default = "default" in item
        elif t in ("array", "map"):
            key = "items" if t == "array" else "values"
            if key not in item:
                raise ValueError("%s without %s" % (t, key))
            node = _Node(t)
            stack.append((item[key], _setter_attr(node, "child"), False))
        elif t == "fixed":
            size = item.get("size")
            if type(size) is not int:
                raise ValueError("fixed without an integer size")
            node = _Node("fixed")
            node.name = item.get("name")
            node.aliases = frozenset(_alias_list(item.get("aliases")))
            node.size = size
        else:
            raise ValueError("unknown type name %r" % (t,))
        put(node)
    return root_holder[0]


def _setter_index(lst, i):
    def put(node):
        lst[i] = node
    return put


def _setter_attr(obj, attr):
    def put(node):
        setattr(obj, attr, node)
    return put


def _load(schema):
    if isinstance(schema, str):
        if schema in _PRIMS:
            return _build(schema)
        try:
            decoded = json.loads(schema)
        except ValueError:
            raise ValueError("string is neither a primitive nor JSON: %r" % (schema,)) from None
        return _build(decoded)
    return _build(schema)


def _problems(reader, writer, path="$"):
    """Set of (path, kind) for reading ``writer`` with ``reader`` (nodes)."""
    found = set()
    work = [(reader, writer, path)]
    while work:
        r, w, p = work.pop()
        if w.kind == "union":
            for b in w.branches:
                work.append((r, b, p))
            continue
        if r.kind == "union":
            if not any(not _problems(b, w, p) for b in r.branches):
                found.add((p, "MISSING_UNION_BRANCH"))
            continue
        if r.kind == "prim" or w.kind == "prim" or r.kind != w.kind:
            same = r.kind == "prim" and w.kind == "prim" and (
                r.prim == w.prim or (r.prim, w.prim) in _PROMOTE)
            if not same:
                found.add((p, "TYPE_MISMATCH"))
            continue
        if r.kind == "array":
            work.append((r.child, w.child, p + "[]"))
            continue
        if r.kind == "map":
            work.append((r.child, w.child, p + "{}"))
            continue
        # named: record, enum, fixed
        if r.name != w.name and w.name not in r.aliases:
            found.add((p, "NAME_MISMATCH"))
        if r.kind == "fixed":
            if r.size != w.size:
                found.add((p, "FIXED_SIZE_MISMATCH"))
        elif r.kind == "enum":
            if not r.has_default and not w.symbols.issubset(r.symbols):
                found.add((p, "MISSING_ENUM_SYMBOLS"))
        else:
            by_name = {}
            for wf in reversed(w.fields):
                by_name[wf.name] = wf.node  # first occurrence wins
            for rf in r.fields:
                fp = p + "." + rf.name
                candidates = [rf.name] + rf.aliases
                hit = next((by_name[c] for c in candidates if c in by_name), None)
                if hit is not None:
                    work.append((rf.node, hit, fp))
                elif not rf.has_default:
                    found.add((fp, "READER_FIELD_MISSING_DEFAULT_VALUE"))
    return found


def compatibility_problems(reader, writer):
    r = _load(reader)
    w = _load(writer)
    return sorted(_problems(r, w))


def is_compatible(new_schema, history, mode):
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError("unknown mode %r" % (mode,))
    new = _load(new_schema)
    olds = [_load(h) for h in history]
    spec = _MODES[mode]
    if spec is None or not olds:
        return True
    backward, forward, transitive = spec
    for old in (olds if transitive else olds[-1:]):
        if backward and _problems(new, old):
            return False
        if forward and _problems(old, new):
            return False
    return True
