"""Hidden tests of schema_compatibility.

Oracles: schemagen.py's evolutions (random schemas edited at known places, each edit knowing the
problems it makes in both directions), the promotion table READS written out from the README,
and hand-built cases whose answer follows from one rule. Nothing here calls a reference checker.
"""

import copy
import json

import pytest
from schemagen import PRIMS, READS, evolve, prim_form

KINDS = {
    "TYPE_MISMATCH",
    "NAME_MISMATCH",
    "FIXED_SIZE_MISMATCH",
    "MISSING_ENUM_SYMBOLS",
    "READER_FIELD_MISSING_DEFAULT_VALUE",
    "MISSING_UNION_BRANCH",
}


def rec(name, *fields, **extra):
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def fld(name, type_, **extra):
    return {"name": name, "type": type_, **extra}


def enum(name, symbols, **extra):
    return {"type": "enum", "name": name, "symbols": list(symbols), **extra}


def problems(sol, reader, writer):
    got = sol.compatibility_problems(reader, writer)
    assert isinstance(got, list), (
        f"compatibility_problems returned {type(got).__name__}; R2: a list of (path, kind) pairs"
    )
    out = set()
    for p in got:
        assert len(p) == 2 and all(isinstance(x, str) for x in p), (
            f"compatibility_problems returned the item {p!r}; R2: each problem is (path, kind)"
        )
        out.add(tuple(p))
    return out


def expect(sol, reader, writer, want, rule, why=""):
    got = problems(sol, reader, writer)
    if got != want:
        missing, extra = sorted(want - got), sorted(got - want)
        detail = f"missing e.g. {missing[0]}" if missing else f"unexpected e.g. {extra[0]}"
        raise AssertionError(
            f"compatibility_problems(reader={json.dumps(reader)}, writer={json.dumps(writer)}) "
            f"returned {sorted(got)}: {detail}. {rule}{(': ' + why) if why else ''}"
        )


# -- R2..R8 together: random evolutions -------------------------------------------------------


@pytest.mark.rules("R2", "R3", "R4", "R5", "R6", "R7", "R8")
def test_random_evolutions(sol, rng):
    """Random nested schemas edited at known places: every problem, at its path, both ways."""
    for _ in range(60):
        ev = evolve(rng, depth=3, n_edits=int(rng.integers(1, 5)))
        for reader, writer, want, way in ((ev.new, ev.old, ev.fwd, "new reads old"),
                                          (ev.old, ev.new, ev.bwd, "old reads new")):  # fmt: skip
            got = problems(sol, reader, writer)
            if got != want:
                missing, extra = sorted(want - got), sorted(got - want)
                raise AssertionError(
                    f"compatibility_problems ({way}) after the edits {ev.edits}: "
                    + (f"missing {missing[0]}" if missing else f"unexpected {extra[0]}")
                    + f"; got {len(got)} problems. R2-R8: each edit makes exactly its own "
                    f"problems at the reader's path; untouched parts make none."
                )


# -- R3 primitives -----------------------------------------------------------------------------


@pytest.mark.rules("R3")
def test_primitive_promotions(sol, rng):
    """Every reader/writer pair of primitives, at the top and as a field: promotions one way."""
    for r in PRIMS:
        for w in PRIMS:
            want_top = set() if w in READS[r] else {("$", "TYPE_MISMATCH")}
            expect(sol, r, w, want_top, "R3: long<-int, float<-int|long, double<-int|long|float, "
                   "string<->bytes, and no narrowing")  # fmt: skip
            name = f"v{int(rng.integers(1000))}"
            reader = rec("P", fld(name, prim_form(rng, r)))
            writer = rec("P", fld(name, prim_form(rng, w)))
            want = set() if w in READS[r] else {(f"$.{name}", "TYPE_MISMATCH")}
            expect(sol, reader, writer, want, "R3: a promotion goes from the writer's narrower "
                   "type to the reader's wider one, never back")  # fmt: skip


