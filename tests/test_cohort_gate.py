"""The cohort gate (issue: take-home bundles and cohort grading): grading generated
submissions of diffusion_q_sample (correct, slow, wrong, crashing, hanging) with --jobs 2 takes
at most 1.15x the sum of their single-grade times divided by 2, and the gradebook matches
grading each one alone.

KATA_GATE_SUBMISSIONS sets the cohort size: 10 by default (CI), 40 for the full gate.
"""

import csv
import os
import time
from pathlib import Path

import pytest

from graders.catalog import get_kata
from graders.cohort import discover, plan, run_local
from graders.grade import GradeOptions, grade_folder
from graders.gradebook import write_reports
from graders.mutants import load_mutants

N = int(os.environ.get("KATA_GATE_SUBMISSIONS", "10"))
# Per 10 students. The hanging one comes first in each group: a worker busy with a hang while
# the other has nothing left to grade is a tail no scheduler can avoid without knowing
# durations in advance, and it would measure the order of the cohort, not the grader.
MIX = ["hang"] + ["correct"] * 4 + ["slow"] * 2 + ["wrong"] * 2 + ["crash"]
WRONG = ["abar_off_by_one", "float64_upcast", "batch_broadcast"]


def generate(kata, folder: Path, n: int) -> dict[str, str]:
    """``n`` submissions in ``folder``; returns {student: kind}."""
    reference = (kata.reference_dir / "diffusion.py").read_text()
    mutants = {m.name: m.files["diffusion.py"].decode() for m in load_mutants(kata)}
    kinds = {}
    for i in range(n):
        kind = MIX[i % len(MIX)]
        name = f"student{i:02d}"
        if kind == "correct":
            text = f"# student {i}\n" + reference
        elif kind == "slow":
            text = mutants["t_step_loop" if i % 2 else "per_sample_loop"]
        elif kind == "wrong":
            text = mutants[WRONG[i % len(WRONG)]]
        elif kind == "crash":
            text = "raise RuntimeError('crashes at import')\n" + reference
        else:
            text = "while True:\n    pass\n"
        (folder / name).mkdir(parents=True)
        (folder / name / "diffusion.py").write_text(text)
        kinds[name] = kind
    return kinds


def measure(kata, students, options, out: Path):
    """One measurement: every submission graded alone (summed), then the cohort with --jobs 2.
    Returns (results alone, single-grade sum, cohort time)."""
    alone, single_s = {}, 0.0
    for s in students:
        start = time.monotonic()
        alone[s.name] = grade_folder(kata, s.folder, options)
        single_s += time.monotonic() - start
    todo, _ = plan(students, [kata], out)
    start = time.monotonic()
    run_local(todo, options, jobs=2)
    cohort_s = time.monotonic() - start
    write_reports(out, [s.name for s in students], [kata.id], cohort_s)
    return alone, single_s, cohort_s


@pytest.mark.slow
@pytest.mark.alone  # --jobs 2 can only be 2x faster with both cores free of other tests
def test_cohort_gate(tmp_path):
    """--jobs 2 takes <= 1.15 x (sum of single-grade times) / 2; scores equal grading alone.

    As for every performance gate of the kit (KATA_SPEC section 3), a failure counts only when a
    second, independent measurement confirms it: the machine's other tenants can slow one
    measurement, not two in a row, while a cohort runner that serialises fails both."""
    kata = get_kata("diffusion_q_sample")
    subs = tmp_path / "subs"
    kinds = generate(kata, subs, N)
    # a correct grade alone takes 16-20 s here (cold judge and sandboxes, three perf gates): the
    # timeout leaves it 3x room, and the hanging submission costs it in both measurements
    options = GradeOptions(seed=12345, timeout_s=60)
    students = discover(subs, tmp_path / "unpacked")
    ratios = []
    for attempt in (1, 2):
        out = tmp_path / f"out{attempt}"
        alone, single_s, cohort_s = measure(kata, students, options, out)
        ratios.append(cohort_s / (single_s / 2))
        print(
            f"{N} submissions: single-grade sum {single_s:.1f} s, cohort --jobs 2 "
            f"{cohort_s:.1f} s, bound {1.15 * single_s / 2:.1f} s (ratio {ratios[-1]:.3f})"
        )
        if ratios[-1] <= 1.15:
            break
    assert min(ratios) <= 1.15, f"cohort/(single sum / 2) = {ratios}, bound 1.15, twice over"
    with open(out / "gradebook.csv") as fh:
        book = {row["student"]: row for row in csv.DictReader(fh)}
    for name, result in alone.items():
        expected = round(100 * result.score / result.max_score, 2)
        lost = [(t.name, t.status, t.message[:200]) for t in result.tests if t.status != "passed"]
        assert float(book[name][kata.id]) == expected, (name, kinds[name], book[name], lost)
    by_kind = {
        k: {float(book[n][kata.id]) for n in kinds if kinds[n] == k} for k in set(kinds.values())
    }
    assert by_kind["correct"] == {100.0}
    # slow: loses performance points, keeps (nearly all) correctness; the t-step loop's running
    # product also drifts by tens of ulps in float64, which one correctness test sees
    assert all(50 <= p < 100 for p in by_kind["slow"]), by_kind["slow"]
    assert by_kind["crash"] == {0.0} and by_kind["hang"] == {0.0}
