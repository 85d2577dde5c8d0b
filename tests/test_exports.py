"""Result exports: the JSON result round-trips, Gradescope results.json and JUnit XML are valid
and withhold hidden details from candidates."""

import json

import pytest
from junitparser import JUnitXml

from graders.exports.gradescope import to_gradescope, write_gradescope
from graders.exports.junit import write_junit
from graders.exports.visibility import WITHHELD
from graders.grade import GradeOptions, grade_folder
from graders.result import RESULT_VERSION, load_result


@pytest.fixture(scope="module")
def graded(toy_kata, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sub")
    (folder / "toy.py").write_text(
        "def add(a, b):\n    return a - b\n\ndef total(xs):\n    return sum(xs)\n"
    )
    return grade_folder(toy_kata, folder, GradeOptions(seed=11))


def test_result_json_round_trips(graded, tmp_path):
    """The versioned JSON result carries every field of KATA_SPEC section 5 and loads back."""
    path = graded.write(tmp_path / "r.json")
    data = json.loads(path.read_text())
    for key in ("version", "kata", "status", "score", "max_score", "correctness", "performance",
                "seed", "machine", "policy", "tests"):  # fmt: skip
        assert key in data
    assert data["version"] == RESULT_VERSION and list(data)[0] == "version"
    test = data["tests"][0]
    for key in (
        "name",
        "status",
        "score",
        "max_score",
        "message",
        "output",
        "visibility",
        "tags",
        "duration_s",
    ):
        assert key in test
    assert load_result(path) == graded


def test_gradescope_results_json(graded, tmp_path):
    """Gradescope results.json: scores add up, statuses are passed/failed, a leaderboard entry
    per performance gate, hidden-detail outputs withheld."""
    data = json.loads(write_gradescope(graded, tmp_path / "results.json").read_text())
    assert data["score"] == graded.score
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(graded.score)
    assert {t["status"] for t in data["tests"]} <= {"passed", "failed"}
    assert all(
        set(t) >= {"name", "score", "max_score", "output", "visibility"} for t in data["tests"]
    )
    assert [e["name"] for e in data["leaderboard"]] == ["test_total_speed"]
    assert data["leaderboard"][0]["order"] == "asc"
    failing = [t for t in data["tests"] if t["status"] == "failed"]
    assert failing and "add(" in failing[0]["output"]


def test_hidden_detail_is_withheld(graded):
    """A hidden-detail test keeps its name and verdict; its message is withheld."""
    graded.tests[1].visibility = "hidden-detail"
    data = to_gradescope(graded)
    assert data["tests"][1]["output"].startswith(WITHHELD)
    graded.tests[1].visibility = "visible"


def test_junit_xml(graded, tmp_path):
    """JUnit XML parses back: one suite, a case per test, failures where tests failed."""
    path = write_junit(graded, tmp_path / "junit.xml")
    xml = JUnitXml.fromfile(str(path))
    suite = next(iter(xml))
    cases = list(suite)
    assert len(cases) == len(graded.tests)
    failed = sum(1 for c in cases if c.result and c.result[0]._tag == "failure")
    assert failed == sum(1 for t in graded.tests if t.status == "failed")


def test_candidate_text_holds_no_hidden_internals():
    """What a candidate reads keeps the data of a hypothesis example and the call, but no
    module of the hidden suite, no fixture reprs and no path of the grader."""
    from graders.harness.plugin import for_candidate

    raw = (
        "AssertionError: bucket granted 4 of 3 (R2)\n"
        "Falsifying example: test_burst(\n"
        "    sol=<ratelimit in the contestant sandbox>,\n"
        "    tk=namespace(OracleBucket=<class 'hidden.conftest.OracleBucket'>, TICK=1/1024),\n"
        "    oracle=<function oracle at 0x7f00>,\n"
        "    capacity=3,\n"
        ")\n"
        '  File "/tmp/kata-token_bucket-x1/work/hidden/test_bucket.py", line 9\n'
        '  File "/kata/site/torch/functional.py", line 3\n'
    )
    text = for_candidate(raw)
    assert "granted 4 of 3 (R2)" in text and "capacity=3" in text
    for leak in ("hidden.", "namespace(", "OracleBucket", "0x7f00", "/tmp/kata-", "/kata/site"):
        assert leak not in text, leak