@pytest.mark.rules("R3")
def test_kind_mismatches(sol):
    """Schemas of different kinds give one TYPE_MISMATCH at their path, not deeper problems."""
    r = rec("A", fld("x", "int"))
    cases = [
        (r, enum("A", ["X"])),
        (enum("A", ["X"]), r),
        ({"type": "array", "items": "int"}, {"type": "map", "values": "int"}),
        ({"type": "map", "values": "int"}, {"type": "array", "items": "int"}),
        (r, "string"),
        ("bytes", {"type": "fixed", "name": "A", "size": 4}),
        ({"type": "fixed", "name": "A", "size": 4}, "bytes"),
        ("int", "boolean"),
        ("null", "int"),
    ]
    for reader, writer in cases:
        expect(sol, reader, writer, {("$", "TYPE_MISMATCH")}, "R3: different kinds")
        expect(sol, rec("W", fld("f", reader)), rec("W", fld("f", writer)),
               {("$.f", "TYPE_MISMATCH")}, "R3: different kinds")  # fmt: skip


# -- R4 records --------------------------------------------------------------------------------


@pytest.mark.rules("R4")
def test_added_field_defaults(sol, rng):
    """A reader field the writer lacks needs a default; a null default counts."""
    base = [fld("id", "long"), fld("name", "string")]
    for default, type_ in ((None, ["null", "string"]), (None, "null"), (0, "int"), ("", "string"),
                           (False, "boolean"), ([], {"type": "array", "items": "int"})):  # fmt: skip
        new = rec("U", *base, fld("extra", type_, default=default))
        expect(sol, new, rec("U", *base), set(), "R4: a field with a 'default' key (its value "
               f"{default!r}, null included) is filled in when the writer lacks it")  # fmt: skip
    new = rec("U", *base, fld("extra", ["null", "string"]))
    expect(sol, new, rec("U", *base), {("$.extra", "READER_FIELD_MISSING_DEFAULT_VALUE")},
           "R4: no 'default' key, no default")  # fmt: skip
    expect(sol, rec("U", base[0]), rec("U", *base), set(), "R4: unread writer fields are fine")


@pytest.mark.rules("R2", "R4")
def test_field_aliases(sol):
    """Reader field aliases match writer names; writer aliases do not; the name comes first."""
    old = rec("U", fld("id", "long"), fld("mail", "string"))
    new = rec("U", fld("id", "long"), fld("email", "string", aliases=["mail"]))
    expect(sol, new, old, set(), "R4: the reader field 'email' reads the writer's 'mail' "
           "through its alias")  # fmt: skip
    expect(sol, old, new, {("$.mail", "READER_FIELD_MISSING_DEFAULT_VALUE")},
           "R4: the writer's aliases play no part")  # fmt: skip
    # a name match wins over an alias match
    writer = rec("U", fld("a", "string"), fld("b", "int"))
    reader = rec("U", fld("a", "int", aliases=["b"]))
    expect(sol, reader, writer, {("$.a", "TYPE_MISMATCH")}, "R4: match by name first, then "
           "by alias")  # fmt: skip
    # an alias match with a type problem: the path is the reader's field name
    writer = rec("U", fld("old", "boolean"))
    reader = rec("U", fld("new", "int", aliases=["gone", "old"]))
    expect(sol, reader, writer, {("$.new", "TYPE_MISMATCH")}, "R2/R4: the path names the "
           "reader's field")  # fmt: skip


