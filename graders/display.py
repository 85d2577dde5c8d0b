"""Terminal output with :mod:`rich`: the kata list, a grade's table, demo scorecards."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
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
        m = k.summary()
        table.add_row(k.id, str(m.get("title", "")), str(m.get("difficulty", "")),
                      ", ".join(m.get("tags", [])), "yes" if m.get("gpu") else "",
                      str(m.get("source", {}).get("section", "")))  # fmt: skip
    return table


def show_statement(kata: Kata, out: Console) -> None:
    """``kata show``: the statement rendered as Markdown."""
    from rich.markdown import Markdown

    out.print(Markdown(kata.statement.read_text(encoding="utf-8")))


def _first_line(text: str, width: int | None = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    if width is None or len(line) <= width:
        return line
    cut = line[:width].rsplit(" ", 1)[0]
    return cut + " ..."


def _points(value: float) -> str:
    """Points for display: at most two decimals (4.67, not 4.6667)."""
    return f"{round(value, 2):g}"


def result_table(result: GradeResult, full: bool = False) -> Table:
    """One row per hidden test: status, points, and the message or the measured ratio.

    The detail column folds (a ratio or a bound is never cut); a message is shown to its first
    line (cut at a word near 200 characters), or whole with ``full``; a reason shared by every
    failing row (a missing file, a syntax error) is printed once below the table instead.
    """
    perf = result.performance
    title = (
        f"{result.kata} v{result.kata_version}  [{STATUS_STYLE.get(result.status, '')}]"
        f"{result.status.upper()}[/]  {_points(result.score)}/{_points(result.max_score)}  "
        f"(correctness {_points(result.correctness.score)}/{_points(result.correctness.max_score)}, "
        + (
            f"performance {_points(perf.score)}/{_points(perf.max_score)})"
            if perf
            else "performance not graded)"
        )
    )
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("test", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("detail", overflow="fold")
    shared = shared_reason(result)
    for t in result.tests:
        message = "" if shared and t.message == shared else t.message
        text = message if full else _first_line(message)
        if t.perf is not None:
            detail = f"{t.perf.ratio:.2f}x (bound {t.perf.bound:g}x)"
            if t.status != "passed" and text:
                detail += " " + text
        else:
            detail = text if t.status != "passed" else ""
        points = f"{_points(t.score)}/{_points(t.max_score)}" if t.counted else "-"
        style = STATUS_STYLE.get(t.status, "")
        table.add_row(escape(t.name), f"[{style}]{t.status}[/]", points, escape(detail))
    return table


def shared_reason(result: GradeResult) -> str:
    """The message every counted failing test has in common, if there are several of them."""
    failing = [t for t in result.tests if t.counted and t.status != "passed"]
    messages = {t.message for t in failing}
    if len(failing) >= 3 and len(messages) == 1:
        return messages.pop()
    return ""


def print_result(result: GradeResult, out: Console, full: bool = False) -> None:
    """The table, then a reason shared by every failing test, policy findings, errors, the
    seed, and where the full text is."""
    out.print(result_table(result, full))
    shared = shared_reason(result)
    if shared:
        out.print(f"[red]every failing test:[/] {escape(shared)}")
    findings = result.policy.get("findings", [])
    if findings:
        verdict = (
            "fails the submission" if result.policy.get("action") == "fail" else "marked for review"
        )
        out.print(f"[yellow]policy: {len(findings)} finding(s), {verdict}[/]")
        for f in findings[:20]:
            out.print(escape(f"  {f['file']}:{f['line']}: [{f['rule']}] {f['message']}"))
    if result.error and result.error not in shared:
        out.print(f"[magenta]error:[/] {escape(result.error)}")
    out.print(f"[dim]seed {result.seed} · device {result.device} · {result.duration_s:.1f} s[/]")
    if not full and any(
        len(t.message.strip().splitlines()) > 1 or len(t.message) > 200 for t in result.tests
    ):
        out.print(
            "[dim]messages are cut to a line: --full shows them whole (so does the JSON result)[/]"
        )


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
