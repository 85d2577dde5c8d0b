"""Cohort grading: many students' submissions against one or more katas.

``SUBMISSIONS`` holds one folder or zip per student; the student's name is the folder's name or
the zip's stem. For each kata the files are looked for in ``STUDENT/KATA/`` (a returned
take-home bundle) and else in ``STUDENT/`` itself. An archive that is unsafe or unreadable is
rejected with its reason, and that student gets an error result for every kata; the rest of the
cohort is graded as usual.

Each (student, kata) is a :class:`Task` whose result goes to ``OUT/results/STUDENT/KATA.json``,
written atomically as soon as it is graded. A result whose ``cache_key`` (submitted files, kata
version, kit version) matches is not graded again unless ``regrade``: an interrupted run (Ctrl-C,
or SIGKILL of this process) resumes where it stopped and loses nothing already graded.

Grading runs in ``jobs`` local workers (each grade is its own sandboxed child process), or on a
Redis job queue (:mod:`graders.queue`).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from .archive import safe_extract
from .catalog import Kata
from .errors import GradingInterrupted, SubmissionError, UsageError
from .grade import GradeOptions, cache_key, grade_files
from .process import terminate_all
from .result import GradeResult, load_result
from .submission import read_submission
from .warm import warm_processes

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Student:
    """One student's submission: a folder (unpacked when it came as a zip), or a problem."""

    name: str
    folder: Path | None
    problem: str | None = None


@dataclass(frozen=True)
class Task:
    """Grading one student's submission against one kata."""

    student: str
    kata: Kata
    files: dict[str, bytes]
    origin: str
    problem: str | None
    key: str
    result_path: Path

    @property
    def label(self) -> str:
        return f"{self.student}/{self.kata.id}"


def student_name(path: Path) -> str:
    """A file-system-safe name from a folder name or a zip's stem."""
    stem = path.stem if path.suffix.lower() == ".zip" else path.name
    return _SAFE.sub("_", stem).strip("._") or "student"


def discover(submissions: Path, unpack_dir: Path) -> list[Student]:
    """The students in ``submissions`` (folders and ``.zip`` files), zips unpacked safely into
    ``unpack_dir``.

    Raises:
        UsageError: ``submissions`` is not a folder, or holds no submission.
    """
    if not submissions.is_dir():
        raise UsageError(f"{submissions} is not a folder of submissions")
    entries = sorted(
        p
        for p in submissions.iterdir()
        if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() == ".zip")
    )
    if not entries:
        raise UsageError(f"{submissions} holds no submission folders or .zip files")
    students: dict[str, Student] = {}
    for entry in entries:
        name = student_name(entry)
        if name in students:
            students[name] = Student(
                name, None, f"two submissions named {name!r} (folder and zip?)"
            )
            continue
        if entry.is_dir():
            students[name] = Student(name, entry)
            continue
        target = unpack_dir / name
        shutil.rmtree(target, ignore_errors=True)
        try:
            students[name] = Student(name, safe_extract(entry, target))
        except SubmissionError as exc:
            students[name] = Student(name, None, f"archive rejected: {exc}")
    return list(students.values())


def _problem_key(kata: Kata, problem: str, options: GradeOptions | None) -> str:
    return cache_key(kata, hashlib.sha256(f"problem|{problem}".encode()).hexdigest(), options)


def make_task(student: Student, kata: Kata, out: Path, options: GradeOptions | None = None) -> Task:
    """The grading task of ``student`` on ``kata`` under ``options``, with its cache key."""
    path = out / "results" / student.name / f"{kata.id}.json"
    if student.problem or student.folder is None:
        problem = student.problem or "no submission"
        key = _problem_key(kata, problem, options)
        return Task(student.name, kata, {}, student.name, problem, key, path)
    folder = student.folder / kata.id if (student.folder / kata.id).is_dir() else student.folder
    try:
        sub = read_submission(folder, kata.meta)
    except (SubmissionError, UsageError) as exc:
        problem = str(exc)
        key = _problem_key(kata, problem, options)
        return Task(student.name, kata, {}, str(folder), problem, key, path)
    key = cache_key(kata, sub.digest(), options)
    return Task(student.name, kata, sub.files, str(folder), None, key, path)


