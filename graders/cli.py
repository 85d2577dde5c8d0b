"""The ``kata`` command: list, show, start, test, grade, verify, demo.

Exit status: 0 success (a passing grade, a clean verify), 1 a graded submission that did not
pass or a kata that failed verification, 2 bad input (unknown kata, missing folder, bad option).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import KataError, UsageError

if TYPE_CHECKING:
    from .grade import GradeOptions


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be an integer, not {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError("seed must be in [0, 2**63)")
    return value


def _grading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument(
        "--perf",
        choices=["on", "off"],
        default="on",
        help="off: grade correctness only (unknown hardware)",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="grading seed (default: a fresh secret one, recorded in the result)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("KATA_REDIS_URL"),
        help="real Redis for Redis katas (default: $KATA_REDIS_URL, else fakeredis)",
    )
    parser.add_argument(
        "--policy",
        choices=["review", "fail"],
        default="review",
        help="what a policy finding does: mark for review, or fail the submission",
    )


def _options(args: argparse.Namespace, **extra) -> GradeOptions:
    """GradeOptions from the shared grading flags (``extra`` adds fields such as timeout_s)."""
    from .grade import GradeOptions

    return GradeOptions(device=args.device, perf=args.perf == "on", seed=args.seed,
                        redis_url=args.redis_url, policy=args.policy, **extra)  # fmt: skip


class _Version(argparse.Action):
    """--version, reading the installed version only when asked."""

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001
        from . import kit_version

        print(f"kata-kit {kit_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kata", description="ML-systems coding katas and their grader."
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the kit's version")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="the katas: id, title, difficulty, tags, gpu, source")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="a kata's statement")
    p.add_argument("kata")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("start", help="write a kata's candidate view into a new folder")
    p.add_argument("kata")
    p.add_argument("dir", type=Path)
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("test", help="run the public tests of the kata in DIR")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("grade", help="the full verdict on a submission folder")
    p.add_argument("kata")
    p.add_argument("dir", type=Path)
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        help="result file (default: kata-results/KATA/DIRNAME.json)",
    )
    p.add_argument("--junit", type=Path, default=None, help="also write JUnit XML here")
    p.add_argument("--full", action="store_true", help="show every message whole in the table")
    p.add_argument(
        "--gradescope", type=Path, default=None, help="also write Gradescope results.json here"
    )
    _grading_options(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("verify", help="reference 100%%, stub 0, every mutant caught")
    p.add_argument("katas", nargs="*", help="kata ids (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="parallel correctness runs (default 2)")
    p.add_argument(
        "--stressed",
        action="store_true",
        help="where a kata's stress record is fresh, take the gates of its reference and "
        "solutions from it (graded with performance off; performance mutants keep their gates)",
    )
    _grading_options(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "stress", help="performance gates of the reference and solutions, N runs with busy cores"
    )
    p.add_argument("katas", nargs="*", help="kata ids (default: every kata with a gate)")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--load", type=int, default=1, help="busy processes beside the run (default 1)")
    p.add_argument("--reference-only", action="store_true", help="skip the independent solutions")
    p.add_argument(
        "--stale",
        action="store_true",
        help="only katas whose stress record is missing or out of date",
    )
    p.add_argument("--no-record", action="store_true", help="do not write stress.json")
    _grading_options(p)
    p.set_defaults(func=cmd_stress)

    p = sub.add_parser("cohort", help="grade a folder of student submissions (folders or zips)")
    p.add_argument("submissions", type=Path, help="one folder or .zip per student")
    p.add_argument("--kata", nargs="+", required=True, metavar="ID", help="kata id(s) to grade")
    p.add_argument("--out", type=Path, required=True, help="results, gradebook, feedback, reports")
    p.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 2,
        help="grading processes at once on this machine (default: the cores)",
    )
    p.add_argument(
        "--queue",
        default=None,
        metavar="URL",
        help="grade on an RQ queue at redis://HOST:PORT/DB (run `kata worker` there)",
    )
    p.add_argument(
        "--collect",
        action="store_true",
        help="with --queue: re-attach to jobs already enqueued, enqueue nothing",
    )
    p.add_argument("--regrade", action="store_true", help="grade again what is already graded")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="wall-clock cap per submission (default: each kata's timeout_s)",
    )
    p.add_argument("--similarity", action="store_true", help="also write similarity/KATA.html")
    _grading_options(p)
    p.add_argument(
        "--allow-unisolated",
        action="store_true",
        help="grade even where no sandbox is available (results say isolation: none)",
    )
    p.set_defaults(func=cmd_cohort)

    p = sub.add_parser("worker", help="run a grading worker for `kata cohort --queue`")
    p.add_argument("--queue", required=True, metavar="URL", help="redis://HOST:PORT/DB")
    p.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    p.add_argument("--name", default=None, help="worker name (default: RQ's)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("bundle", help="a take-home zip: candidate views, instructions, pins")
    p.add_argument("katas", nargs="+", metavar="ID")
    p.add_argument("--out", type=Path, required=True, help="the zip to write")
    p.add_argument(
        "--time-box", default="4 hours", help='shown to the candidate (default "4 hours")'
    )
    p.set_defaults(func=cmd_bundle)

    p = sub.add_parser("grade-returned", help="grade every kata of a returned take-home")
    p.add_argument("returned", type=Path, help="the unpacked folder, or the zip")
    p.add_argument("--out", type=Path, required=True, help="KATA.json per kata and report.md")
    _grading_options(p)
    p.add_argument(
        "--allow-unisolated",
        action="store_true",
        help="grade even where no sandbox is available (results say isolation: none)",
    )
    p.set_defaults(func=cmd_grade_returned)

    p = sub.add_parser("similarity", help="an HTML similarity report between submissions")
    p.add_argument("submissions", type=Path, help="one folder or .zip per student")
    p.add_argument("--kata", required=True, metavar="ID")
    p.add_argument("--out", type=Path, required=True, help="the HTML report to write")
    p.add_argument("--threshold", type=float, default=0.33, help="show pairs above this (0..1)")
    p.set_defaults(func=cmd_similarity)

    p = sub.add_parser("export", help="export a kata for another platform")
    p.add_argument("platform", choices=["gradescope"])
    p.add_argument("kata")
    p.add_argument("--out", type=Path, required=True, help="the autograder zip to write")
    p.add_argument("--perf", choices=["on", "off"], default="on")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "demo", help="grade the reference and every mutant of a kata; print a scorecard"
    )
    p.add_argument("kata", nargs="?", default="diffusion_q_sample")
    _grading_options(p)
    p.set_defaults(func=cmd_demo)
    return parser


def cmd_list(args: argparse.Namespace) -> int:
    from .catalog import all_katas
    from .display import console, kata_table

    console().print(kata_table(all_katas()))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from .catalog import get_kata
    from .display import console, show_statement

    show_statement(get_kata(args.kata), console())
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    from .candidate_view import write_candidate_view
    from .catalog import get_kata
    from .display import console

    kata = get_kata(args.kata)
    write_candidate_view(kata, args.dir)
    out = console()
    out.print(f"wrote {kata.id} to {args.dir}: edit {', '.join(kata.meta.files)}, then")
    out.print(f"  kata test {args.dir}            # the public tests")
    out.print(f"  kata grade {kata.id} {args.dir}  # the full verdict")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from .candidate_view import kata_id_of
    from .catalog import get_kata
    from .display import console

    kata = get_kata(kata_id_of(args.dir))
    extra = [a for a in args.pytest_args if a != "--"]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "pythonpath=.",
           "--rootdir", ".", "tests", *extra]  # fmt: skip
    console().print(f"[dim]{kata.id}: {' '.join(cmd[1:])}[/]")
    return subprocess.call(cmd, cwd=args.dir)


def _default_result_path(kata_id: str, folder: Path) -> Path:
    name = folder.resolve().name or "submission"
    return Path("kata-results") / kata_id / f"{name}.json"


def cmd_grade(args: argparse.Namespace) -> int:
    from .catalog import get_kata
    from .display import console, print_result
    from .exports.gradescope import write_gradescope
    from .exports.junit import write_junit
    from .grade import grade_folder

    kata = get_kata(args.kata)
    out = console()
    with out.status(f"grading {args.dir} against {kata.id} ..."):
        result = grade_folder(kata, args.dir, _options(args))
    path = result.write(args.json or _default_result_path(kata.id, args.dir))
    if args.junit:
        write_junit(result, args.junit)
    if args.gradescope:
        write_gradescope(result, args.gradescope)
    print_result(result, out, full=args.full)
    out.print(f"[dim]result: {path}[/]")
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)
    return 0 if result.status == "pass" else 1


def cmd_verify(args: argparse.Namespace) -> int:
    from .catalog import all_katas, get_kata
    from .display import console
    from .verify import verify_kata

    katas = [get_kata(k) for k in args.katas] if args.katas else all_katas()
    out = console()
    failed = 0
    from .warm import warm_processes

    with warm_processes(katas, max(1, args.jobs), args.device):
        for kata in katas:
            with out.status(f"verifying {kata.id} ..."):
                verdict = verify_kata(kata, _options(args), jobs=args.jobs, stressed=args.stressed)
            out.print(verdict.summary(), markup=False, highlight=False, soft_wrap=True)
            out.print(f"  [dim]{verdict.timing()}[/]")
            for note in verdict.notes:
                out.print(f"  [dim]{note}[/]", markup=True, highlight=False)
            for line in verdict.failures():
                out.print(line, markup=False, highlight=False, soft_wrap=True)
            failed += not verdict.ok
    return 1 if failed else 0


def cmd_stress(args: argparse.Namespace) -> int:
    from .catalog import all_katas, get_kata
    from .display import console
    from .stress import record_status, stress_kata, write_record

    katas = (
        [get_kata(k) for k in args.katas]
        if args.katas
        else [k for k in all_katas() if k.meta.has_perf]
    )
    out = console()
    failed = 0
    for kata in katas:
        fresh, why = record_status(kata)
        if args.stale and fresh:
            out.print(f"{kata.id}: record up to date ({why})", markup=False)
            continue
        with out.status(f"stressing {kata.id}: {args.runs} runs, {args.load} busy core(s) ..."):
            results = stress_kata(kata, runs=args.runs, load=args.load, device=args.device,
                                  seed=args.seed, redis_url=args.redis_url,
                                  solutions=not args.reference_only)  # fmt: skip
        out.print(f"{kata.id}:", markup=False)
        bad = 0
        for label, gates in results.items():
            for gate in gates:
                out.print(f"  {label}: " + gate.summary(), markup=False, highlight=False)
                for failure in gate.failures[:3]:
                    out.print(f"      {failure}", markup=False, highlight=False)
                bad += not gate.ok
        failed += bad
        if not args.no_record and not args.reference_only and args.device == "cpu":
            path = write_record(kata, args.runs, args.load, results)
            out.print(f"  [dim]record: {path}[/]")
    return 1 if failed else 0


def cmd_cohort(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .catalog import get_kata
    from .cohort import discover, plan, run_local
    from .display import console
    from .grade import check_requirements
    from .gradebook import write_reports

    katas = [get_kata(k) for k in args.kata]
    for kata in katas:
        check_requirements(kata)  # a missing package fails the run now, not every task later
    _require_isolation(args)
    if args.collect and not args.queue:
        raise UsageError("--collect re-attaches to a queue: give --queue URL too")
    args.out.mkdir(parents=True, exist_ok=True)
    out = console()
    students = discover(args.submissions, args.out / ".unpacked")
    options = _options(args, timeout_s=args.timeout)
    todo, done = plan(students, katas, args.out, regrade=args.regrade, options=options)
    for s in students:
        if s.problem:
            out.print(f"[yellow]{s.name}:[/] {escape(s.problem)}")
    out.print(f"{len(students)} students x {len(katas)} kata(s): {len(todo)} to grade, "
              f"{len(done)} already graded (same files, kata and kit versions, settings)")  # fmt: skip
    start = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())  # fmt: skip
    interrupted = False
    remaining = 0
    with Progress(*columns, console=out) as progress:
        bar = progress.add_task("grading", total=len(todo))

        def on_done(task, result) -> None:
            progress.advance(bar)
            progress.console.print(
                f"  {task.label}: {result.status} {result.score:g}/{result.max_score:g}",
                markup=False,
            )

        try:
            if args.queue:
                from .queue import collect, enqueue

                if not args.collect:
                    enqueue(todo, args.queue, options)
                    progress.console.print(
                        f"enqueued {len(todo)} job(s) on {args.queue}; waiting for workers"
                    )
                remaining = collect(todo, args.queue, on_done=on_done)
            else:
                run_local(todo, options, args.jobs, on_done=on_done)
        except KeyboardInterrupt:
            interrupted = True
    names = [s.name for s in students]
    results = write_reports(args.out, names, [k.id for k in katas], time.monotonic() - start)
    if args.similarity:
        from .similarity import similarity_report

        for kata in katas:
            similarity_report(args.submissions, kata, args.out / "similarity" / f"{kata.id}.html",
                              unpack_dir=args.out / ".unpacked")  # fmt: skip
    out.print(f"{len(results)} result(s) in {args.out}/results; gradebook {args.out}/gradebook.csv, "
              f"feedback/, leaderboard/, summary.md")  # fmt: skip
    if interrupted:
        print(
            "interrupted: what was graded is kept; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    return 1 if remaining else 0


def cmd_worker(args: argparse.Namespace) -> int:
    from .queue import run_worker

    run_worker(args.queue, burst=args.burst, name=args.name)
    return 0


def _require_isolation(args: argparse.Namespace) -> None:
    """Cohorts and take-homes grade other people's code: refuse without a sandbox unless the
    user says so."""
    from .sandbox import SandboxError, bwrap_problem, isolation

    try:
        mode = isolation()
    except SandboxError as exc:
        raise UsageError(str(exc)) from exc
    if mode == "none" and not args.allow_unisolated:
        raise UsageError(
            "this machine offers no sandbox ("
            + (bwrap_problem() or "KATA_ISOLATION=none")
            + "): submissions would run with your files and network in reach. Install "
            "bubblewrap, or pass --allow-unisolated to grade anyway"
        )


def cmd_bundle(args: argparse.Namespace) -> int:
    from .bundle import make_bundle
    from .display import console

    path = make_bundle(args.katas, args.out, time_box=args.time_box)
    console().print(f"wrote {path}: {', '.join(args.katas)} (time box {args.time_box})")
    return 0


def cmd_grade_returned(args: argparse.Namespace) -> int:
    from .bundle import grade_returned
    from .display import console, print_result

    out = console()
    _require_isolation(args)
    with out.status(f"grading {args.returned} ..."):
        graded = grade_returned(args.returned, args.out, _options(args))
    for g in graded:
        print_result(g.result, out)
        if g.version_note:
            out.print(f"[yellow]note:[/] {g.version_note}")
    total = sum(g.result.score for g in graded)
    out.print(
        f"total {total:g}/{sum(g.result.max_score for g in graded):g}; report: {args.out / 'report.md'}"
    )
    return 0 if all(g.result.status == "pass" for g in graded) else 1


def cmd_similarity(args: argparse.Namespace) -> int:
    from .catalog import get_kata
    from .display import console
    from .similarity import similarity_report

    kata = get_kata(args.kata)
    pairs = similarity_report(args.submissions, kata, args.out, display_threshold=args.threshold)
    out = console()
    for pair in pairs[:20]:
        out.print(
            f"  {pair.a} ~ {pair.b}: {pair.similarity_a:.0%} / {pair.similarity_b:.0%}",
            markup=False,
        )
    out.print(f"{len(pairs)} pair(s) above {args.threshold:.0%}; report: {args.out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .catalog import get_kata
    from .display import console
    from .exports.autograder import export_gradescope

    path = export_gradescope(get_kata(args.kata), args.out, perf=args.perf == "on")
    console().print(f"wrote {path}: upload it as the Gradescope autograder of {args.kata}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .catalog import get_kata
    from .display import console, scorecard
    from .grade import grade_files
    from .mutants import load_mutants
    from .result import GradeResult

    kata = get_kata(args.kata)
    out = console()
    rows: list[tuple[str, GradeResult]] = []
    examples: list[tuple[str, dict[str, bytes]]] = [
        ("reference", {n: (kata.reference_dir / n).read_bytes() for n in kata.meta.files})
    ]
    mutants = load_mutants(kata)
    examples += [(f"mutant {m.name}", m.files) for m in mutants]
    caught = 0
    for index, (label, files) in enumerate(examples, start=1):
        with out.status(f"[{index}/{len(examples)}] grading {label} ..."):
            result = grade_files(kata, files, _options(args), origin=label)
        rows.append((label, result))
        if index > 1:
            named = mutants[index - 2].kills
            caught += any(t.status != "passed" for t in result.tests
                          if t.counted and any(t.name == k or t.name.startswith(k + "[") for k in named))  # fmt: skip
        out.print(f"  {label}: {result.status} {result.score:g}/{result.max_score:g}", markup=False)
    out.print(scorecard(rows, f"{kata.id}: the reference and its mutants, graded"))
    out.print(
        f"{caught} of {len(mutants)} mutants caught by the test they name; points are per test: "
        "a test that was killed for memory, timed out or crashed earns nothing, the tests that "
        "passed keep theirs, and the status says what happened."
    )
    return 0 if rows[0][1].status == "pass" and caught == len(mutants) else 1


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
