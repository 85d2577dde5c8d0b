"""Known-wrong submissions of a kata (``graders/suites/ID/mutants``) and what must catch them.

A mutant is one of:

- ``NAME.diff``: a unified diff against the reference (one or more of the kata's files), so
  the bug is all it shows; applied with `whatthepatch <https://pypi.org/project/whatthepatch/>`_;
- ``NAME.py``: a whole file standing for a one-file kata's file (for a mutant that rewrites most
  of it, such as a naive loop);
- ``NAME/``: a folder holding some of the kata's files whole (the rest come from the reference).

Its header, comment lines at the top (of the diff, or of the first file in ``kata.toml`` order),
says what must catch it::

    # kills: test_perf.py::test_q_sample_time_independent_of_t
    # breaks: R3
    # public: fails

``kills`` names the hidden tests that must fail it (comma-separated); ``breaks`` the one
numbered rule of the statement it breaks (the trap, a boundary, the performance requirement:
each rule must be broken alone by some mutant, see :mod:`graders.rules`); ``public: fails``
says its bug also fails the public tests (otherwise it must pass them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import whatthepatch

from .catalog import Kata
from .errors import MetadataError

_HEADER = re.compile(r"^#\s*(?P<key>kills|breaks|public)\s*:\s*(?P<value>\S.*?)\s*$")


@dataclass(frozen=True)
class Mutant:
    """One known-wrong submission."""

    name: str
    files: dict[str, bytes]  # the full submission: mutated files over the reference
    kills: tuple[str, ...]  # hidden test names that must fail it
    public_fails: bool  # True when the mutant is allowed to fail the public tests
    breaks: tuple[str, ...] = ()  # the statement's rules it breaks ("R3")
    form: str = "file"  # "diff", "file" or "folder"


def _header(text: str, where: Path) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.match(line)
        if not match:
            if line.startswith("#") and not line.startswith(("# kills", "# breaks", "# public")):
                continue  # other comments (a description) may sit in the header
            break
        fields[match["key"]] = match["value"]
    if "kills" not in fields:
        raise MetadataError(
            f"{where}: the header must start with '# kills: test_file.py::test_name'"
        )
    kills = tuple(t.strip() for t in fields["kills"].split(",") if t.strip())
    breaks = tuple(r.strip() for r in fields.get("breaks", "").split(",") if r.strip())
    bad = [r for r in breaks if not re.fullmatch(r"R\d+", r)]
    if bad:
        raise MetadataError(f"{where}: '# breaks:' takes rule numbers such as R3, not {bad}")
    public = fields.get("public", "").lower()
    if public not in ("", "fails"):
        raise MetadataError(f"{where}: '# public:' can only say 'fails'")
    return kills, public == "fails", breaks


def apply_diff(reference: dict[str, str], diff_text: str, where: Path) -> dict[str, str]:
    """The kata's files with the unified diff ``diff_text`` applied.

    Raises:
        MetadataError: the diff names a file the kata does not have, or no longer applies to
            the reference (the message names the mutant and the file).
    """
    out = dict(reference)
    patched = False
    for diff in whatthepatch.parse_patch(diff_text):
        header = diff.header
        name = Path((header.new_path or header.old_path or "") if header else "").name
        if name not in reference:
            raise MetadataError(f"{where}: the diff changes {name or '?'}, not a file of the kata")
        try:
            lines = whatthepatch.apply_diff(diff, out[name].splitlines())
        except whatthepatch.exceptions.HunkApplyException as exc:
            raise MetadataError(
                f"{where}: no longer applies to the reference's {name}: {exc}"
            ) from None
        out[name] = "\n".join(lines) + "\n"
        patched = True
    if not patched:
        raise MetadataError(f"{where}: holds no diff")
    return out


def load_mutants(kata: Kata) -> list[Mutant]:
    """Every mutant of ``kata``, sorted by name.

    Raises:
        MetadataError: a mutant lacks its ``# kills:`` line, holds a file the kata does not
            list, or is a diff that no longer applies.
    """
    if not kata.mutants_dir.is_dir():
        return []
    reference_bytes = {name: (kata.reference_dir / name).read_bytes() for name in kata.meta.files}
    mutants = []
    for entry in sorted(kata.mutants_dir.iterdir()):
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_file() and entry.suffix == ".diff":
            text = entry.read_text(encoding="utf-8")
            reference = {n: b.decode("utf-8") for n, b in reference_bytes.items()}
            changed = {n: t.encode() for n, t in apply_diff(reference, text, entry).items()}
            header, form = text, "diff"
        elif entry.is_file() and entry.suffix == ".py":
            if len(kata.meta.files) != 1:
                raise MetadataError(f"{entry}: a multi-file kata needs folder or diff mutants")
            changed = {kata.meta.files[0]: entry.read_bytes()}
            header, form = entry.read_text(encoding="utf-8"), "file"
        elif entry.is_dir():
            changed = {p.name: p.read_bytes() for p in sorted(entry.glob("*.py"))}
            unknown = sorted(set(changed) - set(kata.meta.files))
            if unknown:
                raise MetadataError(f"{entry}: {', '.join(unknown)} not among the kata's files")
            if not changed:
                raise MetadataError(f"{entry}: an empty mutant folder")
            first = next(n for n in kata.meta.files if n in changed)
            header, form = changed[first].decode("utf-8"), "folder"
        else:
            continue
        kills, public_fails, breaks = _header(header, entry)
        mutants.append(
            Mutant(entry.stem, {**reference_bytes, **changed}, kills, public_fails, breaks, form)
        )
    return mutants