def already_graded(task: Task) -> bool:
    """Whether ``task``'s result file exists, is intact (its content digest matches) and has
    the same cache key; a torn, edited or stale file is graded again."""
    try:
        result = load_result(task.result_path)
    except (OSError, ValueError, TypeError, KeyError):
        return False
    return (
        result.cache_key == task.key
        and bool(result.digest)
        and (result.digest == result.content_digest())
    )


def plan(
    students: list[Student],
    katas: list[Kata],
    out: Path,
    regrade: bool = False,
    options: GradeOptions | None = None,
) -> tuple[list[Task], list[Task]]:
    """``(to_grade, already_done)`` for every (student, kata) under ``options``."""
    todo, done = [], []
    for student in students:
        for kata in katas:
            task = make_task(student, kata, out, options)
            (done if already_graded(task) and not regrade else todo).append(task)
    return todo, done


#: A grade that timed out while it had less than this share of a core was starved by the other
#: work on the machine, not stuck in its own loop: it is graded again alone.
STARVED_SHARE = 0.8


def _starved(result: GradeResult) -> bool:
    share = result.machine.get("cpu_share_at_timeout")
    return share is None or share < STARVED_SHARE


def grade_task(task: Task, options: GradeOptions, confirming: bool = False) -> GradeResult:
    """Grade one task here and write its result file. Never raises for a bad submission; an
    internal error of the grader itself becomes an ``error`` result too, so one task cannot
    stop the batch. ``confirming``: a second grade of a submission that timed out while others
    were grading, run alone; its result says so."""
    try:
        result = grade_files(
            task.kata, task.files, options, origin=task.origin, problem=task.problem
        )
    except GradingInterrupted:
        raise  # no result: the resumed run grades it again
    except Exception as exc:  # noqa: BLE001 - recorded in the result, the batch goes on
        why = f"internal grading error ({type(exc).__name__}: {exc}); grade this submission again"
        result = grade_files(task.kata, {}, options, origin=task.origin, problem=why)
    result.cache_key = task.key
    if confirming:
        result.notes.append(
            "timed out while other submissions were grading; graded again alone: "
            + ("timed out again" if result.status == "timeout" else "finished in time")
        )
    result.write(task.result_path)
    return result


def run_local(
    tasks: Iterable[Task],
    options: GradeOptions,
    jobs: int,
    on_done: Callable[[Task, GradeResult], None] | None = None,
) -> None:
    """Grade ``tasks`` with ``jobs`` concurrent grading processes; each result is written as it
    finishes. On KeyboardInterrupt the running children are killed and nothing already written
    is lost."""
    pending = list(tasks)
    quick = [t for t in pending if t.problem]  # nothing to run: answer at once
    for task in quick:
        result = grade_task(task, options)
        if on_done:
            on_done(task, result)
    slow = [t for t in pending if not t.problem]
    katas = list({t.kata.id: t.kata for t in slow}.values())
    with warm_processes(katas, max(1, jobs), options.device):
        _run_pool(slow, options, jobs, on_done)


def _run_pool(
    slow: list[Task],
    options: GradeOptions,
    jobs: int,
    on_done: Callable[[Task, GradeResult], None] | None,
) -> None:
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    running: dict[Future, Task] = {}
    timed_out: list[Task] = []
    try:
        queue = list(reversed(slow))
        while queue or running:
            while queue and len(running) < max(1, jobs):
                task = queue.pop()
                running[pool.submit(grade_task, task, options)] = task
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                task = running.pop(future)
                result = future.result()
                if result.status == "timeout" and jobs > 1 and _starved(result):
                    timed_out.append(task)  # confirmed below, alone: not reported yet
                elif on_done:
                    on_done(task, result)
        for task in timed_out:  # a busy machine must not fail a right answer: grade it again,
            result = grade_task(task, options, confirming=True)  # with nothing else grading
            if on_done:
                on_done(task, result)
    except BaseException:
        terminate_all()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
