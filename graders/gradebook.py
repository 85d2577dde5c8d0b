"""What a cohort run leaves besides the results: the gradebook, each student's feedback, a
performance leaderboard per kata, and a summary.

All of it is rebuilt from ``OUT/results/STUDENT/KATA.json`` alone, so it is the same whether
the results came from local workers, from a job queue, or from several resumed runs.

- ``gradebook.csv``: a row per student, a column per kata (points out of 100), the total, and
  flags (a status other than pass, a policy finding to review).
- ``feedback/STUDENT.md``: what the student may see: each test's verdict and points, messages
  (withheld for hidden-detail tests), performance ratios against their bounds.
- ``leaderboard/KATA.csv``: students ranked by the geometric mean of their performance ratios
  (lower is faster), with each gate's ratio.
- ``summary.md``: counts by status, score statistics, and every problem worth a look.
"""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

from .exports.visibility import candidate_message
from .result import GradeResult, load_result


def load_all(
    out: Path, students: list[str], kata_ids: list[str]
) -> dict[tuple[str, str], GradeResult]:
    """Every result file present, keyed by (student, kata)."""
    found = {}
    for student in students:
        for kata in kata_ids:
            path = out / "results" / student / f"{kata}.json"
            if path.exists():
                found[(student, kata)] = load_result(path)
    return found


def _points(result: GradeResult) -> float:
    """Points out of 100: graded without the performance part, correctness is scaled."""
    return round(100.0 * result.score / result.max_score, 2) if result.max_score else 0.0


def write_gradebook(path: Path, results: dict, students: list[str], kata_ids: list[str]) -> Path:
    """``gradebook.csv``: student, one column per kata, total, flags."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", *kata_ids, "total", "max_total", "flags"])
        for student in students:
            row, total, flags = [student], 0.0, []
            for kata in kata_ids:
                result = results.get((student, kata))
                if result is None:
                    row.append("")
                    flags.append(f"{kata}:missing")
                    continue
                points = _points(result)
                row.append(f"{points:g}")
                total += points
                if result.status != "pass":
                    flags.append(f"{kata}:{result.status}")
                if result.policy.get("review"):
                    flags.append(f"{kata}:review")
            writer.writerow([*row, f"{total:g}", 100 * len(kata_ids), "; ".join(flags)])
    tmp.replace(path)
    return path


def feedback_markdown(student: str, results: list[GradeResult]) -> str:
    """A student's feedback: verdicts, points, visible messages, performance ratios."""
    lines = [f"# Feedback for {student}", ""]
    for r in results:
        perf = (
            f", performance {r.performance.score:g}/{r.performance.max_score:g}"
            if r.performance
            else ""
        )
        lines += [
            f"## {r.kata} (version {r.kata_version}): {r.status}, {_points(r):g}/100",
            "",
            f"Correctness {r.correctness.score:g}/{r.correctness.max_score:g}{perf}.",
            "",
        ]
        if r.error:
            lines += [f"**Grading note:** {r.error}", ""]
        for note in r.notes:
            lines += [f"**Note:** {note}", ""]
        if r.policy.get("findings"):
            lines += [f"**Marked for review:** {len(r.policy['findings'])} policy finding(s), e.g. "
                      f"`{r.policy['findings'][0]['message']}`.", ""]  # fmt: skip
        lines += ["| test | verdict | points | details |", "|---|---|---|---|"]
        for t in r.tests:
            if not t.counted:
                continue
            detail = _cell(candidate_message(t), 600)
            name = f"{t.name}" + (f" ({_cell(t.doc, 300)})" if t.doc else "")
            lines.append(f"| {name} | {t.status} | {t.score:g}/{t.max_score:g} | {detail} |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str, limit: int) -> str:
    """``text`` for a Markdown table cell: one line, pipes escaped, and cut at a sentence or
    word boundary (never mid-word) with an ellipsis when longer than ``limit``."""
    text = " ".join(text.split()).replace("|", "\\|")
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("; "))
    if end > limit // 2:
        return cut[: end + 1] + " ..."
    return cut.rsplit(" ", 1)[0] + " ..."