@pytest.mark.rules("R2", "R4")
def test_nested_paths(sol, rng):
    """Problems deep inside records, arrays and maps carry the reader's full path."""
    leaf_w = rec("Leaf", fld("k", "string"), fld("v", "int"))
    leaf_r = rec("Leaf", fld("k", "int"), fld("v", "long"), fld("w", "double"))
    writer = rec("Top", fld("a", {"type": "map", "values": {"type": "array", "items": leaf_w}}),
                 fld("b", rec("Mid", fld("c", leaf_w))))  # fmt: skip
    reader = rec("Top", fld("a", {"type": "map", "values": {"type": "array", "items": leaf_r}}),
                 fld("b", rec("Mid", fld("c", copy.deepcopy(leaf_r)))))  # fmt: skip
    want = {("$.a{}[].k", "TYPE_MISMATCH"), ("$.a{}[].w", "READER_FIELD_MISSING_DEFAULT_VALUE"),
            ("$.b.c.k", "TYPE_MISMATCH"), ("$.b.c.w", "READER_FIELD_MISSING_DEFAULT_VALUE")}  # fmt: skip
    expect(sol, reader, writer, want, "R2: '.field' for a record field, '[]' for array items, "
           "'{}' for map values")  # fmt: skip
    want_back = {("$.a{}[].k", "TYPE_MISMATCH"), ("$.a{}[].v", "TYPE_MISMATCH"),
                 ("$.b.c.k", "TYPE_MISMATCH"), ("$.b.c.v", "TYPE_MISMATCH")}  # fmt: skip
    expect(sol, writer, reader, want_back, "R2/R3: long does not narrow to int")


# -- R5 named types ----------------------------------------------------------------------------


@pytest.mark.rules("R5")
def test_named_types(sol):
    """Names must match or be a reader alias; a name mismatch does not stop the check."""
    w = rec("Old", fld("x", "int"))
    expect(sol, rec("New", fld("x", "int")), w, {("$", "NAME_MISMATCH")}, "R5: record names")
    expect(sol, rec("New", fld("x", "int"), aliases=["Old"]), w, set(),
           "R5: the writer's name is one of the reader's aliases")  # fmt: skip
    expect(sol, w, rec("New", fld("x", "int"), aliases=["Old"]), {("$", "NAME_MISMATCH")},
           "R5: only the reader's aliases count")  # fmt: skip
    expect(sol, rec("New", fld("x", "boolean"), fld("y", "int")), w,
           {("$", "NAME_MISMATCH"), ("$.x", "TYPE_MISMATCH"),
            ("$.y", "READER_FIELD_MISSING_DEFAULT_VALUE")},
           "R5: after a NAME_MISMATCH the fields are still compared")  # fmt: skip
    expect(sol, enum("B", ["P"]), enum("A", ["P", "Q"]),
           {("$", "NAME_MISMATCH"), ("$", "MISSING_ENUM_SYMBOLS")}, "R5/R6: enums")  # fmt: skip
    expect(sol, enum("B", ["P", "Q"], aliases=["A"]), enum("A", ["Q"]), set(), "R5: enum alias")
    fixed = {"type": "fixed", "name": "H", "size": 16}
    expect(sol, {**fixed, "name": "G"}, fixed, {("$", "NAME_MISMATCH")}, "R5: fixed names")
    expect(sol, {**fixed, "name": "G", "size": 8}, fixed,
           {("$", "NAME_MISMATCH"), ("$", "FIXED_SIZE_MISMATCH")}, "R5/R7: fixed")  # fmt: skip
    expect(sol, {**fixed, "name": "G", "aliases": ["H"]}, fixed, set(), "R5: fixed alias")


# -- R6 enums ----------------------------------------------------------------------------------


@pytest.mark.rules("R6")
def test_enums(sol, rng):
    """The reader must know every writer symbol, unless it has a default; order is free."""
    for _ in range(20):
        n = int(rng.integers(2, 7))
        symbols = [f"S{i}" for i in range(n)]
        keep = sorted(rng.choice(n, size=int(rng.integers(1, n)), replace=False))
        small = [symbols[i] for i in keep]
        big = list(symbols)
        rng.shuffle(big)
        path_r = rec("T", fld("c", enum("C", small)))
        path_w = rec("T", fld("c", enum("C", big)))
        expect(sol, path_w, path_r, set(), "R6: a reader with more symbols reads a writer with "
               "fewer, in any order")  # fmt: skip
        expect(sol, path_r, path_w, {("$.c", "MISSING_ENUM_SYMBOLS")}, "R6: the writer may "
               "write a symbol the reader does not know")  # fmt: skip
        with_default = rec("T", fld("c", enum("C", small, default=small[0])))
        expect(sol, with_default, path_w, set(), "R6: a reader enum with a 'default' reads "
               "unknown symbols as the default")  # fmt: skip


