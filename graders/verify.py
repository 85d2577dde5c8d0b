"""``kata verify``: the suite has teeth (KATA_SPEC section 2, "Mutants").

For one kata it proves that

- the reference scores 100 % (every counted hidden test passes, performance gates included);
- the stub scores 0 on correctness (every hidden correctness test fails);
- every mutant fails each hidden test its ``# kills:`` line names, and passes the public tests
  unless it is marked ``# public: fails``.

To stay near a minute per kata, a mutant runs only the tests it names (plus the public tests),
the stub only the correctness tests, and performance gates run only for the reference and the
mutants that name one. Correctness runs use ``jobs`` worker processes; performance runs go one
at a time, after them, so no gate is timed beside another grading run. The reference's gates
run ``stress_runs`` times with another process keeping a core busy (:mod:`graders.stress`):
each must pass every time.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .catalog import Kata
from .collect import expected_tests
from .grade import GradeOptions, grade_files
from .mutants import load_mutants
from .result import GradeResult
from .stress import stress_reference


@dataclass(frozen=True)
class Check:
    """One verification step and how it went."""

    label: str  # "reference correctness", "stub", "mutant t_step_loop"
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

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def summary(self) -> str:
        """The one line ``kata verify`` prints for this kata."""
        mutants = [c for c in self.checks if c.label.startswith("mutant ")]
        caught = sum(c.ok for c in mutants)
        ref = [c for c in self.checks if c.label.startswith("reference")]
        stub = [c for c in self.checks if c.label == "stub"]
        parts = [
            "reference " + ("100%" if ref and all(c.ok for c in ref) else "FAILS"),
            "stub " + ("0 on correctness" if stub and stub[0].ok else "SCORES"),
            f"{caught}/{len(mutants)} mutants caught",
            f"{self.seconds:.1f} s",
        ]
        return f"{'ok  ' if self.ok else 'FAIL'} {self.kata}: " + ", ".join(parts)

    def failures(self) -> list[str]:
        """A line per failed check, with the seed that reproduces it."""
        return [
            f"  {c.label}: {c.detail}" + (f" (seed {c.seed})" if c.seed is not None else "")
            for c in self.checks
            if not c.ok
        ]


def _failing(result: GradeResult, kind: str | None = None) -> list[str]:
    return [
        f"{t.name} {t.status}: {t.message.splitlines()[0] if t.message else ''}"[:300]
        for t in result.tests
        if t.counted and t.status != "passed" and (kind is None or t.kind == kind)
    ]


def _check_reference_perf(kata: Kata, base: GradeOptions, runs: int) -> Check:
    start = time.monotonic()
    seed = base.seed if base.seed is not None else secrets.randbelow(2**31)
    gates = stress_reference(kata, runs=runs, load=1, device=base.device, seed=seed,
                             redis_url=base.redis_url)  # fmt: skip
    bad = [g.summary() for g in gates if not g.ok]
    detail = (
        "; ".join(bad)
        if bad
        else (f"{len(gates)} gates pass {runs}/{runs} runs with the other core busy")
    )
    return Check("reference performance", not bad, detail, time.monotonic() - start, seed)


def _check_reference(kata: Kata, base: GradeOptions) -> Check:
    label = "reference correctness"
    options = _with(base, markers="not perf")
    start = time.monotonic()
    result = grade_files(kata, _reference_files(kata), options, origin=str(kata.reference_dir))
    bad = _failing(result)
    if result.error:
        bad.insert(0, result.error)
    ok = not bad and any(t.counted for t in result.tests)
    detail = "; ".join(bad[:3]) if bad else f"{sum(t.counted for t in result.tests)} tests pass"
    return Check(label, ok, detail, time.monotonic() - start, result.seed)


def _check_stub(kata: Kata, base: GradeOptions) -> Check:
    start = time.monotonic()
    stub = {name: (kata.candidate_dir / name).read_bytes() for name in kata.meta.files}
    result = grade_files(
        kata, stub, _with(base, markers="not perf"), origin=str(kata.candidate_dir)
    )
    passing = [t.name for t in result.tests if t.counted and t.status == "passed"]
    ok = not passing and result.correctness.score == 0
    detail = "every correctness test fails" if ok else f"stub passes {', '.join(passing[:3])}"
    return Check("stub", ok, detail, time.monotonic() - start, result.seed)


def _check_mutant(kata: Kata, mutant, base: GradeOptions, known: set[str]) -> Check:
    label = f"mutant {mutant.name}"
    start = time.monotonic()
    unknown = [k for k in mutant.kills if not any(n == k or n.startswith(k + "[") for n in known)]
    if unknown:
        return Check(label, False, f"names tests the suite does not have: {unknown}", 0.0)
    options = _with(base, select=mutant.kills, include_public=True)
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
        failed_public = [n for n, s in result.public.items() if s != "passed"]
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
    stress_runs: int = 3,
    on_check: Callable[[Check], None] | None = None,
) -> KataVerdict:
    """Run every check of ``kata`` (see the module docstring) and return the verdict."""
    base = options or GradeOptions()
    start = time.monotonic()
    verdict = KataVerdict(kata.id)
    expected = expected_tests(kata)  # collect once, before any parallel run
    known = {t.name for t in expected}
    perf_names = {t.name for t in expected if t.perf}
    mutants = load_mutants(kata)

    def kills_perf(m) -> bool:
        return any(
            n in perf_names or any(p.startswith(n + "[") for p in perf_names) for n in m.kills
        )

    parallel: list[Callable[[], Check]] = [
        lambda: _check_reference(kata, base),
        lambda: _check_stub(kata, base),
    ]
    serial: list[Callable[[], Check]] = []
    if base.perf and perf_names:
        serial.append(lambda: _check_reference_perf(kata, base, stress_runs))
    for m in mutants:

        def job(m=m) -> Check:
            return _check_mutant(kata, m, base, known)

        if kills_perf(m):
            if base.perf:
                serial.append(job)
            else:
                verdict.checks.append(
                    Check(
                        f"mutant {m.name}",
                        True,
                        "performance mutant: not judged with --perf off",
                        0.0,
                    )
                )
        else:
            parallel.append(job)

    def record(check: Check) -> None:
        verdict.checks.append(check)
        if on_check:
            on_check(check)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for check in pool.map(lambda job: job(), parallel):
            record(check)
    for job in serial:
        record(job())
    if len(mutants) < 3:
        record(Check("mutants", False, f"{len(mutants)} mutants; a kata needs at least 3", 0.0))
    verdict.seconds = time.monotonic() - start
    return verdict
