"""Grading end to end on the toy kata: scores, statuses, and every way a submission can
misbehave still ends in a result (KATA_SPEC section 4)."""

import socket
import time

import pytest

from graders.grade import GradeOptions, grade_files, grade_folder
from graders.result import load_result
from graders.sandbox import bwrap_problem, isolation

ADD_OK = "def add(a, b):\n    return a + b\n"
TOTAL_OK = "def total(xs):\n    return sum(xs)\n"


def by_name(result):
    return {t.name: t for t in result.tests}


def test_reference_scores_100(toy_kata, submit, toy_reference):
    """The reference passes every counted test; the CUDA-only test is listed, not counted."""
    result = grade_folder(toy_kata, submit({"toy.py": toy_reference}), GradeOptions(seed=3))
    assert result.status == "pass", result.error or [t.message for t in result.tests]
    assert (result.score, result.max_score) == (100.0, 100.0)
    assert (result.correctness.score, result.performance.score) == (60.0, 40.0)
    gpu = by_name(result)["test_hidden.py::test_gpu_only"]
    assert (gpu.counted, gpu.status) == (False, "skipped")
    speed = by_name(result)["test_hidden.py::test_total_speed"]
    assert speed.perf is not None and speed.perf.bound == 3.0
    assert result.seed == 3 and result.machine["cores"] >= 1


def test_weights_split_the_part(toy_kata, submit):
    """A wrong add() loses its three tests' share of correctness; weight(2) on total counts
    double."""
    result = grade_folder(toy_kata, submit({"toy.py": "def add(a, b):\n    return 0\n" + TOTAL_OK}),
                          GradeOptions(seed=1, perf=False))  # fmt: skip
    tests = by_name(result)
    assert tests["test_hidden.py::test_total"].max_score == pytest.approx(24.0)
    assert tests["test_hidden.py::test_add[5]"].max_score == pytest.approx(12.0)
    assert result.correctness.score == pytest.approx(24.0)
    assert result.performance is None and result.max_score == 60.0
    assert result.status == "fail"


def test_stub_scores_zero(toy_kata):
    """The stub raises NotImplementedError everywhere: 0 on correctness."""
    stub = {"toy.py": (toy_kata.candidate_dir / "toy.py").read_bytes()}
    result = grade_files(toy_kata, stub, GradeOptions(seed=1, perf=False))
    assert result.correctness.score == 0
    assert all(t.status in ("failed", "error") for t in result.tests if t.counted)


def test_submitted_conftest_is_ignored(toy_kata, submit):
    """A conftest.py that forces every test to pass changes nothing: same score as without."""
    cheat = (
        "import pytest\n\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n"
    )
    wrong = "def add(a, b):\n    return a - b\n" + TOTAL_OK
    files = {"toy.py": wrong, "conftest.py": cheat, "pytest.ini": "[pytest]\naddopts = -p no:python\n",
             "sitecustomize.py": "raise SystemExit(0)\n", "evil.pth": "import os\n"}  # fmt: skip
    with_cheat = grade_folder(toy_kata, submit(files, "cheat"), GradeOptions(seed=5, perf=False))
    without = grade_folder(
        toy_kata, submit({"toy.py": wrong}, "plain"), GradeOptions(seed=5, perf=False)
    )
    assert with_cheat.score == without.score < with_cheat.max_score
    assert [t.status for t in with_cheat.tests] == [t.status for t in without.tests]
    assert "conftest.py" in with_cheat.submission["ignored"]


def test_infinite_loop_at_import_times_out_with_a_result(toy_kata, submit, tmp_path):
    """`while True: pass` at import ends as `timeout` within timeout_s + 10 s, every test
    reported, and the result file is written."""
    start = time.monotonic()
    result = grade_folder(
        toy_kata, submit({"toy.py": "while True:\n    pass\n"}), GradeOptions(seed=1)
    )
    elapsed = time.monotonic() - start
    assert result.status == "timeout"
    assert elapsed <= toy_kata.meta.timeout_s + 10, elapsed
    assert all(t.status in ("timeout", "skipped") for t in result.tests)
    path = result.write(tmp_path / "r.json")
    assert load_result(path).status == "timeout"


def test_uninterruptible_hang_is_killed_at_the_wall_clock(toy_kata, submit):
    """A hang that blocks the per-test alarm is killed with its process group at timeout_s."""
    src = (
        "import signal, time\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
        "time.sleep(3600)\n" + ADD_OK + TOTAL_OK
    )
    start = time.monotonic()
    result = grade_folder(toy_kata, submit({"toy.py": src}), GradeOptions(seed=1))
    assert result.status == "timeout"
    assert time.monotonic() - start <= toy_kata.meta.timeout_s + 10
    assert {t.status for t in result.tests if t.counted} == {"timeout"}


@pytest.mark.parametrize(
    "alloc", ["x = bytearray(50 * 10**9)", "import numpy as np\nx = np.ones(50 * 10**9 // 8)"]
)
def test_50gb_allocation_is_oom(toy_kata, submit, alloc):
    """A 50 GB allocation ends as `oom`, quickly, with every test reported."""
    start = time.monotonic()
    result = grade_folder(toy_kata, submit({"toy.py": alloc + "\n" + ADD_OK + TOTAL_OK}),
                          GradeOptions(seed=1, perf=False))  # fmt: skip
    assert result.status == "oom"
    assert time.monotonic() - start < 30


