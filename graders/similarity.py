"""Similarity between submissions, with copydetect (winnowed fingerprints, Schleimer et al.
2003, "Winnowing: local algorithms for document fingerprinting").

Only each student's allowlisted files are compared, and the kata's stub is boilerplate: code a
student kept from the stub never counts as shared.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .catalog import Kata
from .cohort import discover, make_task


@dataclass(frozen=True)
class Pair:
    """Two students' files and how much of each one the other covers (0..1)."""

    a: str
    b: str
    similarity_a: float
    similarity_b: float

    @property
    def score(self) -> float:
        return max(self.similarity_a, self.similarity_b)


def similarity_report(
    submissions: Path,
    kata: Kata,
    out_html: Path,
    *,
    unpack_dir: Path | None = None,
    display_threshold: float = 0.33,
) -> list[Pair]:
    """Compare every pair of submissions of ``kata`` in ``submissions``; write an HTML report to
    ``out_html`` and return the pairs, most similar first.

    Raises:
        UsageError: ``submissions`` holds no submission.
    """
    from copydetect import CopyDetector

    scratch = Path(tempfile.mkdtemp(prefix="kata-similarity-"))
    try:
        students = discover(submissions, unpack_dir or scratch / "unpacked")
        tests = scratch / "students"
        for student in students:
            task = make_task(student, kata, scratch / "unused")
            if task.problem:
                continue
            folder = tests / student.name
            folder.mkdir(parents=True)
            for name, data in task.files.items():
                (folder / name).write_bytes(data)
        boilerplate = scratch / "stub"
        boilerplate.mkdir()
        for name in kata.meta.files:
            shutil.copyfile(kata.candidate_dir / name, boilerplate / name)
        out_html.parent.mkdir(parents=True, exist_ok=True)
        detector = CopyDetector(
            test_dirs=[str(tests)], boilerplate_dirs=[str(boilerplate)], extensions=["py"],
            display_t=display_threshold, autoopen=False, silent=True, out_file=str(out_html),
        )  # fmt: skip
        pairs: list[Pair] = []
        if tests.is_dir() and sum(1 for _ in tests.iterdir()) >= 2:
            detector.run()
            for entry in detector.get_copied_code_list():
                sim_a, sim_b, file_a, file_b = entry[0], entry[1], entry[2], entry[3]
                pairs.append(
                    Pair(_student_of(file_a, tests), _student_of(file_b, tests), sim_a, sim_b)
                )
            detector.generate_html_report()
        else:
            out_html.write_text("<html><body>Fewer than two submissions to compare.</body></html>")
        return sorted(pairs, key=lambda p: p.score, reverse=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _student_of(file: str, root: Path) -> str:
    return Path(file).resolve().relative_to(root.resolve()).parts[0]
