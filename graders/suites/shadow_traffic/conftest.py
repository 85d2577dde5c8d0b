"""Fixtures and helpers of the shadow_traffic hidden suite.

asyncio does not cross into the sandbox, so every scenario is played there by ``inside.play``
on a virtual event-loop clock (exact latencies and timeouts whatever the machine's load): the
judge writes the script (arrival times, each model's cost and answer), the sandbox reports what
happened, and the judge checks it against what the statement says must happen.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

HANG = "hang"
KINDS = ("agree", "disagree", "error", "timeout", "primary_error", "compare_error")


def ms(rng, lo: int, hi: int) -> float:
    """A whole number of milliseconds in [lo, hi), in seconds (exact on the virtual clock up
    to float rounding, far below the suite's 1e-6 s tolerances)."""
    return float(rng.integers(lo, hi)) / 1000


def mix_script(rng, n: int = 60, timeout: float = 0.08) -> tuple[dict, dict]:
    """A random mix of every outcome (each kind at least once): the script for ``play`` and
    the plan ``{key: (kind, primary_cost, shadow_cost, arrival)}``."""
    plan = {}
    for i in range(n):
        kind = KINDS[int(rng.integers(len(KINDS)))] if i >= len(KINDS) else KINDS[i]
        p_cost = ms(rng, 1, 40)
        s_cost = 0.2 if kind == "timeout" else ms(rng, 1, 60)
        plan[i] = (kind, p_cost, s_cost, ms(rng, 0, 100))
    order = rng.permutation(n)  # the built-in kinds arrive anywhere in the run
    plan = {int(order[i]): plan[i] for i in range(n)}
    script = {
        "router": {"timeout_s": timeout, "max_in_flight": 1000,
                   "compare_raises_on": [k for k, v in plan.items() if v[0] == "compare_error"]},
        "primary": {k: [p, ["y", k], kind == "primary_error"] for k, (kind, p, _, _) in plan.items()},
        "shadow": {k: [s, ["y", k] if kind != "disagree" else ["y", -k - 1], kind == "error"]
                   for k, (kind, _, s, _) in plan.items()},
        "requests": [[at, k] for k, (_, _, _, at) in plan.items()],
        "snapshots": [[0.0505, "mid"]],
        "drain_at": 0.15,
    }  # fmt: skip
    return script, plan


def by_key(report: dict) -> dict:
    """``{key: record}`` of a play report's handled requests."""
    return {int(h["key"]): h for h in report["handled"]}


def not_hung(report: dict, call: str, rule: str) -> None:
    """Fail with a message naming the rule when the scenario never finished."""
    if report.get("hung"):
        raise AssertionError(f"{call}: {report['hung']}; {rule}")


@pytest.fixture(scope="session")
def sk():
    """The suite's helpers (hidden tests may not import conftest)."""
    return SimpleNamespace(
        HANG=HANG, KINDS=KINDS, ms=ms, mix_script=mix_script, by_key=by_key, not_hung=not_hung
    )


@pytest.fixture(scope="module")
def drive(inside, sol):
    """The suite's drivers (inside.py) in the candidate's sandbox."""
    return inside(sol)
