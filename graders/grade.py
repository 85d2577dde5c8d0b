"""Grading one submission against one kata, end to end (KATA_SPEC section 4).

1. read the allowlisted files (:mod:`graders.submission`);
2. the static policy check (:mod:`graders.policy`);
3. the expected test ids, collected without candidate code (:mod:`graders.collect`), in a
   thread while the child runs;
4. the judge (:mod:`graders.judge`): pytest on the hidden suite in a limited child process that
   never imports candidate code; the submission runs in a sandbox the judge starts
   (:mod:`graders.sandbox`) and is called over a narrow channel (:mod:`graders.bridge`);
5. per-test outcomes merged with the expected ids (a test with no result failed), weighted
   scores (:mod:`graders.scoring`), and one :class:`~graders.result.GradeResult`.

Nothing a submission does makes this module raise: every graded submission gets a result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import platform
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .catalog import Kata
from .collect import ExpectedTest, expected_tests
from .command import display_name
from .errors import GradingInterrupted, KataError, SubmissionError
from .judge import run_judge
from .policy import Finding, check_files
from .process import ChildOutcome
from .public import run_public_tests
from .report import ChildReport
from .result import GradeResult, PerfFigure, TestResult
from .sandbox import SandboxError, isolation
from .scoring import score_tests
from .services import real_redis_available
from .submission import Submission, read_submission


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: device, performance on/off, seed, services, policy action, selection."""

    device: str = "cpu"
    perf: bool = True
    seed: int | None = None  # None: a fresh secret seed
    redis_url: str | None = None
    policy: str = "review"  # "review": flag and grade; "fail": a finding fails the submission
    select: tuple[str, ...] | None = None  # hidden test names to run (verify); None: all
    markers: str | None = None  # an extra pytest -m expression
    include_public: bool = False  # also run the public tests (verify's mutant check)
    timeout_s: float | None = None  # None: the kata's timeout_s
    keep_workdir: bool = False

    def __post_init__(self) -> None:
        if self.device not in ("cpu", "cuda"):
            raise KataError(f"--device must be cpu or cuda, not {self.device!r}")
        if self.policy not in ("review", "fail"):
            raise KataError(f"--policy must be review or fail, not {self.policy!r}")


@dataclass
class _Run:
    outcome: ChildOutcome | None = None
    report: ChildReport = field(default_factory=ChildReport)


def cache_key(kata: Kata, submission_digest: str, options: GradeOptions | None = None) -> str:
    """What a result is keyed by: the submitted files, the kata's version, the kit's version,
    and the settings that change what a grade means (device, performance on or off, policy
    action). Cohort runs skip results whose key is unchanged."""
    o = options or GradeOptions()
    material = (
        f"{submission_digest}|{kata.id}|{kata.meta.version}|{__version__}|"
        f"{o.device}|{'perf' if o.perf else 'noperf'}|{o.policy}"
    )
    return hashlib.sha256(material.encode()).hexdigest()


def check_requirements(kata: Kata) -> None:
    """Raise :class:`KataError` naming every module the kata ``requires`` that is missing."""
    missing = [m for m in kata.meta.requires if importlib.util.find_spec(m) is None]
    if missing:
        raise KataError(
            f"kata {kata.id} needs {', '.join(missing)}, not installed here "
            f"(torch on CPU: pip install torch==2.13.0)"
        )


def _selected(expected: list[ExpectedTest], select: tuple[str, ...] | None) -> list[ExpectedTest]:
    if select is None:
        return expected
    wanted = []
    for test in expected:
        if any(test.name == s or test.name.startswith(s + "[") for s in select):
            wanted.append(test)
    return wanted


def _marker_expr(options: GradeOptions) -> str | None:
    exprs = [] if options.perf else ["not perf"]
    if options.markers:
        exprs.append(f"({options.markers})")
    return " and ".join(exprs) or None


def _counted(test: ExpectedTest, options: GradeOptions) -> bool:
    if test.gpu and options.device != "cuda":
        return False
    if "real_redis" in test.tags and not real_redis_available(options.redis_url):
        return False
    return options.perf or not test.perf


def _marker_excluded(test: ExpectedTest, options: GradeOptions) -> bool:
    """Whether the extra ``markers`` expression deselects ``test`` (only "not perf" and
    "perf" are understood here; verify uses them to split its runs)."""
    expr = (options.markers or "").strip()
    if expr == "not perf":
        return test.perf
    if expr == "perf":
        return not test.perf
    return False