# -- R7 arrays, maps, fixed ----------------------------------------------------------------------


@pytest.mark.rules("R7")
def test_arrays_maps_fixed(sol):
    """Items and values are checked recursively; fixed sizes must match."""

    def arr(t):
        return {"type": "array", "items": t}

    def mp(t):
        return {"type": "map", "values": t}

    expect(sol, arr("long"), arr("int"), set(), "R7/R3: array items promote")
    expect(sol, arr("int"), arr("long"), {("$[]", "TYPE_MISMATCH")}, "R7: array items")
    expect(sol, mp("double"), mp("float"), set(), "R7/R3: map values promote")
    expect(sol, mp(mp("int")), mp(mp("string")), {("${}{}", "TYPE_MISMATCH")}, "R7: map values")
    expect(sol, arr(mp(arr("float"))), arr(mp(arr("double"))), {("$[]{}[]", "TYPE_MISMATCH")},
           "R7: nested items and values")  # fmt: skip
    f4 = {"type": "fixed", "name": "F", "size": 4}
    expect(sol, rec("R", fld("h", {**f4, "size": 5})), rec("R", fld("h", f4)),
           {("$.h", "FIXED_SIZE_MISMATCH")}, "R7: fixed sizes")  # fmt: skip
    expect(sol, rec("R", fld("h", f4)), rec("R", fld("h", dict(f4))), set(), "R7: same fixed")


# -- R8 unions ---------------------------------------------------------------------------------


@pytest.mark.rules("R8")
def test_unions(sol):
    """Every writer branch must be readable; a reader union needs one branch that reads."""
    a1 = rec("A", fld("x", "int"))
    a2 = rec("A", fld("x", "int"), fld("y", "int"))  # reads a1? no: y has no default
    cases = [
        # (reader, writer, problems at "$", why)
        ("string", ["null", "string"], {"TYPE_MISMATCH"}, "the writer may write null"),
        ("long", ["int", "long"], set(), "every writer branch promotes to long"),
        ("int", ["int", "long"], {"TYPE_MISMATCH"}, "the long branch does not narrow"),
        (["null", "long"], "int", set(), "a reader branch reads int by promotion"),
        (["null", "double"], ["null", "int", "float"], set(), "each writer branch is read"),
        (["null", "string"], "int", {"MISSING_UNION_BRANCH"}, "no reader branch reads int"),
        (["null", "string"], ["null", "int"], {"MISSING_UNION_BRANCH"}, "int has no branch"),
        (["string", "long"], ["boolean", "int", "float"], {"MISSING_UNION_BRANCH"},
         "boolean and float have no branch"),
        (["null", a2], ["null", a1], {"MISSING_UNION_BRANCH"},
         "no reader branch reads A with no problem; its own problems are not reported"),
        (["null", a2], a1, {"MISSING_UNION_BRANCH"}, "same, writer not a union"),
        (["null", "string", a1], a1, set(), "the record branch reads it"),
        (["string"], "bytes", set(), "a one-branch union reads by promotion"),
        ("int", ["int"], set(), "a one-branch writer union"),
    ]  # fmt: skip
    for reader, writer, kinds, why in cases:
        want = {("$", k) for k in kinds}
        expect(sol, reader, writer, want, "R8", why)
        expect(sol, rec("W", fld("u", reader)), rec("W", fld("u", writer)),
               {(f"$.u{p[1:]}", k) for p, k in want}, "R8 (as a field)", why)  # fmt: skip
    # a writer union against a plain record: the record branch's own problems, at their paths
    expect(sol, a2, ["null", a1], {("$", "TYPE_MISMATCH"), ("$.y", "READER_FIELD_MISSING_DEFAULT_VALUE")},
           "R8: each writer branch is checked against the whole reader; their problems together")  # fmt: skip # noqa: E501
    reader = rec("R", fld("v", {"type": "array", "items": ["null", "long"]}))
    writer = rec("R", fld("v", {"type": "array", "items": ["int", "string"]}))
    expect(sol, reader, writer, {("$.v[]", "MISSING_UNION_BRANCH")}, "R8: unions add no step")


