"""Public examples for schema_compatibility: they show the API, not every rule.

The hidden suite checks much more (see README.md); passing these is a start, not a grade.
"""

import json

import pytest
from compat import compatibility_problems, is_compatible


def _record(name, *fields):
    return {"type": "record", "name": name, "fields": list(fields)}


def _pairs(problems):
    return {tuple(p) for p in problems}


V1 = _record("User", {"name": "id", "type": "long"}, {"name": "name", "type": "string"})


def test_identical_schemas_have_no_problem():
    """A schema reads its own data."""
    assert _pairs(compatibility_problems(V1, V1)) == set()
    assert is_compatible(V1, [V1], "FULL_TRANSITIVE")


def test_added_field_without_default_is_not_backward():
    """BACKWARD: the NEW schema reads data written with the latest one (R4, R9)."""
    v2 = _record(
        "User",
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "email", "type": "string"},
    )
    assert _pairs(compatibility_problems(v2, V1)) == {
        ("$.email", "READER_FIELD_MISSING_DEFAULT_VALUE")
    }
    assert _pairs(compatibility_problems(V1, v2)) == set()
    assert is_compatible(v2, [V1], "BACKWARD") is False
    assert is_compatible(v2, [V1], "NONE") is True


def test_added_field_with_default_and_removed_field_are_backward():
    """A default (even null) lets the new reader fill a field old data lacks; a field the new
    schema drops is simply skipped when reading old data."""
    v2 = _record(
        "User",
        {"name": "id", "type": "long"},
        {"name": "email", "type": ["null", "string"], "default": None},
    )
    assert is_compatible(v2, [V1], "BACKWARD") is True


def test_nested_path():
    """Paths name the reader's fields from the root `$`; `[]` steps into array items."""
    address = {"type": "record", "name": "Address", "fields": [{"name": "zip", "type": "string"}]}
    old = _record("Order", {"name": "lines", "type": {"type": "array", "items": address}})
    address2 = dict(address, fields=[{"name": "zip", "type": "int"}])
    new = _record("Order", {"name": "lines", "type": {"type": "array", "items": address2}})
    assert _pairs(compatibility_problems(new, old)) == {("$.lines[].zip", "TYPE_MISMATCH")}


def test_string_bytes_and_json_text():
    """string and bytes read each other; JSON text is accepted for any schema."""
    assert _pairs(compatibility_problems('"bytes"', "string")) == set()
    text = json.dumps(_record("R", {"name": "x", "type": "string"}))
    assert (
        _pairs(compatibility_problems(text, _record("R", {"name": "x", "type": "bytes"}))) == set()
    )
    assert _pairs(compatibility_problems("boolean", "int")) == {("$", "TYPE_MISMATCH")}


def test_enum_needs_writer_symbols():
    """A reader enum must know every symbol the writer may write."""
    small = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}
    big = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"]}
    assert _pairs(compatibility_problems(big, small)) == set()
    assert _pairs(compatibility_problems(small, big)) == {("$", "MISSING_ENUM_SYMBOLS")}


def test_bad_mode():
    """An unknown mode is a ValueError."""
    with pytest.raises(ValueError):
        is_compatible(V1, [V1], "SIDEWAYS")