def _test_results(
    expected: list[ExpectedTest], run: _Run, options: GradeOptions, not_run: str | None
) -> list[TestResult]:
    results = []
    for test in expected:
        if _marker_excluded(test, options):
            continue
        counted = _counted(test, options)
        record = run.report.tests.get(test.nodeid)
        perf = None
        reviewer = ""
        if not_run is not None:
            status, message, output, duration = "error", f"not run: {not_run}", "", 0.0
        elif record is None:
            if not counted:
                status, message = "skipped", "not graded on this run"
            elif run.outcome and run.outcome.timed_out:
                status, message = "timeout", "no result: the run hit its wall-clock limit first"
            elif run.outcome and run.outcome.oom:
                status, message = "oom", "no result: the run was killed for memory first"
            else:
                status, message = "error", "no result: the run ended before this test reported"
            output, duration = "", 0.0
        else:
            status, message = record["status"], record.get("message", "")
            output, duration = record.get("output", ""), float(record.get("duration_s", 0.0))
            reviewer = record.get("reviewer", "")
            if status == "skipped" and counted:
                status, message = "failed", f"skipped unexpectedly: {message}"
            raw = record.get("properties", {}).get("perf")
            if isinstance(raw, dict):
                perf = PerfFigure(
                    **{k: raw[k] for k in PerfFigure.__dataclass_fields__ if k in raw}
                )
        results.append(
            TestResult(
                name=test.name, status=status, score=0.0, max_score=test.weight, kind=test.kind,
                doc=test.doc, message=message, output=output, reviewer=reviewer,
                visibility="hidden-detail" if test.hidden_detail else "visible",
                tags=list(test.tags), duration_s=round(duration, 4), perf=perf, counted=counted,
            )
        )  # fmt: skip
    return results


def _overall_status(tests: list[TestResult], run: _Run, error: str) -> str:
    outcome = run.outcome
    counted = [t for t in tests if t.counted]
    if (outcome and outcome.oom) or any(t.status == "oom" for t in counted):
        return "oom"
    if (outcome and outcome.timed_out) or any(t.status == "timeout" for t in counted):
        return "timeout"
    if error:
        return "error"
    return "pass" if counted and all(t.status == "passed" for t in counted) else "fail"


def _sandbox_error(rep: ChildReport) -> str:
    """A one-line reason when the submission's process crashed or was killed for starting too
    many processes during some test (memory kills are ``oom`` tests instead)."""
    for nodeid, record in rep.tests.items():
        event = record.get("properties", {}).get("sandbox_event")
        if event == "crashed":
            return f"the submission's process crashed (or exited) during {display_name(nodeid)}"
        if event == "procs":
            return f"the submission started too many processes during {display_name(nodeid)}"
        if event == "unstartable":
            return (
                f"the grading machine could not start a sandbox during {display_name(nodeid)}; "
                "this is not the submission's fault: grade it again"
            )
    return ""


def _run_error(run: _Run, device: str) -> str:
    """A one-line reason when the judge failed, or the submission's process crashed."""
    outcome, rep = run.outcome, run.report
    if outcome is None or outcome.timed_out or outcome.oom:
        return ""
    crashed = _sandbox_error(rep)
    if crashed:
        return crashed
    if outcome.crashed:
        return f"the test process crashed (signal {outcome.signal})"
    if rep.exitstatus is None:
        return f"the test process ended without finishing (exit code {outcome.returncode})"
    if rep.exitstatus == 4 and device == "cuda" and "CUDA is not available" in outcome.output:
        return "--device cuda was asked for but CUDA is not available on this machine"
    if rep.exitstatus in (2, 3, 4):
        return f"pytest could not run the suite (exit status {rep.exitstatus})"
    return ""


def _machine(run: _Run, device: str) -> dict:
    info = {"cores": os.cpu_count(), "python": platform.python_version(), "device": device}
    info.update(run.report.machine)
    if run.outcome is not None and run.outcome.cpu_share is not None:
        info["cpu_share_at_timeout"] = round(run.outcome.cpu_share, 3)
    return info


