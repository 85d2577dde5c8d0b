"""Gradescope autograder ``results.json`` from a :class:`~graders.result.GradeResult`.

Format: https://gradescope-autograders.readthedocs.io/en/latest/specs/ (top-level ``score``,
``execution_time``, ``output``, ``tests[]`` with ``score``/``max_score``/``status``/``name``/
``output``/``visibility``/``tags``, and ``leaderboard[]``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..result import GradeResult
from .visibility import candidate_message


def leaderboard(result: GradeResult) -> list[dict[str, Any]]:
    """One entry per performance gate: its measured ratio, lower is better."""
    return [
        {"name": t.name.split("::")[-1], "value": round(t.perf.ratio, 4), "order": "asc"}
        for t in result.tests
        if t.perf is not None and t.counted
    ]


def to_gradescope(result: GradeResult) -> dict[str, Any]:
    """The ``results.json`` dict for one graded kata."""
    summary = (
        f"{result.kata} v{result.kata_version}: {result.status}, {result.score:g}/{result.max_score:g}"
        f" (correctness {result.correctness.score:g}/{result.correctness.max_score:g}"
        + (
            f", performance {result.performance.score:g}/{result.performance.max_score:g})"
            if result.performance
            else ", performance not graded)"
        )
    )
    if result.error:
        summary += f"\n{result.error}"
    tests = []
    for number, t in enumerate((t for t in result.tests if t.counted), start=1):
        tests.append(
            {
                "name": f"{t.name}" + (f": {t.doc}" if t.doc else ""),
                "number": str(number),
                "score": t.score,
                "max_score": t.max_score,
                "status": "passed" if t.status == "passed" else "failed",
                "output": candidate_message(t),
                "tags": [t.kind, *t.tags],
                "visibility": "visible",
            }
        )
    return {
        "score": result.score,
        "execution_time": round(result.duration_s, 2),
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "leaderboard": leaderboard(result),
        "extra_data": {
            "kata": result.kata,
            "kata_version": result.kata_version,
            "status": result.status,
            "seed": result.seed,
        },
    }


def write_gradescope(result: GradeResult, path: Path) -> Path:
    """Write :func:`to_gradescope` as JSON to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_gradescope(result), indent=2), encoding="utf-8")
    return path
