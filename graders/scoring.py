"""Weighted scores from per-test outcomes (KATA_SPEC section 4, step 5).

The correctness and performance parts each carry the points ``kata.toml`` gives them; inside a
part, a test earns ``part_points * weight / sum(weights of the part's counted tests)`` when it
passes and nothing otherwise. Tests not counted on this run (a CUDA test graded on CPU, every
performance test under ``--perf off``) are listed but weigh nothing.
"""

from __future__ import annotations

from .metadata import Weights
from .result import Part, TestResult


def _round(x: float) -> float:
    return round(x + 0.0, 4)


def score_tests(
    tests: list[TestResult], weights: Weights, perf_on: bool
) -> tuple[Part, Part | None]:
    """Fill ``score``/``max_score`` of every test in place; return the two parts.

    ``weights`` of each test must already be stored in ``max_score`` (as a raw weight); this
    function rescales them to points.
    """
    parts: dict[str, Part | None] = {}
    for kind, points in (
        ("correctness", weights.correctness),
        ("performance", weights.performance),
    ):
        members = [t for t in tests if t.kind == kind]
        counted = [t for t in members if t.counted]
        if kind == "performance" and not perf_on:
            for t in members:
                t.score = t.max_score = 0.0
            parts[kind] = None
            continue
        total_weight = sum(t.max_score for t in counted)
        passed_weight = sum(t.max_score for t in counted if t.status == "passed")
        for t in members:
            raw = t.max_score
            t.max_score = _round(points * raw / total_weight) if t.counted and total_weight else 0.0
            t.score = t.max_score if t.status == "passed" and t.counted else 0.0
        parts[kind] = Part(
            score=_round(points * passed_weight / total_weight) if total_weight else 0.0,
            max_score=float(points) if counted else 0.0,
        )
    return parts["correctness"], parts["performance"]  # type: ignore[return-value]
