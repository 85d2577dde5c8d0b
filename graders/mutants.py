"""Known-wrong submissions of a kata (``graders/suites/ID/mutants``) and what must catch them.

A mutant is usually a unified diff ``NAME.diff`` against the kata's reference, so a reader sees
the injected bug and nothing else (``diff -u`` or ``git diff`` output; paths ``a/FILE`` and
``b/FILE`` or bare ``FILE``, one or more of the kata's files). It is applied with
`whatthepatch <https://github.com/cscorley/whatthepatch>`_ when the mutants are loaded, and a diff
that no longer applies to the reference is an error that names it. A rewrite too large to read
as a diff may instead be a whole file ``NAME.py`` (single-file katas: it stands for the kata's
one file) or a folder ``NAME/`` holding some of the kata's files (the rest are the reference's).

The first line of the mutant (of its first file, in ``kata.toml`` order, for a folder) names
the hidden tests that must fail it::

    # kills: test_perf.py::test_q_sample_time_independent_of_t

A second line ``# public: fails`` says the bug also fails the public tests (a bug no candidate
would ship unnoticed); otherwise the mutant must pass them. Further ``#`` lines may say what the
bug is. In a diff all these lines come before the first ``---`` line; write one with

    diff -u --label a/FILE --label b/FILE reference/ID/FILE edited.py
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import whatthepatch
from whatthepatch.exceptions import WhatThePatchException

from .catalog import Kata
from .errors import MetadataError

_KILLS = re.compile(r"^#\s*kills:\s*(?P<tests>\S.*?)\s*$")
_PUBLIC = re.compile(r"^#\s*public:\s*fails\s*$")


@dataclass(frozen=True)
class Mutant:
    """One known-wrong submission."""

    name: str
    files: dict[str, bytes]  # the full submission: mutated files over the reference
    kills: tuple[str, ...]  # hidden test names that must fail it
    public_fails: bool  # True when the mutant is allowed to fail the public tests


def _header(data: bytes, where: Path) -> tuple[tuple[str, ...], bool]:
    lines = data.decode("utf-8").splitlines()
    match = _KILLS.match(lines[0]) if lines else None
    if not match:
        raise MetadataError(f"{where}: first line must be '# kills: test_file.py::test_name'")
    kills = tuple(t.strip() for t in match["tests"].split(",") if t.strip())
    public_fails = len(lines) > 1 and bool(_PUBLIC.match(lines[1]))
    return kills, public_fails


def _patched(entry: Path, reference: dict[str, bytes]) -> dict[str, bytes]:
    """The kata files a ``.diff`` mutant changes, with the diff applied to the reference."""
    try:
        diffs = list(whatthepatch.parse_patch(entry.read_text(encoding="utf-8")))
    except WhatThePatchException as exc:
        raise MetadataError(f"{entry}: not a unified diff ({exc})") from exc
    changed: dict[str, bytes] = {}
    for diff in diffs:
        if diff.header is None or not diff.changes:
            continue
        name = diff.header.new_path or diff.header.old_path
        if name not in reference:
            raise MetadataError(
                f"{entry}: patches {name}, not among the kata's files {sorted(reference)}"
            )
        text = reference[name].decode("utf-8")
        ends = text.endswith("\n")
        try:
            lines = whatthepatch.apply_diff(diff, (text[:-1] if ends else text).split("\n"))
        except WhatThePatchException as exc:
            raise MetadataError(
                f"{entry}: does not apply to the reference's {name} ({exc}); regenerate it"
            ) from exc
        changed[name] = ("\n".join(lines) + ("\n" if ends else "")).encode()
    if not changed or all(changed[n] == reference[n] for n in changed):
        raise MetadataError(f"{entry}: the diff changes nothing in the reference")
    return changed


def load_mutants(kata: Kata) -> list[Mutant]:
    """Every mutant of ``kata``, sorted by name.

    Raises:
        MetadataError: a mutant lacks its ``# kills:`` line, holds or patches a file the kata
            does not list, or is a diff that does not apply to the reference or changes nothing.
    """
    if not kata.mutants_dir.is_dir():
        return []
    reference = {name: (kata.reference_dir / name).read_bytes() for name in kata.meta.files}
    mutants = []
    for entry in sorted(kata.mutants_dir.iterdir()):
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_file() and entry.suffix == ".diff":
            _header(entry.read_bytes(), entry)  # a missing ``# kills:`` line is named first
            changed = _patched(entry, reference)
            first = entry
        elif entry.is_file() and entry.suffix == ".py":
            if len(kata.meta.files) != 1:
                raise MetadataError(
                    f"{entry}: a multi-file kata needs folder mutants (one file per kata file)"
                )
            changed = {kata.meta.files[0]: entry.read_bytes()}
            first = entry
        elif entry.is_dir():
            changed = {p.name: p.read_bytes() for p in sorted(entry.glob("*.py"))}
            unknown = sorted(set(changed) - set(kata.meta.files))
            if unknown:
                raise MetadataError(f"{entry}: {', '.join(unknown)} not among the kata's files")
            if not changed:
                raise MetadataError(f"{entry}: an empty mutant folder")
            first = entry / next(n for n in kata.meta.files if n in changed)
        else:
            continue
        kills, public_fails = _header(first.read_bytes(), first)
        mutants.append(Mutant(entry.stem, {**reference, **changed}, kills, public_fails))
    return mutants
