"""Finding katas by id and the files that belong to each one."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from . import paths
from .errors import UnknownKata

if TYPE_CHECKING:
    from .metadata import KataMeta


@dataclass(frozen=True)
class Kata:
    """A kata's four places (KATA_SPEC section 2) and its metadata."""

    id: str
    candidate_dir: Path  # katas/ID: statement, kata.toml, stubs, public tests
    reference_dir: Path  # reference/ID: the reference solution
    suite_dir: Path  # graders/suites/ID: hidden tests and mutants/

    @cached_property
    def meta(self) -> KataMeta:
        """The validated ``kata.toml``."""
        from .metadata import load_meta

        return load_meta(self.candidate_dir / "kata.toml")

    def summary(self) -> dict:
        """``kata.toml`` read as plain TOML, unvalidated: what ``kata list`` shows (validating
        costs pydantic's import; ``kata verify`` and grading validate)."""
        import tomllib

        return tomllib.loads((self.candidate_dir / "kata.toml").read_text(encoding="utf-8"))

    @property
    def statement(self) -> Path:
        """The candidate-facing ``README.md``."""
        return self.candidate_dir / "README.md"

    @property
    def public_tests_dir(self) -> Path:
        """``katas/ID/tests``: the public tests."""
        return self.candidate_dir / "tests"

    @property
    def mutants_dir(self) -> Path:
        """``graders/suites/ID/mutants``: known-wrong submissions."""
        return self.suite_dir / "mutants"

    @property
    def solutions_dir(self) -> Path:
        """``graders/suites/ID/solutions``: independent correct solutions, one folder each."""
        return self.suite_dir / "solutions"

    def solutions(self) -> dict[str, dict[str, bytes]]:
        """``{name: {file: bytes}}`` of the independent solutions."""
        out = {}
        if self.solutions_dir.is_dir():
            for folder in sorted(self.solutions_dir.iterdir()):
                if folder.is_dir() and not folder.name.startswith((".", "_")):
                    out[folder.name] = {n: (folder / n).read_bytes() for n in self.meta.files}
        return out

    def hidden_test_files(self) -> list[Path]:
        """The hidden suite's files (tests, its conftest, helpers, inside.py, baseline.py);
        mutants, solutions and stress records excluded."""
        return sorted(
            p
            for p in self.suite_dir.rglob("*")
            if p.is_file()
            and not {"mutants", "solutions"} & set(p.relative_to(self.suite_dir).parts)
            and "__pycache__" not in p.parts
            and p.suffix != ".json"
        )


def kata_ids() -> list[str]:
    """Ids of every kata in the kit, sorted."""
    root = paths.katas_dir()
    return sorted(p.name for p in root.iterdir() if (p / "kata.toml").is_file())


def get_kata(kata_id: str) -> Kata:
    """The kata called ``kata_id``.

    Raises:
        UnknownKata: no such kata; the message suggests close ids.
    """
    ids = kata_ids()
    if kata_id not in ids:
        close = difflib.get_close_matches(kata_id, ids, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see `kata list`)"
        raise UnknownKata(f"unknown kata {kata_id!r}{hint}")
    return Kata(
        id=kata_id,
        candidate_dir=paths.katas_dir() / kata_id,
        reference_dir=paths.reference_dir() / kata_id,
        suite_dir=paths.suites_dir() / kata_id,
    )


def all_katas() -> list[Kata]:
    """Every kata, sorted by id."""
    return [get_kata(k) for k in kata_ids()]
