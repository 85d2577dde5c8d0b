"""JUnit XML (one ``<testsuite>`` per graded kata) with :mod:`junitparser`."""

from __future__ import annotations

from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Properties, Property, Skipped, TestCase, TestSuite

from ..result import GradeResult


def to_junit(result: GradeResult) -> TestSuite:
    """A ``TestSuite`` named after the kata; a case per hidden test."""
    suite = TestSuite(f"{result.kata}")
    suite.timestamp = result.started_at
    props = Properties()
    for key, value in (
        ("status", result.status),
        ("score", result.score),
        ("max_score", result.max_score),
        ("seed", result.seed),
        ("kata_version", result.kata_version),
        ("device", result.device),
    ):
        props.add_property(Property(key, str(value)))
    suite.append(props)
    for t in result.tests:
        file, _, name = t.name.partition("::")
        case = TestCase(name or t.name, classname=f"{result.kata}.{file.removesuffix('.py')}",
                        time=t.duration_s)  # fmt: skip
        if t.status in ("failed", "timeout", "oom"):
            case.result = [Failure(t.message.splitlines()[0] if t.message else t.status, t.status)]
            case.system_out = t.output
        elif t.status == "error":
            case.result = [Error(t.message.splitlines()[0] if t.message else "error", "error")]
            case.system_out = t.output
        elif t.status == "skipped" or not t.counted:
            case.result = [Skipped(t.message or "not graded on this run")]
        suite.add_testcase(case)
    if result.error:
        suite.system_err = result.error
    return suite


def write_junit(result: GradeResult, path: Path) -> Path:
    """Write the result as a JUnit XML file with one test suite."""
    xml = JUnitXml()
    xml.add_testsuite(to_junit(result))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    xml.write(str(path), pretty=True)
    return path