def grade_files(
    kata: Kata,
    files: dict[str, bytes] | Submission,
    options: GradeOptions | None = None,
    *,
    origin: str = "",
    problem: str | None = None,
) -> GradeResult:
    """Grade the submitted ``files`` (``{name: bytes}``) against ``kata``.

    ``problem`` marks a submission that cannot run at all (a missing file): every test is then
    reported as not run, with that reason. Raises :class:`KataError` only for problems of the
    grading machine itself (a package the kata requires is missing).
    """
    options = options or GradeOptions()
    check_requirements(kata)
    start = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    seed = options.seed if options.seed is not None else secrets.randbelow(2**31)
    sub = files if isinstance(files, Submission) else Submission(Path(origin or "."), files)
    meta = kata.meta

    error = problem or ""
    findings: list[Finding] = []
    if not error:
        try:
            findings = check_files(sub.texts(), meta.imports, meta.allow, meta.forbidden)
        except SubmissionError as exc:
            error = str(exc)
    if findings and options.policy == "fail" and not error:
        shown = "; ".join(str(f) for f in findings[:3])
        more = f" (and {len(findings) - 3} more)" if len(findings) > 3 else ""
        error = f"policy violation: {shown}{more}"

    run = _Run()
    try:
        mode = isolation()
    except SandboxError as exc:
        raise KataError(str(exc)) from exc
    public: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        expected_future = pool.submit(expected_tests, kata)
        public_future = (
            pool.submit(run_public_tests, kata, sub.files, mode)
            if options.include_public and not error
            else None
        )
        if not error:
            run = _execute(kata, sub.files, options, seed, mode)
            if run.outcome is not None and run.outcome.interrupted:
                raise GradingInterrupted(f"grading of {sub.origin} was interrupted")
        expected = _selected(expected_future.result(), options.select)
        if public_future is not None:
            public = public_future.result()

    run_error = "" if error else _run_error(run, options.device)
    tests = _test_results(expected, run, options, error or None)
    correctness, performance = score_tests(tests, meta.weights, options.perf)
    known = {t.nodeid for t in expected}
    unknown = sorted(display_name(n) for n in run.report.tests if n not in known)
    total_error = error or run_error
    if unknown and options.select is None:
        total_error = (
            total_error or f"the report names tests the suite does not have: {unknown[:3]}"
        )
    result = GradeResult(
        kata=kata.id,
        kata_version=meta.version,
        kit_version=__version__,
        status=_overall_status(tests, run, total_error),
        score=round(correctness.score + (performance.score if performance else 0.0), 2),
        max_score=correctness.max_score + (performance.max_score if performance else 0.0),
        correctness=correctness,
        performance=performance,
        seed=seed,
        device=options.device,
        perf_mode="on" if options.perf else "off",
        submission={
            "origin": str(sub.origin),
            "sha256": sub.digest(),
            "files": sorted(sub.files),
            "ignored": list(sub.ignored),
        },
        machine=_machine(run, options.device),
        policy={
            "action": options.policy,
            "review": bool(findings) or bool(unknown),
            "findings": [f.as_dict() for f in findings],
        },
        tests=tests,
        public=public,
        isolation=mode,
        load=round(load, 2),
        error=total_error,
        output_tail=(run.outcome.output[-8000:] if run.outcome else ""),
        started_at=started_at,
        duration_s=round(time.monotonic() - start, 3),
        cache_key=cache_key(kata, sub.digest(), options),
    )
    return result


def _execute(
    kata: Kata, files: dict[str, bytes], options: GradeOptions, seed: int, mode: str
) -> _Run:
    run = run_judge(
        kata, files, seed=seed, timeout_s=options.timeout_s or kata.meta.timeout_s,
        device=options.device, markers=_marker_expr(options),
        select=list(options.select) if options.select is not None else None,
        redis_url=options.redis_url if "redis" in kata.meta.services else None,
        isolation=mode, keep_workdir=options.keep_workdir,
    )  # fmt: skip
    return _Run(run.outcome, run.report)


def grade_folder(kata: Kata, folder: Path, options: GradeOptions | None = None) -> GradeResult:
    """Grade the submission in ``folder``: like :func:`grade_files`, and a folder that lacks
    a file or holds an unreadable one still gets a result (status ``error``).

    Raises:
        UsageError: ``folder`` does not exist or is not a folder.
    """
    try:
        sub = read_submission(folder, kata.meta)
    except SubmissionError as exc:
        return grade_files(kata, {}, options, origin=str(folder), problem=str(exc))
    return grade_files(kata, sub, options)
