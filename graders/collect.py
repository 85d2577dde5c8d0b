"""The expected test ids of a hidden suite, collected by the parent without candidate code
(KATA_SPEC section 4, step 4).

Collection runs pytest ``--collect-only`` on the hidden suite in a working folder that holds no
submitted file (hidden tests import candidate code only inside fixtures). The answer is cached
on disk, keyed by the suite's and the harness's content and the kit version.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass

from . import __version__, paths
from .catalog import Kata
from .command import display_name
from .errors import KataError
from .judge import run_judge


@dataclass(frozen=True)
class ExpectedTest:
    """One hidden test as collected: its id and what grading needs to know of it."""

    nodeid: str  # as pytest sees it in the working folder: hidden/test_x.py::test_y
    name: str  # as results show it: test_x.py::test_y
    doc: str  # the docstring's first line: what the test checks
    perf: bool
    gpu: bool
    hidden_detail: bool
    weight: float
    tags: tuple[str, ...]
    rules: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``"performance"`` or ``"correctness"``: the part of the score it counts in."""
        return "performance" if self.perf else "correctness"


def _cache_key(kata: Kata) -> str:
    h = hashlib.sha256(__version__.encode())
    for path in [*sorted(paths.harness_dir().glob("*.py")), *kata.hidden_test_files()]:
        h.update(str(path.name).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:32]


def expected_tests(kata: Kata, *, use_cache: bool = True) -> list[ExpectedTest]:
    """Every test of ``kata``'s hidden suite, in collection order.

    Raises:
        KataError: the hidden suite fails to collect (a bug in the kit, shown with pytest's
            output).
    """
    cache_file = paths.cache_dir() / "collect" / f"{kata.id}-{_cache_key(kata)}.json"
    if use_cache and cache_file.exists():
        try:
            cached = json.loads(cache_file.read_text())
            return [
                ExpectedTest(**{**d, "tags": tuple(d["tags"]), "rules": tuple(d.get("rules", ()))})
                for d in cached
            ]
        except (ValueError, TypeError, KeyError):
            pass  # a stale or torn cache file: collect again
    run = run_judge(kata, None, seed=0, timeout_s=300, collect_only=True)
    outcome, rep = run.outcome, run.report
    if outcome.returncode not in (0, 5) or not rep.collected:
        raise KataError(
            f"hidden suite of {kata.id} does not collect (exit {outcome.returncode}):\n"
            + outcome.output[-3000:]
        )
    tests = [
        ExpectedTest(
            nodeid=item["nodeid"],
            name=display_name(item["nodeid"]),
            doc=item["doc"],
            perf=item["perf"],
            gpu=item["gpu"],
            hidden_detail=item["hidden_detail"],
            weight=item["weight"],
            tags=tuple(item["tags"]),
            rules=tuple(item.get("rules", ())),
        )  # fmt: skip
        for item in rep.collected
    ]
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps([asdict(t) for t in tests]))
    tmp.replace(cache_file)
    return tests
