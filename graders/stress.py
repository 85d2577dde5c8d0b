"""``kata stress``: the reference must pass every performance gate under load, every time.

Runs the hidden suite's performance tests of the reference ``runs`` times in one grading child
(pytest-repeat), while ``load`` other processes keep cores busy, and counts per gate how many
runs passed. A gate that does not pass every run is a bug in the kata (KATA_SPEC section 3).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from .catalog import Kata
from .collect import expected_tests
from .command import display_name
from .errors import KataError
from .judge import run_judge
from .load import busy_cores
from .services import real_redis_available

_REPEAT_SUFFIX = re.compile(r"(?:\[|-)(\d+)-(\d+)\]$")


@dataclass
class GateRuns:
    """How one performance gate fared over the runs."""

    name: str
    runs: int
    passed: int = 0
    ratios: list[float] = field(default_factory=list)
    bound: float | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.runs > 0 and self.passed == self.runs

    def summary(self) -> str:
        ratios = sorted(self.ratios)
        spread = (
            f"ratio min {ratios[0]:.2f} / median {ratios[len(ratios) // 2]:.2f} / max {ratios[-1]:.2f},"
            f" bound {self.bound:g}"
            if ratios and self.bound is not None
            else "no ratio recorded"
        )
        head = f", headroom {self.headroom:.2f}x" if self.headroom is not None else ""
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.passed}/{self.runs} passed ({spread}{head})"

    @property
    def headroom(self) -> float | None:
        """bound / the worst ratio measured: how far the reference stays inside the gate."""
        if not self.ratios or self.bound is None or max(self.ratios) <= 0:
            return None
        return self.bound / max(self.ratios)


def _base_name(nodeid: str) -> str:
    name = display_name(nodeid)
    match = _REPEAT_SUFFIX.search(name)
    if not match:
        return name
    head = name[: match.start()]
    return head if match.group(0).startswith("[") else head + "]"


def stress_reference(
    kata: Kata,
    *,
    runs: int = 10,
    load: int = 1,
    device: str = "cpu",
    seed: int | None = None,
    redis_url: str | None = None,
) -> list[GateRuns]:
    """Run the reference's performance gates ``runs`` times with ``load`` busy cores.

    Raises:
        KataError: the kata has no performance gate, or the run itself broke (with its output).
    """
    gates = [
        t
        for t in expected_tests(kata)
        if t.perf
        and (device == "cuda" or not t.gpu)
        and (real_redis_available(redis_url) or "real_redis" not in t.tags)
    ]
    if not gates:
        raise KataError(f"{kata.id} has no performance gate to stress")
    files = {name: (kata.reference_dir / name).read_bytes() for name in kata.meta.files}
    with busy_cores(load):
        run = run_judge(
            kata, files, seed=seed if seed is not None else secrets.randbelow(2**31),
            timeout_s=kata.meta.timeout_s * runs, device=device, markers="perf",
            redis_url=redis_url if "redis" in kata.meta.services else None,
            extra=["--count", str(runs)],
        )  # fmt: skip
    outcome, rep = run.outcome, run.report
    if not rep.tests:
        raise KataError(f"stress run of {kata.id} produced no results:\n{outcome.output[-3000:]}")
    results = {g.name: GateRuns(g.name, runs) for g in gates}
    for nodeid, record in rep.tests.items():
        gate = results.get(_base_name(nodeid))
        if gate is None:
            continue
        perf = record.get("properties", {}).get("perf") or {}
        if "ratio" in perf:
            gate.ratios.append(float(perf["ratio"]))
            gate.bound = float(perf["bound"])
        if record["status"] == "passed":
            gate.passed += 1
        else:
            gate.failures.append(f"{record['status']}: {record.get('message', '')[:200]}")
    return list(results.values())
