"""``kata stress``: the reference and every independent solution must pass every performance
gate under load, every time (KATA_SPEC section 3; issue 11), with headroom.

Runs the hidden suite's performance tests of each correct submission ``runs`` times in one
judge (pytest-repeat), while ``load`` other processes keep cores busy, and counts per gate how
many runs passed and how close the worst run came to the bound (its headroom). A gate that does
not pass every run is a bug in the kata.

A stress run writes its record next to the suite (``graders/suites/ID/stress.json``): the
content hash of everything the kata's grading reads (:func:`content_hash`), the kit version, the
machine, and every gate's figures. CI re-runs the stress of a kata whose hash no longer matches
its record and only checks that the others' records are there (:func:`record_status`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

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


RECORD = "stress.json"
#: Engine files whose change changes what a performance gate measures.
ENGINE_FILES = ("perf.py", "bridge/endpoint.py", "bridge/codec.py", "bridge/frames.py")


def content_hash(kata: Kata) -> str:
    """sha256 of everything the kata's performance grading reads: kata.toml, the reference, the
    independent solutions, the hidden suite (tests, conftest, inside.py, baseline.py) and the
    engine's timing code."""
    h = hashlib.sha256()
    kit = Path(__file__).resolve().parent
    files = [kata.candidate_dir / "kata.toml", *(kata.reference_dir / n for n in kata.meta.files),
             *kata.hidden_test_files(), *(kit / f for f in ENGINE_FILES)]  # fmt: skip
    if kata.solutions_dir.is_dir():
        files += sorted(p for p in kata.solutions_dir.rglob("*.py") if "__pycache__" not in p.parts)
    for path in files:
        h.update(
            str(path.relative_to(path.parents[1])).encode() + b"\0" + path.read_bytes() + b"\0"
        )
    return h.hexdigest()


def record_path(kata: Kata) -> Path:
    return kata.suite_dir / RECORD


def write_record(kata: Kata, runs: int, load: int, results: dict[str, list[GateRuns]]) -> Path:
    """Write the stress record of ``kata`` (see the module docstring)."""
    from . import __version__
    from .harness.plugin import _cpu_model

    record = {
        "kata": kata.id,
        "kata_version": kata.meta.version,
        "content_hash": content_hash(kata),
        "kit_version": __version__,
        "machine": {"cpu": _cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
        "runs": runs,
        "load": load,
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "submissions": {
            label: {
                g.name: {"passed": g.passed, "runs": g.runs, "bound": g.bound,
                         "ratios": [round(r, 4) for r in g.ratios],
                         "headroom": round(g.headroom, 3) if g.headroom is not None else None}
                for g in gates
            }
            for label, gates in results.items()
        },
    }  # fmt: skip
    path = record_path(kata)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def record_status(kata: Kata, solutions: set[str] | None = None) -> tuple[bool, str]:
    """``(fresh, why)``: whether the kata's stress record exists, matches the kata's content and
    records every gate passing every run (and, with ``solutions``, holds each of those
    independent solutions, not only the reference)."""
    if not kata.meta.has_perf:
        return True, "no performance gate"
    path = record_path(kata)
    if not path.is_file():
        return False, f"no stress record ({path.name})"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return False, f"unreadable stress record: {exc}"
    if record.get("content_hash") != content_hash(kata):
        return False, "the kata changed since its stress record"
    bad = [f"{label} {name}" for label, gates in record.get("submissions", {}).items()
           for name, g in gates.items() if g["passed"] != g["runs"]]  # fmt: skip
    if bad:
        return False, f"the record holds failing gates: {bad[:3]}"
    missing = sorted(f"solution {n}" for n in solutions or ()
                     if f"solution {n}" not in record.get("submissions", {}))  # fmt: skip
    if missing:
        return False, f"the record does not cover {', '.join(missing)} (written --reference-only)"
    return (
        True,
        f"{record.get('runs')} runs with {record.get('load')} busy core(s), {record.get('written')}",
    )


def stress_kata(
    kata: Kata,
    *,
    runs: int = 10,
    load: int = 1,
    device: str = "cpu",
    seed: int | None = None,
    redis_url: str | None = None,
    solutions: bool = True,
) -> dict[str, list[GateRuns]]:
    """Stress the reference and (with ``solutions``) every independent solution:
    ``{"reference": [...], "solution a": [...]}``."""
    out = {"reference": stress_reference(kata, runs=runs, load=load, device=device, seed=seed,
                                         redis_url=redis_url)}  # fmt: skip
    if solutions:
        for name, files in kata.solutions().items():
            out[f"solution {name}"] = stress_reference(
                kata, runs=runs, load=load, device=device, seed=seed, redis_url=redis_url,
                files=files,
            )  # fmt: skip
    return out


def stress_reference(
    kata: Kata,
    *,
    runs: int = 10,
    load: int = 1,
    device: str = "cpu",
    seed: int | None = None,
    redis_url: str | None = None,
    files: dict[str, bytes] | None = None,
) -> list[GateRuns]:
    """Run the performance gates of the reference (or of ``files``, a correct submission)
    ``runs`` times with ``load`` busy cores.

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
    if files is None:
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
