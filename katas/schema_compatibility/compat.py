"""Avro schema-evolution checks as the Confluent Schema Registry runs them.

Write both functions; README.md states every rule (R1..R11). Sources: the Avro specification,
"Schema Resolution"; Apache Avro's ``SchemaCompatibility`` (the checker behind Confluent's
``AvroCompatibilityChecker``) for the kinds of problems; the Confluent Schema Registry
documentation, "Schema Evolution and Compatibility", for the modes.
"""

from typing import Any


def compatibility_problems(reader: Any, writer: Any) -> list[tuple[str, str]]:
    """Why data written with schema ``writer`` cannot be read with schema ``reader``.

    Args:
        reader: the consumer's Avro schema, as Python data (str, dict, list) or JSON text.
        writer: the producer's Avro schema, in the same forms.

    Returns:
        ``(path, kind)`` pairs of strings, compared as a set; empty when every datum the writer
        can write is readable by the reader. ``path`` starts at ``$`` and steps ``.field``
        (the reader's field name), ``[]`` (array items), ``{}`` (map values); ``kind`` is one
        of TYPE_MISMATCH, NAME_MISMATCH, FIXED_SIZE_MISMATCH, MISSING_ENUM_SYMBOLS,
        READER_FIELD_MISSING_DEFAULT_VALUE, MISSING_UNION_BRANCH.

    Raises:
        ValueError: either schema is malformed (R11).
    """
    raise NotImplementedError


def is_compatible(new_schema: Any, history: list, mode: str) -> bool:
    """Whether ``new_schema`` may follow ``history`` (oldest first) under ``mode``.

    Args:
        new_schema: the schema being registered.
        history: the registered versions, oldest first; ``history[-1]`` is the latest.
        mode: BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL,
            FULL_TRANSITIVE or NONE.

    Returns:
        True when the new schema passes every check the mode asks for (R9, R10).

    Raises:
        ValueError: an unknown mode, or a malformed schema in ``new_schema`` or anywhere in
            ``history`` (R11).
    """
    raise NotImplementedError