# -- R9, R10 modes -----------------------------------------------------------------------------


def _scenario(rng):
    """A random base record and edited versions: (base, with_added_required, with_removed_required,
    with_added_optional, with_promoted)."""
    ev = evolve(rng, depth=2, n_edits=0)
    base = ev.old
    base["fields"].append(fld("req", "int"))
    added = copy.deepcopy(base)
    added["fields"].append(fld("must", "string"))
    removed = copy.deepcopy(base)
    removed["fields"] = [f for f in removed["fields"] if f["name"] != "req"]
    optional = copy.deepcopy(base)
    optional["fields"].insert(0, fld("maybe", ["null", "string"], default=None))
    promoted = copy.deepcopy(base)
    promoted["fields"][-1] = fld("req", "long")
    return base, added, removed, optional, promoted


MODE_TABLE = {
    # edit: (BACKWARD, FORWARD, FULL)
    "added_required": (False, True, False),
    "removed_required": (True, False, False),
    "added_optional": (True, True, True),
    "promoted_int_to_long": (True, False, False),
}


@pytest.mark.rules("R9")
def test_modes(sol, rng):
    """BACKWARD: new reads latest; FORWARD: latest reads new; FULL: both; NONE: always."""
    for _ in range(3):
        base, added, removed, optional, promoted = _scenario(rng)
        older = copy.deepcopy(base)
        older["fields"].append(fld("legacy", "string"))  # irrelevant to the latest-only modes
        for name, new in zip(MODE_TABLE, (added, removed, optional, promoted), strict=True):
            for mode, want in zip(("BACKWARD", "FORWARD", "FULL"), MODE_TABLE[name], strict=True):
                got = sol.is_compatible(new, [older, base], mode)
                assert got is want, (
                    f"is_compatible(<{name.replace('_', ' ')}>, history, {mode!r}) returned "
                    f"{got!r}. R9: BACKWARD means the new schema reads data written with the "
                    f"latest; FORWARD means the latest reads data written with the new one; "
                    f"FULL is both"
                )
            assert sol.is_compatible(new, [older, base], "NONE") is True, "R9: NONE"
    for mode in ("BACKWARD", "FORWARD", "FULL", "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE",
                 "FULL_TRANSITIVE", "NONE"):  # fmt: skip
        got = sol.is_compatible(added, [], mode)
        assert got is True, f"is_compatible(schema, [], {mode!r}) returned {got!r}; R9: empty"


@pytest.mark.rules("R10")
def test_transitive(sol, rng):
    """TRANSITIVE forms check every version; the plain ones the latest only."""
    for _ in range(3):
        base, added, removed, optional, promoted = _scenario(rng)
        # v1 lacks 'must'; v2 has it with a default; new has it without one:
        # new reads v2 (must present) but not v1 (no default)
        v2 = copy.deepcopy(added)
        v2["fields"][-1]["default"] = ""
        history = [base, v2]
        cases = [
            (added, "BACKWARD", True), (added, "BACKWARD_TRANSITIVE", False),
            (added, "FULL", True), (added, "FULL_TRANSITIVE", False),
            # old v1 has 'req' without default; v2 gives it a default; new drops it:
            # v2 reads new (default) but v1 does not
        ]  # fmt: skip
        v2b = copy.deepcopy(base)
        v2b["fields"][-1]["default"] = 0
        cases += [(removed, "FORWARD", True, [base, v2b]),
                  (removed, "FORWARD_TRANSITIVE", False, [base, v2b]),
                  (removed, "FULL", True, [base, v2b]),
                  (removed, "FULL_TRANSITIVE", False, [base, v2b]),
                  (optional, "FULL_TRANSITIVE", True, [base, v2b, optional])]  # fmt: skip
        for case in cases:
            new, mode, want = case[:3]
            hist = case[3] if len(case) > 3 else history
            got = sol.is_compatible(new, hist, mode)
            assert got is want, (
                f"is_compatible(new, {len(hist)} versions, {mode!r}) returned {got!r}, where "
                f"the new schema passes against the latest version but not against the first. "
                f"R10: the _TRANSITIVE forms check every version, the plain forms the latest only"
            )


