"""The versioned JSON result of grading one submission against one kata (KATA_SPEC section 5).

``RESULT_VERSION`` changes whenever a field is added, renamed or changes meaning, so a reader
can tell results apart; the kata's own version is recorded beside it. Version 2 added
``isolation``: whether the submission ran in the bubblewrap sandbox (``"bwrap"``) or, where the
machine offers none, as a plain process (``"none"``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULT_VERSION = "2"

STATUSES = ("pass", "fail", "error", "timeout", "oom")
TEST_STATUSES = ("passed", "failed", "error", "skipped", "timeout", "oom")


@dataclass
class PerfFigure:
    """A performance gate's measurement, as recorded by :mod:`graders.perf`."""

    ratio: float
    bound: float
    what: str = ""
    rounds: int = 0
    spread: float = 0.0
    confirmed: bool = False


@dataclass
class TestResult:
    """One hidden test's outcome."""

    name: str
    status: str
    score: float
    max_score: float
    kind: str  # "correctness" or "performance"
    doc: str = ""
    message: str = ""  # for the candidate: what was called, what came back, the rule broken
    output: str = ""  # for the candidate: what the submission printed during the test
    reviewer: str = ""  # for reviewers only: the hidden test's traceback and prints
    visibility: str = "visible"  # or "hidden-detail": inputs/outputs withheld from candidates
    tags: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    perf: PerfFigure | None = None
    counted: bool = True  # False for tests not graded on this run (a CUDA test on CPU)


@dataclass
class Part:
    """Score of one part (correctness or performance)."""

    score: float
    max_score: float


@dataclass
class GradeResult:
    """Everything known about one graded submission."""

    kata: str
    kata_version: int
    kit_version: str
    status: str
    score: float
    max_score: float
    correctness: Part
    performance: Part | None
    seed: int
    device: str
    perf_mode: str  # "on" or "off"
    submission: dict[str, Any] = field(default_factory=dict)  # origin, sha256, files, ignored
    machine: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)  # action, review, findings
    tests: list[TestResult] = field(default_factory=list)
    public: dict[str, str] = field(default_factory=dict)  # public tests run beside (verify)
    isolation: str = ""  # "bwrap" (the contestant ran in a sandbox) or "none"
    load: float = 0.0  # the machine's 1-minute load average when grading started
    notes: list[str] = field(default_factory=list)  # how the grade came about (a confirmed timeout)
    error: str = ""
    output_tail: str = ""
    started_at: str = ""
    duration_s: float = 0.0
    cache_key: str = ""  # sha256 of (submission digest, kata id and version, kit version)
    digest: str = ""  # sha256 of the result's own content (set by write): a resumed run checks it
    version: str = RESULT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with ``version`` first."""
        data = asdict(self)
        return {"version": data.pop("version"), **data}

    def content_digest(self) -> str:
        """sha256 of everything in the result but ``digest`` itself."""
        data = self.to_dict()
        data.pop("digest", None)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def write(self, path: Path) -> Path:
        """Write the result atomically (temporary file, then rename), with its content digest,
        and return ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.digest = self.content_digest()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        tmp.replace(path)
        return path


def load_result(path: Path) -> GradeResult:
    """Read a result file written by :meth:`GradeResult.write`.

    Raises:
        ValueError: the file is not a result of this ``RESULT_VERSION``.
    """
    return result_from_dict(json.loads(Path(path).read_text(encoding="utf-8")), str(path))


def result_from_dict(data: dict[str, Any], where: str = "result") -> GradeResult:
    """A :class:`GradeResult` from the dict of :meth:`GradeResult.to_dict`.

    Raises:
        ValueError: the dict is not a result of this ``RESULT_VERSION``.
    """
    data = dict(data)
    if data.get("version") != RESULT_VERSION:
        raise ValueError(
            f"{where}: result version {data.get('version')!r}, expected {RESULT_VERSION}"
        )
    data.pop("version")
    tests = []
    for t in data.pop("tests"):
        perf = t.pop("perf")
        tests.append(TestResult(**t, perf=PerfFigure(**perf) if perf else None))
    perf_part = data.pop("performance")
    return GradeResult(
        **{k: v for k, v in data.items() if k != "correctness"},
        correctness=Part(**data["correctness"]),
        performance=Part(**perf_part) if perf_part else None,
        tests=tests,
    )
