"""Terminal output with :mod:`rich`: the kata list, a grade's table, demo scorecards."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from .catalog import Kata
from .result import GradeResult

STATUS_STYLE = {
    "passed": "green", "pass": "bold green", "failed": "red", "fail": "bold red",
    "error": "magenta", "timeout": "yellow", "oom": "yellow", "skipped": "dim",
}  # fmt: skip


def console(stderr: bool = False) -> Console:
    """A console that keeps tables readable when output is piped (CI logs, files): 160
    columns unless ``COLUMNS`` says otherwise or a terminal tells its own width."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, width=width, soft_wrap=False)


def kata_table(katas: list[Kata]) -> Table:
    """``kata list``: id, title, difficulty, tags, gpu, source."""
    table = Table(title=f"{len(katas)} katas", show_lines=False)
    table.add_column("id", no_wrap=True)
    for col in ("title", "difficulty", "tags", "gpu", "source"):
        table.add_column(col, overflow="fold")
    for k in katas:
        m = k.meta
        table.add_row(m.id, m.title, m.difficulty, ", ".join(m.tags), "yes" if m.gpu else "",
                      f"{m.source.seed}: {m.source.section}")  # fmt: skip
    return table


def show_statement(kata: Kata, out: Console) -> None:
    """``kata show``: the statement rendered as Markdown."""
    out.print(Markdown(kata.statement.read_text(encoding="utf-8")))


def _first_line(text: str, width: int = 110) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def result_table(result: GradeResult) -> Table:
    """One row per hidden test: status, points, and the message or the measured ratio."""
    perf = result.performance
    title = (
        f"{result.kata} v{result.kata_version}  [{STATUS_STYLE.get(result.status, '')}]"
        f"{result.status.upper()}[/]  {result.score:g}/{result.max_score:g}  "
        f"(correctness {result.correctness.score:g}/{result.correctness.max_score:g}, "
        + (f"performance {perf.score:g}/{perf.max_score:g})" if perf else "performance not graded)")
    )
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("test", overflow="fold")
    table.add_column("status")
    table.add_column("points", justify="right")
    table.add_column("detail", overflow="fold")
    for t in result.tests:
        if t.perf is not None:
            detail = f"{t.perf.ratio:.2f}x (bound {t.perf.bound:g}x)"
            if t.status != "passed":
                detail += " " + _first_line(t.message, 80)
        else:
            detail = _first_line(t.message) if t.status != "passed" else ""
        points = f"{t.score:g}/{t.max_score:g}" if t.counted else "-"
        style = STATUS_STYLE.get(t.status, "")
        table.add_row(escape(t.name), f"[{style}]{t.status}[/]", points, escape(detail))
    return table


def print_result(result: GradeResult, out: Console) -> None:
    """The table, then policy findings, errors and the seed."""
    out.print(result_table(result))
    findings = result.policy.get("findings", [])
    if findings:
        verdict = (
            "fails the submission" if result.policy.get("action") == "fail" else "marked for review"
        )
        out.print(f"[yellow]policy: {len(findings)} finding(s), {verdict}[/]")
        for f in findings[:20]:
            out.print(escape(f"  {f['file']}:{f['line']}: [{f['rule']}] {f['message']}"))
    if result.error:
        out.print(f"[magenta]error:[/] {escape(result.error)}")
    out.print(f"[dim]seed {result.seed} · device {result.device} · {result.duration_s:.1f} s[/]")


def scorecard(rows: list[tuple[str, GradeResult]], title: str) -> Table:
    """``kata demo``: one row per example submission."""
    table = Table(title=title, title_justify="left")
    for col in (
        "submission",
        "status",
        "correctness",
        "performance",
        "total",
        "first failing test",
    ):
        table.add_column(col, overflow="fold")
    for label, r in rows:
        failing = next((t for t in r.tests if t.counted and t.status != "passed"), None)
        perf = r.performance
        table.add_row(
            label,
            f"[{STATUS_STYLE.get(r.status, '')}]{r.status}[/]",
            f"{r.correctness.score:g}/{r.correctness.max_score:g}",
            f"{perf.score:g}/{perf.max_score:g}" if perf else "-",
            f"{r.score:g}/{r.max_score:g}",
            escape(
                (f"{failing.name}: " + _first_line(failing.message, 90)) if failing else r.error
            ),
        )
    return table
