"""Fixtures and helpers of the dynamic_batcher hidden suite.

Correctness scenarios run in the sandbox (inside.py: asyncio does not cross the boundary), on
:class:`graders.virtual_clock_loop.VirtualClockLoop`, an event loop whose clock is virtual: a
model call "takes" a fixed virtual time (the worker thread sleeps on the virtual clock),
requests arrive at exact virtual times. The sandbox reports every model call and every
caller's outcome; here every dispatch time is compared with an independent simulation of the
README's rule. Nothing depends on the machine's speed or load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

EPS = 1e-4  # s: arrival times closer than this to a decision time make a scenario ambiguous
TIME_TOL = 2e-6  # s: a dispatch time within this of the simulated one is on time


@dataclass
class Model:
    """The test model_fn of a scenario, as the judge describes it (the sandbox builds it: see
    inside.RecordingModel): every call costs ``cost_s`` of virtual time (``slow_cost_s`` for a
    batch holding a ``slow`` input), raises for a batch holding a ``poison`` input, and
    returns ``("out", x)`` per input (one output too few for a batch holding a ``short``
    input)."""

    cost_s: float = 0.0
    slow_cost_s: float = 0.0
    slow: set = field(default_factory=set)
    poison: set = field(default_factory=set)
    short: set = field(default_factory=set)

    def cost_of(self, inputs) -> float:
        """Virtual time a call with ``inputs`` takes."""
        return self.slow_cost_s if any(x in self.slow for x in inputs) else self.cost_s

    def spec(self) -> dict:
        return {"cost_s": self.cost_s, "slow_cost_s": self.slow_cost_s,
                "slow": sorted(self.slow), "poison": sorted(self.poison),
                "short": sorted(self.short)}  # fmt: skip


@dataclass
class Outcome:
    """What a scenario reported: the model ``calls`` (``at``, ``inputs``, ``on_loop_thread``),
    ``results[x] = ("ok", value) | ("err", type, message, call, is_value_error,
    is_model_error) | ("cancelled",)``, requests that never finished (``pending``), and
    ``hung`` when the whole scenario never finished."""

    calls: list
    max_active: int
    results: dict
    pending: list
    submitted_at: dict
    closed: dict
    hung: bool
    hung_message: str = ""


def simulate(arrivals, max_batch: int, max_wait_s: float, cost) -> list[tuple[float, list]] | None:
    """The README's dispatch rule, independently of any submission: the model calls
    ``[(time, inputs)]`` for ``arrivals`` (sorted ``(t, x)``), or ``None`` when the scenario
    has a near-tie (an arrival within EPS of a decision time) that would make it ambiguous.

    ``cost(inputs)`` is the virtual time a call takes. One call at a time; when the model is
    free at ``free`` and the FIFO queue starts with request ``head``, the next call happens at
    ``max(free, min(t_head + max_wait, t of the max_batch-th queued request))`` and takes every
    request that has arrived by then, up to max_batch.
    """
    times = [t for t, _ in arrivals]
    n = len(arrivals)
    head = 0
    free = float("-inf")
    calls = []
    while head < n:
        deadline = times[head] + max_wait_s
        full_at = times[head + max_batch - 1] if head + max_batch - 1 < n else float("inf")
        trigger = min(deadline, full_at)
        if abs(deadline - full_at) < EPS and deadline != full_at:
            return None
        if abs(free - trigger) < EPS:
            return None
        at = max(free, trigger)
        end = head
        while end < n and end - head < max_batch and times[end] <= at:
            end += 1
        by_fill = at == full_at and free < at
        for t in times:
            if abs(t - at) < EPS and not (by_fill and t == full_at):
                return None
        batch = [x for _, x in arrivals[head:end]]
        calls.append((at, batch))
        free = at + cost(batch)
        head = end
    return calls


def run(driver, model: Model, max_batch: int, max_wait_ms: float, arrivals, **kw) -> Outcome:
    """Drive ``arrivals`` through the batcher of ``driver`` (``inside(sol)``) on a virtual
    clock, in the sandbox; ``kw``: cancels, close_at, limit_s, after_close, wall_clock."""
    kw = {k: (list(v) if k == "cancels" else v) for k, v in kw.items()}
    report = driver.scenario(max_batch, max_wait_ms, list(arrivals), model.spec(), **kw)
    return Outcome(
        calls=report["calls"], max_active=report["max_active"], results=report["results"],
        pending=report["pending"], submitted_at=report["submitted_at"],
        closed=report["closed"], hung=report["hung"],
        hung_message=report.get("hung_message", ""),
    )  # fmt: skip


def fmt_ms(t: float) -> str:
    """A virtual time in ms for messages."""
    return f"{t * 1e3:.3f} ms"


def short(xs, n: int = 8) -> str:
    """A list for messages, cut after n items."""
    xs = list(xs)
    return str(xs[:n])[:-1] + (f", ... ({len(xs)} in all)]" if len(xs) > n else "]")


def check_schedule(outcome: Outcome, expected, hint: str, what: str) -> None:
    """Compare the model calls with the simulated ones: count, time and inputs, in order."""
    got = outcome.calls
    for k, (exp, call) in enumerate(zip(expected, got, strict=False)):
        at, inputs = exp
        if abs(call["at"] - at) > TIME_TOL or list(call["inputs"]) != list(inputs):
            raise AssertionError(
                f"{what}: model call #{k} came at {fmt_ms(call['at'])} with inputs "
                f"{short(call['inputs'])}; the dispatch rule gives {fmt_ms(at)} with "
                f"{short(inputs)}. {hint}"
            )
    if len(got) != len(expected):
        extra = (
            f"an extra call at {fmt_ms(got[len(expected)]['at'])}"
            if len(got) > len(expected)
            else f"no call at {fmt_ms(expected[len(got)][0])}"
        )
        raise AssertionError(
            f"{what}: the model was called {len(got)} times, the dispatch rule gives "
            f"{len(expected)} calls ({extra}). {hint}"
        )


def check_all_answered(outcome: Outcome, what: str) -> None:
    """The scenario finished and every request finished (none hung)."""
    if outcome.hung:
        raise AssertionError(
            f"{what}: the scenario never finished ({outcome.hung_message}); R1: every submit "
            f"must return its output or raise"
        )
    if outcome.pending:
        raise AssertionError(
            f"{what}: {len(outcome.pending)} request(s) never got an answer, e.g. "
            f"{short(outcome.pending, 5)}; R1: every submit must return its output or raise"
        )


def check_no_loop_thread(outcome: Outcome, what: str) -> None:
    """model_fn never ran on the event loop's thread."""
    if any(c["on_loop_thread"] for c in outcome.calls):
        raise AssertionError(
            f"{what}: model_fn was called on the event loop's own thread, which blocks every "
            f"other request for the whole model call (R7: a worker thread)"
        )


@pytest.fixture(scope="session")
def bk():
    """The suite's helpers (hidden tests may not import conftest): ``bk.run``,
    ``bk.simulate``, ``bk.Model``, the ``check_*`` assertions and the message formatters."""
    return SimpleNamespace(
        Model=Model, check_all_answered=check_all_answered,
        check_no_loop_thread=check_no_loop_thread, check_schedule=check_schedule, fmt_ms=fmt_ms,
        run=run, short=short, simulate=simulate,
    )  # fmt: skip
