"""Running the judge: pytest on the hidden suite, in a child process of the grader.

The judge never imports candidate code (the harness serves ``sol`` from the contestant sandbox,
:mod:`graders.harness.session`); this module starts it with the kit's command line, waits for it
under the run's wall-clock and memory limits (:mod:`graders.process`), and reads its report.
Grading, collection and ``kata stress`` all go through :func:`run_judge`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from .catalog import Kata
from .command import pytest_argv
from .process import ChildOutcome, child_env, run_child
from .report import ChildReport, read_report
from .workdir import assemble

#: Memory the judge process itself may use beside the sandboxes (pytest, torch, oracles).
JUDGE_MEMORY_MB = 3072


@dataclass
class JudgeRun:
    """How a judge run ended, and what it reported."""

    outcome: ChildOutcome
    report: ChildReport


def run_judge(
    kata: Kata,
    files: dict[str, bytes] | None,
    *,
    seed: int,
    timeout_s: float,
    device: str = "cpu",
    markers: str | None = None,
    select: list[str] | None = None,
    redis_url: str | None = None,
    isolation: str | None = None,
    collect_only: bool = False,
    extra: list[str] | None = None,
    keep_workdir: bool = False,
) -> JudgeRun:
    """Run the judge of ``kata`` on ``files`` (``None``: no submission, for collection).

    The whole tree (judge and sandboxes) is killed at ``timeout_s`` or when its resident
    memory passes two sandboxes' worth plus :data:`JUDGE_MEMORY_MB`; each sandbox has its own,
    tighter, limit (``memory_mb`` of ``kata.toml``).
    """
    from . import warm as warm_module

    wd = assemble(kata, files)
    warm = warm_module.current() if device == "cpu" else None
    try:
        lease = (
            warm.lease(kata) if warm is not None and files is not None else contextlib.nullcontext()
        )
        with lease as zygote:
            also = _forked_by(zygote.pid) if zygote is not None else None
            argv = pytest_argv(
                kata, wd, seed=seed, device=device, markers=markers, select=select,
                redis_url=redis_url, isolation=isolation, collect_only=collect_only, extra=extra,
                zygote=zygote.to_json() if zygote is not None else None,
            )  # fmt: skip
            outcome = run_child(
                argv, cwd=wd.work, env=child_env(wd.tmp), timeout_s=timeout_s,
                memory_mb=2 * kata.meta.memory_mb + JUDGE_MEMORY_MB, rlimit_data=False,
                server=warm.server if warm is not None and warm.server.alive else None,
                also=also,
            )  # fmt: skip
        return JudgeRun(outcome, read_report(wd.report))
    finally:
        if not keep_workdir:
            wd.cleanup()


def _forked_by(zygote_pid: int) -> Callable[[], list[psutil.Process]]:
    """The processes a zygote (host pid of its bubblewrap) forks from now on: during one lease
    they are all the grade's sandboxes, which are not descendants of the judge."""
    try:
        root = psutil.Process(zygote_pid)
        before = {p.pid for p in [root, *root.children(recursive=True)]}
    except psutil.Error:
        return list

    def new() -> list[psutil.Process]:
        return [p for p in root.children(recursive=True) if p.pid not in before]

    return new