@pytest.fixture
def listener():
    """A TCP server on 127.0.0.1 that the grading process could reach without isolation."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def test_connection_to_localhost_fails(toy_kata, submit, listener):
    """Inside the sandbox a submission cannot connect to 127.0.0.1 (its own network namespace);
    the connection is flagged by the policy check as well."""
    if isolation() != "bwrap":
        pytest.skip(f"no sandbox on this machine: {bwrap_problem()}")
    src = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {listener}), timeout=2).close()\n"
        "    REACHED = True\n"
        "except OSError:\n"
        "    REACHED = False\n"
        "def add(a, b):\n    return 'network reached' if REACHED else a + b\n" + TOTAL_OK
    )
    scope: dict = {}
    exec(compile(src, "probe", "exec"), scope)  # noqa: S102 - control: outside, it connects
    assert scope["REACHED"] is True
    result = grade_folder(toy_kata, submit({"toy.py": src}), GradeOptions(seed=1, perf=False))
    assert result.status == "pass", [t.message for t in result.tests if t.status != "passed"]
    assert result.isolation == "bwrap"
    assert any(f["message"].startswith("import of `socket`") for f in result.policy["findings"])


def test_sys_modules_flagged_in_the_result(toy_kata, submit):
    """Reaching sys.modules is reported per file and line and marks the result for review;
    --policy fail fails it instead."""
    src = "import sys\nH = sys.modules.get('graders')\n" + ADD_OK + TOTAL_OK
    folder = submit({"toy.py": src})
    review = grade_folder(toy_kata, folder, GradeOptions(seed=1, perf=False))
    assert review.policy["review"] is True and review.status == "pass"
    assert {(f["line"], f["rule"]) for f in review.policy["findings"]} == {
        (1, "import"),
        (2, "introspection"),
    }
    failed = grade_folder(toy_kata, folder, GradeOptions(seed=1, perf=False, policy="fail"))
    assert failed.status == "error" and failed.score == 0 and "sys.modules" in failed.error


def test_crash_is_an_error_with_a_result(toy_kata, submit):
    """A submission that kills its own process (SIGABRT) gets status error, every test listed;
    the crash ends only the sandbox, and the other tests still run."""
    src = "import os\n" + ADD_OK + "def total(xs):\n    os.abort()\n"
    result = grade_folder(toy_kata, submit({"toy.py": src}), GradeOptions(seed=1, perf=False))
    assert result.status == "error" and "crashed" in result.error
    assert by_name(result)["test_hidden.py::test_add[0]"].status == "passed"
    total = by_name(result)["test_hidden.py::test_total"]
    assert total.status != "passed" and "crash" in total.message


def test_early_exit_cannot_skip_tests(toy_kata, submit):
    """os._exit(0) in the submission ends its own process, not the judge: the test that was
    running fails, and the tests after it still run (in a fresh sandbox)."""
    src = (
        "import os\n"
        + ADD_OK.replace("return a + b", "if a == 5:\n        os._exit(0)\n    return a + b")
        + TOTAL_OK
    )
    result = grade_folder(toy_kata, submit({"toy.py": src}), GradeOptions(seed=1, perf=False))
    assert result.status == "error"
    tests = by_name(result)
    assert tests["test_hidden.py::test_add[5]"].status != "passed"
    assert tests["test_hidden.py::test_add[5]"].score == 0
    assert tests["test_hidden.py::test_add[-3]"].status == "passed"
    assert tests["test_hidden.py::test_total"].status == "passed"


def test_missing_file_and_syntax_error_still_get_results(toy_kata, submit):
    """Bad submissions get status error, a one-line reason, and every expected test listed."""
    missing = grade_folder(toy_kata, submit({"other.py": ADD_OK}, "missing"))
    assert missing.status == "error" and "toy.py is missing" in missing.error
    broken = grade_folder(toy_kata, submit({"toy.py": "def add(:\n"}, "broken"))
    assert broken.status == "error" and "syntax error in toy.py line 1" in broken.error
    for result in (missing, broken):
        assert len(result.tests) == 6 and result.score == 0


def test_symlinked_file_is_refused(toy_kata, tmp_path):
    """A symlink (say, to the reference) is refused rather than followed."""
    folder = tmp_path / "sym"
    folder.mkdir()
    (folder / "toy.py").symlink_to(toy_kata.reference_dir / "toy.py")
    result = grade_folder(toy_kata, folder)
    assert result.status == "error" and "symbolic link" in result.error


def test_seed_is_secret_by_default_and_repeatable(toy_kata, submit, toy_reference):
    """Without --seed each grade draws a fresh seed; the recorded seed reproduces the inputs."""
    folder = submit({"toy.py": toy_reference})
    a = grade_folder(toy_kata, folder, GradeOptions(perf=False))
    b = grade_folder(toy_kata, folder, GradeOptions(perf=False))
    assert a.seed != b.seed


def test_a_sandbox_the_machine_could_not_start_makes_the_grade_an_error():
    """A test that failed because no sandbox could be started (``SandboxError``: the judge
    plugin marks it ``unstartable``) is the grading machine's fault: the grade's status is
    ``error`` with a reason saying so, never a plain ``fail`` charged to the candidate."""
    from graders.grade import _overall_status, _Run, _run_error
    from graders.process import ChildOutcome
    from graders.report import ChildReport

    outcome = ChildOutcome(
        returncode=1, signal=None, timed_out=False, oom=False, wall_s=1.0, output=""
    )
    record = {"status": "failed", "properties": {"sandbox_event": "unstartable"}}
    run = _Run(outcome, ChildReport(tests={"test_hidden.py::test_add[0]": record}, exitstatus=1))
    reason = _run_error(run, "cpu")
    assert "could not start a sandbox" in reason and "not the submission's fault" in reason
    assert _overall_status([], run, reason) == "error"
    plain = {"status": "failed", "properties": {}}
    assert _run_error(_Run(outcome, ChildReport(tests={"t": plain}, exitstatus=1)), "cpu") == ""
