"""``kata verify``: the suite is fair and has teeth (KATA_SPEC section 2).

For one kata it proves that

- the reference scores 100 % (every counted hidden test passes, performance gates included);
- every independent solution (``graders/suites/ID/solutions/NAME/``, written from the candidate
  view alone) scores 100 % too, and there are at least two;
- the stub scores 0 on correctness (every hidden correctness test fails);
- every mutant fails each hidden test its ``# kills:`` line names, and passes the public tests
  unless it is marked ``# public: fails``;
- every numbered rule of the statement is checked by a hidden test and broken alone by a caught
  mutant (:mod:`graders.rules`).

To stay cheap, a mutant runs only the tests it names (and the public tests, in a sandbox of
their own), the stub only the correctness tests, and the reference and each solution run once
with performance on. With ``stressed=True`` (CI, ``kata verify --stressed``) the independent
solutions are graded with performance off, and so is the reference where the kata's stress
record is fresh (:func:`graders.stress.record_status`: same content, every gate of the reference
and of each solution passed every run under load): the record proves their gates, ``runs``
times each; without a fresh record the solutions' gates are not timed (a note says so) and the
reference's are timed live. The performance mutants always run their gates.
Correctness runs use ``jobs`` workers; runs that time performance go one
at a time, after them, so no gate is timed beside another grading run. Stability of the gates
under load is ``kata stress``'s job (:mod:`graders.stress`). Each phase's wall time is kept in
:attr:`KataVerdict.phases`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .catalog import Kata
from .collect import expected_tests
from .grade import GradeOptions, grade_files
from .mutants import Mutant, load_mutants
from .result import GradeResult
from .rules import coverage
from .warm import current, warm_processes

MIN_SOLUTIONS = 2
MIN_MUTANTS = 3


@dataclass(frozen=True)
class Check:
    """One verification step and how it went."""

    label: str  # "reference", "stub", "solution a", "mutant t_step_loop", "rules"
    ok: bool
    detail: str
    seconds: float
    seed: int | None = None


@dataclass
class KataVerdict:
    """Every check of one kata."""

    kata: str
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    caught: list[Mutant] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def summary(self) -> str:
        """The one line ``kata verify`` prints for this kata."""
        mutants = [c for c in self.checks if c.label.startswith("mutant ")]
        solutions = [c for c in self.checks if c.label.startswith("solution ")]
        ref = [c for c in self.checks if c.label == "reference"]
        stub = [c for c in self.checks if c.label == "stub"]
        rules = [c for c in self.checks if c.label == "rules"]
        parts = [
            "reference " + ("100%" if ref and all(c.ok for c in ref) else "FAILS"),
            f"{sum(c.ok for c in solutions)}/{len(solutions)} solutions 100%",
            "stub " + ("0 on correctness" if stub and stub[0].ok else "SCORES"),
            f"{sum(c.ok for c in mutants)}/{len(mutants)} mutants caught",
            rules[0].detail if rules and rules[0].ok else "rules NOT covered",
            f"{self.seconds:.1f} s",
        ]
        return f"{'ok  ' if self.ok else 'FAIL'} {self.kata}: " + ", ".join(parts)

    def timing(self) -> str:
        """Wall time per phase, for the CI budget."""
        return ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items())

    def failures(self) -> list[str]:
        """A line per failed check, with the seed that reproduces it."""
        return [
            f"  {c.label}: {c.detail}" + (f" (seed {c.seed})" if c.seed is not None else "")
            for c in self.checks
            if not c.ok
        ]


def _failing(result: GradeResult) -> list[str]:
    return [
        f"{t.name} {t.status}: {t.message.splitlines()[0] if t.message else ''}"[:300]
        for t in result.tests
        if t.counted and t.status != "passed"
    ]


def _check_full(
    kata: Kata, label: str, files: dict[str, bytes], options: GradeOptions, origin: str
) -> Check:
    """A correct submission (the reference, an independent solution) must score 100 %."""
    start = time.monotonic()
    result = grade_files(kata, files, options, origin=origin)
    bad = _failing(result)
    if result.error:
        bad.insert(0, result.error)
    ok = not bad and result.score == result.max_score and any(t.counted for t in result.tests)
    detail = "; ".join(bad[:3]) if bad else f"{result.score:g}/{result.max_score:g}"
    return Check(label, ok, detail, time.monotonic() - start, result.seed)


def _check_stub(kata: Kata, base: GradeOptions) -> Check:
    start = time.monotonic()
    stub = {name: (kata.candidate_dir / name).read_bytes() for name in kata.meta.files}
    result = grade_files(kata, stub, _with(base, perf=False), origin=str(kata.candidate_dir))
    passing = [t.name for t in result.tests if t.counted and t.status == "passed"]
    ok = not passing and result.correctness.score == 0
    detail = "every correctness test fails" if ok else f"stub passes {', '.join(passing[:3])}"
    return Check("stub", ok, detail, time.monotonic() - start, result.seed)


def _check_mutant(kata: Kata, mutant: Mutant, base: GradeOptions, known: set[str]) -> Check:
    label = f"mutant {mutant.name}"
    start = time.monotonic()
    unknown = [k for k in mutant.kills if not any(n == k or n.startswith(k + "[") for n in known)]
    if unknown:
        return Check(label, False, f"names tests the suite does not have: {unknown}", 0.0)
    options = _with(base, select=mutant.kills, include_public=not mutant.public_fails)
    result = grade_files(kata, mutant.files, options, origin=f"mutants/{mutant.name}")
    problems = []
    for kill in mutant.kills:
        mine = [t for t in result.tests if t.name == kill or t.name.startswith(kill + "[")]
        counted = [t for t in mine if t.counted]
        if not counted:
            problems.append(f"{kill} is not graded on this run")
        elif all(t.status == "passed" for t in counted):
            problems.append(f"{kill} passes (it must fail this mutant)")
    if not mutant.public_fails:
        failed_public = [n for n, s in result.public.items() if s not in ("passed", "skipped")]
        if failed_public:
            problems.append(f"fails public tests {failed_public[:3]} (mark '# public: fails'?)")
        elif not result.public and kata.public_tests_dir.is_dir():
            problems.append("public tests did not run")
    detail = "; ".join(problems) if problems else f"caught by {', '.join(mutant.kills)}"
    return Check(label, not problems, detail, time.monotonic() - start, result.seed)


def _with(base: GradeOptions, **changes) -> GradeOptions:
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    fields.update(changes)
    return GradeOptions(**fields)


def _reference_files(kata: Kata) -> dict[str, bytes]:
    return {name: (kata.reference_dir / name).read_bytes() for name in kata.meta.files}


def verify_kata(
    kata: Kata,
    options: GradeOptions | None = None,
    *,
    jobs: int = 2,
    on_check: Callable[[Check], None] | None = None,
    stressed: bool = False,
) -> KataVerdict:
    """Run every check of ``kata`` (see the module docstring) and return the verdict.

    Args:
        kata: the kata to verify.
        options: grading options (device, perf, seed, Redis URL); the defaults otherwise.
        jobs: correctness runs at once.
        on_check: called with each check as it ends (progress display).
        stressed: grade the solutions with performance off, and the reference too when the
            kata's stress record is fresh and covers every solution (the record proves their
            gates); without a fresh record, a note says the solutions' gates were not timed.
    """
    base = options or GradeOptions()
    start = time.monotonic()
    verdict = KataVerdict(kata.id)
    expected = expected_tests(kata)  # collect once, before any parallel run
    known = {t.name for t in expected}
    perf_names = {t.name for t in expected if t.perf}
    mutants = load_mutants(kata)
    solutions = kata.solutions()
    verdict.phases["collect"] = time.monotonic() - start

    def kills_perf(m: Mutant) -> bool:
        return any(
            n in perf_names or any(p.startswith(n + "[") for p in perf_names) for n in m.kills
        )

    def record(check: Check, mutant: Mutant | None = None) -> None:
        verdict.checks.append(check)
        if mutant is not None and check.ok:
            verdict.caught.append(mutant)
        if on_check:
            on_check(check)

    reference_options = solution_options = base
    if stressed and base.perf and perf_names:
        from .stress import record_status

        fresh, why = record_status(kata, solutions=set(solutions))
        solution_options = _with(base, perf=False)
        if fresh:
            reference_options = solution_options
            verdict.notes.append(
                f"gates of the reference and solutions from the stress record ({why})"
            )
        else:
            verdict.notes.append(
                f"solutions' gates NOT timed: {why}; `kata stress {kata.id}` times them"
            )
    full = [("reference", _reference_files(kata), str(kata.reference_dir), reference_options)]
    full += [
        (f"solution {name}", files, f"solutions/{name}", solution_options)
        for name, files in solutions.items()
    ]
    parallel: list[tuple[Callable[[], Check], Mutant | None]] = [
        (lambda: _check_stub(kata, base), None)
    ]
    serial: list[tuple[Callable[[], Check], Mutant | None]] = []
    for label, files, origin, opts in full:
        job = (
            lambda label=label, files=files, origin=origin, opts=opts: _check_full(
                kata, label, files, opts, origin
            ),
            None,
        )
        (serial if opts.perf and perf_names else parallel).append(job)
    for m in mutants:
        job = (lambda m=m: _check_mutant(kata, m, base, known), m)
        if kills_perf(m):
            if base.perf:
                serial.append(job)
            else:
                verdict.caught.append(m)  # judged only with performance on
                record(
                    Check(
                        f"mutant {m.name}",
                        True,
                        "performance mutant: not judged with --perf off",
                        0.0,
                    )
                )
        else:
            parallel.append(job)

    with warm_processes([kata], max(1, jobs), base.device):
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            checks = pool.map(lambda j: j[0](), parallel)
            for (_job, mutant), check in zip(parallel, checks, strict=True):
                record(check, mutant)
        verdict.phases["correctness"] = time.monotonic() - t0
        t0 = time.monotonic()
        for job, mutant in serial:
            record(job(), mutant)
        verdict.phases["performance"] = time.monotonic() - t0
        warm = current()
        if warm is not None:
            warm.retire(kata)  # a run over many katas keeps one judge server, not every zygote

    if len(mutants) < MIN_MUTANTS:
        record(
            Check(
                "mutants",
                False,
                f"{len(mutants)} mutants; a kata needs at least {MIN_MUTANTS}",
                0.0,
            )
        )
    if len(solutions) < MIN_SOLUTIONS:
        record(
            Check(
                "solutions",
                False,
                f"{len(solutions)} independent solutions; a kata needs {MIN_SOLUTIONS}",
                0.0,
            )
        )
    cov = coverage(kata, expected, verdict.caught)
    record(Check("rules", cov.ok, cov.summary() if cov.ok else "; ".join(cov.problems()), 0.0))
    verdict.seconds = time.monotonic() - start
    return verdict