def write_feedback(folder: Path, results: dict, students: list[str], kata_ids: list[str]) -> None:
    """``feedback/STUDENT.md`` for every student with at least one result."""
    folder.mkdir(parents=True, exist_ok=True)
    for student in students:
        mine = [results[(student, k)] for k in kata_ids if (student, k) in results]
        if mine:
            (folder / f"{student}.md").write_text(
                feedback_markdown(student, mine), encoding="utf-8"
            )


def write_leaderboards(
    folder: Path, results: dict, students: list[str], kata_ids: list[str]
) -> None:
    """``leaderboard/KATA.csv`` for every kata with performance gates."""
    folder.mkdir(parents=True, exist_ok=True)
    for kata in kata_ids:
        rows = []
        gates: list[str] = []
        for student in students:
            r = results.get((student, kata))
            if r is None:
                continue
            ratios = {t.name: t.perf.ratio for t in r.tests if t.perf is not None and t.counted}
            for name in ratios:
                if name not in gates:
                    gates.append(name)
            if ratios:
                geo = math.exp(statistics.fmean(math.log(max(v, 1e-9)) for v in ratios.values()))
                rows.append((geo, student, r.status, ratios))
        if not rows:
            continue
        rows.sort(key=lambda row: row[0])
        with open(folder / f"{kata}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["rank", "student", "status", "geomean_ratio", *gates])
            for rank, (geo, student, status, ratios) in enumerate(rows, start=1):
                writer.writerow([rank, student, status, f"{geo:.4g}",
                                 *(f"{ratios[g]:.4g}" if g in ratios else "" for g in gates)])  # fmt: skip


def summary_markdown(
    results: dict, students: list[str], kata_ids: list[str], elapsed_s: float | None
) -> str:
    """Counts by status, score statistics per kata, and the problems worth a look."""
    lines = ["# Cohort summary", "", f"{len(students)} students, {len(kata_ids)} kata(s)."]
    if elapsed_s is not None:
        lines.append(f"Graded in {elapsed_s:.1f} s.")
    lines += ["", "| kata | graded | pass | fail | error | timeout | oom | mean | median |",
              "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    problems = []
    for kata in kata_ids:
        mine = [(s, results[(s, kata)]) for s in students if (s, kata) in results]
        counts = {
            st: sum(r.status == st for _, r in mine)
            for st in ("pass", "fail", "error", "timeout", "oom")
        }
        points = [_points(r) for _, r in mine]
        mean = f"{statistics.fmean(points):.1f}" if points else "-"
        median = f"{statistics.median(points):.1f}" if points else "-"
        lines.append(
            f"| {kata} | {len(mine)} | "
            + " | ".join(str(counts[k]) for k in counts)
            + f" | {mean} | {median} |"
        )
        for student, r in mine:
            if r.status in ("error", "timeout", "oom"):
                problems.append(
                    f"- {student}/{kata}: {r.status}" + (f" ({r.error})" if r.error else "")
                )
            problems += [f"- {student}/{kata}: {note}" for note in r.notes]
            if r.policy.get("review"):
                problems.append(
                    f"- {student}/{kata}: marked for review ({len(r.policy['findings'])} policy finding(s))"
                )
        missing = [s for s in students if (s, kata) not in results]
        problems += [f"- {s}/{kata}: no result yet" for s in missing]
    lines += ["", "## Worth a look", ""] + (problems or ["Nothing."])
    return "\n".join(lines) + "\n"


def write_reports(
    out: Path, students: list[str], kata_ids: list[str], elapsed_s: float | None = None
) -> dict:
    """Rebuild every report of ``out`` from its result files; returns the results loaded."""
    results = load_all(out, students, kata_ids)
    write_gradebook(out / "gradebook.csv", results, students, kata_ids)
    write_feedback(out / "feedback", results, students, kata_ids)
    write_leaderboards(out / "leaderboard", results, students, kata_ids)
    (out / "summary.md").write_text(
        summary_markdown(results, students, kata_ids, elapsed_s), encoding="utf-8"
    )
    return results