# -- R1 forms ----------------------------------------------------------------------------------


@pytest.mark.rules("R1")
def test_schema_forms(sol, rng):
    """JSON text and {"type": primitive} give the same answers as plain Python data."""
    for _ in range(10):
        ev = evolve(rng, depth=3, n_edits=2)
        for reader, writer, want in ((ev.new, ev.old, ev.fwd), (ev.old, ev.new, ev.bwd)):
            for r, w in ((json.dumps(reader), writer), (reader, json.dumps(writer, indent=1))):
                got = problems(sol, r, w)
                assert got == want, (
                    f"compatibility_problems with a schema given as JSON text returned "
                    f"{len(got)} problems, {len(want)} for the same schemas as Python data; R1"
                )
    for p in PRIMS:
        for form in ({"type": p}, json.dumps({"type": p}), json.dumps(p)):
            got = problems(sol, form, p)
            assert got == set(), f"compatibility_problems({form!r}, {p!r}) returned {got}; R1"
    reader = rec(
        "R", fld("a", {"type": "long"}), fld("b", {"type": "array", "items": {"type": "double"}})
    )  # noqa: E501
    writer = rec(
        "R", fld("a", {"type": "int"}), fld("b", {"type": "array", "items": {"type": "int"}})
    )  # noqa: E501
    assert problems(sol, reader, writer) == set(), "R1: {'type': primitive} nested in fields/items"
    assert problems(sol, writer, reader) == {("$.a", "TYPE_MISMATCH"), ("$.b[]", "TYPE_MISMATCH")}, (
        "R1: {'type': primitive} is that primitive"
    )  # fmt: skip
    got = sol.is_compatible(json.dumps(reader), [json.dumps(writer)], "BACKWARD")
    assert got is True, "is_compatible with JSON text returned False; R1"


# -- R11 errors --------------------------------------------------------------------------------


@pytest.mark.rules("R11")
def test_errors(sol):
    """ValueError for unknown modes and the listed malformed schemas, wherever they are."""
    good = rec("R", fld("x", "int"))
    bad_schemas = {
        "unknown type name deep inside": rec("R", fld("x", {"type": "array", "items": "integer"})),
        "record without fields": {"type": "record", "name": "R"},
        "union inside a union": rec("R", fld("x", ["null", ["int", "string"]])),
        "unparseable JSON text": '{"type": "record", "name": "R", "fields": [',
        "unknown type name at the top": "varchar",
    }
    for what, bad in bad_schemas.items():
        for args in ((bad, good), (good, bad)):
            with pytest.raises(ValueError):
                sol.compatibility_problems(*args)
                raise AssertionError(f"compatibility_problems with {what} returned; R11")
        for mode in ("NONE", "BACKWARD", "FORWARD_TRANSITIVE"):
            for new, history in ((bad, [good]), (good, [bad, good]), (good, [good, bad])):
                with pytest.raises(ValueError):
                    sol.is_compatible(new, history, mode)
                    raise AssertionError(
                        f"is_compatible({mode!r}) with {what} in position "
                        f"{'new' if new is bad else history.index(bad)} returned; R11: every "
                        f"schema is validated, in every mode"
                    )
    for mode in ("backward", "FULL_TRANSITIVES", "", "TRANSITIVE"):
        with pytest.raises(ValueError):
            sol.is_compatible(good, [good], mode)
            raise AssertionError(f"is_compatible(mode={mode!r}) returned; R11")
