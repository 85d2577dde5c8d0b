"""Reading the JSON-lines report a grading child wrote (see :mod:`graders.harness.plugin`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ChildReport:
    """What the child said: collected items, machine, per-test records, exit status."""

    collected: list[dict] = field(default_factory=list)
    machine: dict = field(default_factory=dict)
    tests: dict[str, dict] = field(default_factory=dict)
    exitstatus: int | None = None
    malformed_lines: int = 0


def read_report(path: Path) -> ChildReport:
    """Parse ``path``; missing file or torn last line are tolerated (a killed child)."""
    rep = ChildReport()
    if not path.exists():
        return rep
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            rep.malformed_lines += 1
            continue
        kind = record.get("kind")
        if kind == "collected":
            rep.collected = record.get("items", [])
        elif kind == "machine":
            rep.machine = record.get("machine", {})
        elif kind == "test" and "nodeid" in record:
            rep.tests.setdefault(record["nodeid"], record)
        elif kind == "finish":
            rep.exitstatus = record.get("exitstatus")
    return rep
