"""What a candidate may see of a test: hidden-detail tests keep their name and verdict only."""

from __future__ import annotations

from ..result import TestResult

WITHHELD = "details withheld for this test"


def candidate_message(test: TestResult) -> str:
    """The message a candidate sees: the real one, or :data:`WITHHELD` for hidden-detail tests,
    with the measured ratio of a performance gate either way."""
    perf = ""
    if test.perf is not None:
        perf = f"measured {test.perf.ratio:.2f}x, bound {test.perf.bound:.2f}x"
    if test.visibility == "hidden-detail":
        return "; ".join(x for x in (WITHHELD, perf) if x)
    if test.status == "passed":
        return perf
    return "\n".join(x for x in (test.message, perf) if x)
