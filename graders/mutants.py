"""Known-wrong submissions of a kata (``graders/suites/ID/mutants``) and what must catch them.

A mutant is a file ``NAME.py`` (single-file katas: it stands for the kata's one file) or a
folder ``NAME/`` holding some of the kata's files (the rest are taken from the reference).
The first line of the mutant (of its first file, in ``kata.toml`` order, for a folder) names
the hidden tests that must fail it::

    # kills: test_perf.py::test_q_sample_time_independent_of_t

A second line ``# public: fails`` says the bug also fails the public tests (a bug no candidate
would ship unnoticed); otherwise the mutant must pass them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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


def load_mutants(kata: Kata) -> list[Mutant]:
    """Every mutant of ``kata``, sorted by name.

    Raises:
        MetadataError: a mutant lacks its ``# kills:`` line or holds a file the kata does not
            list.
    """
    if not kata.mutants_dir.is_dir():
        return []
    reference = {name: (kata.reference_dir / name).read_bytes() for name in kata.meta.files}
    mutants = []
    for entry in sorted(kata.mutants_dir.iterdir()):
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_file() and entry.suffix == ".py":
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
