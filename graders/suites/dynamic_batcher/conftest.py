"""Fixtures and helpers of the dynamic_batcher hidden suite.

Correctness tests run the batcher on :class:`graders.virtual_clock_loop.VirtualClockLoop`, an
event loop whose clock is virtual: a model call "takes" a fixed virtual time (the worker thread
sleeps on the virtual clock), requests arrive at exact virtual times, and every dispatch time is
compared with an independent simulation of the README's rule. Nothing depends on the machine's
speed or load.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from itertools import groupby
from types import SimpleNamespace

import pytest

EPS = 1e-4  # s: arrival times closer than this to a decision time make a scenario ambiguous
TIME_TOL = 2e-6  # s: a dispatch time within this of the simulated one is on time


class ModelError(Exception):
    """What the test model raises for a batch that holds a poison input."""


@dataclass
class Call:
    """One model_fn call as the test model saw it."""

    at: float  # virtual time at entry (s)
    inputs: list
    on_loop_thread: bool
    error: BaseException | None = None


@dataclass
class RecordingModel:
    """A test model_fn: records every call, spends ``cost(inputs)`` of virtual time, raises
    :class:`ModelError` for a batch holding a poison input, returns ``("out", x)`` per input
    (or one output too few for a batch holding a ``short`` input)."""

    cost_s: float = 0.0
    slow_cost_s: float = 0.0
    slow: set = field(default_factory=set)
    poison: set = field(default_factory=set)
    short: set = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    max_active: int = 0
    loop: object = None
    _active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, inputs):
        loop = self.loop
        inputs = list(inputs)
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)
        try:
            call = Call(loop.time(), inputs, loop.on_loop_thread())
            self.calls.append(call)
            cost = self.slow_cost_s if any(x in self.slow for x in inputs) else self.cost_s
            loop.thread_sleep(cost)
            bad = [x for x in inputs if x in self.poison]
            if bad:
                call.error = ModelError(f"model failed on input {bad[0]}")
                raise call.error
            out = [("out", x) for x in inputs]
            if any(x in self.short for x in inputs):
                out = out[:-1]
            return out
        finally:
            with self._lock:
                self._active -= 1

    def cost_of(self, inputs) -> float:
        """Virtual time a call with ``inputs`` takes."""
        return self.slow_cost_s if any(x in self.slow for x in inputs) else self.cost_s


@dataclass
class Outcome:
    """What each request got: ``results[x] = ("ok", value) | ("err", exc) | ("cancelled",)``,
    and requests that never finished."""

    results: dict
    pending: list
    submitted_at: dict


async def drive(
    batcher,
    model: RecordingModel,
    arrivals: list[tuple[float, object]],
    cancels: list[tuple[float, object]] = (),
    close_at: float | None = None,
    limit_s: float = 60.0,
    after_close: list | None = None,
) -> Outcome:
    """Submit each ``x`` at its virtual time ``t`` (a burst: equal times, in list order),
    cancel the callers in ``cancels`` at their times, optionally call ``aclose()`` at
    ``close_at``, and wait (virtually) for everything."""
    loop = asyncio.get_running_loop()
    model.loop = loop
    results: dict = {}
    submitted_at: dict = {}
    tasks: dict = {}

    async def one(x):
        submitted_at[x] = loop.time()
        try:
            results[x] = ("ok", await batcher.submit(x))
        except asyncio.CancelledError:
            results[x] = ("cancelled",)
            raise
        except Exception as exc:  # noqa: BLE001 - recorded and judged by the test
            results[x] = ("err", exc)

    async def spawner():
        for t, group in groupby(arrivals, key=lambda a: a[0]):
            delay = t - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            for _, x in group:
                tasks[x] = asyncio.create_task(one(x))

    async def canceller():
        for t, x in sorted(cancels, key=lambda c: c[0]):
            delay = t - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks[x].cancel()

    async def closer():
        await asyncio.sleep(max(0.0, close_at - loop.time()))
        closing = asyncio.create_task(batcher.aclose())
        await asyncio.sleep(0)
        if after_close is not None:
            try:  # a submit while aclose() is still draining
                after_close.append(("ok", await asyncio.wait_for(batcher.submit("late"), 1.0)))
            except Exception as exc:  # noqa: BLE001
                after_close.append(("err", exc))
        await closing

    helpers = [asyncio.create_task(spawner()), asyncio.create_task(canceller())]
    if close_at is not None:
        helpers.append(asyncio.create_task(closer()))
    await asyncio.wait(helpers, timeout=limit_s)
    start = loop.time()
    pending = list(tasks.values())
    if pending:
        await asyncio.wait(pending, timeout=max(1.0, limit_s - start))
    not_done = [x for x, task in tasks.items() if not task.done()]
    for x in not_done:
        tasks[x].cancel()
    for h in helpers:
        if not h.done():
            h.cancel()
    if close_at is None:
        try:
            await asyncio.wait_for(batcher.aclose(), 5.0)
        except Exception:  # noqa: BLE001 - aclose is judged by its own test
            pass
    return Outcome(results, not_done, submitted_at)


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


def run(sol, model: RecordingModel, max_batch: int, max_wait_ms: float, arrivals, **kw):
    """Build the candidate's batcher and drive ``arrivals`` through it on a virtual clock."""
    from graders.virtual_clock_loop import run_virtual

    async def main():
        batcher = sol.DynamicBatcher(model, max_batch, max_wait_ms)
        return await drive(batcher, model, arrivals, **kw)

    return run_virtual(main, limit_s=kw.get("limit_s", 60.0) + 30.0, what="the scenario")


def fmt_ms(t: float) -> str:
    """A virtual time in ms for messages."""
    return f"{t * 1e3:.3f} ms"


def short(xs, n: int = 8) -> str:
    """A list for messages, cut after n items."""
    xs = list(xs)
    return str(xs[:n])[:-1] + (f", ... ({len(xs)} in all)]" if len(xs) > n else "]")


def check_schedule(model: RecordingModel, expected, hint: str, what: str) -> None:
    """Compare the model calls with the simulated ones: count, time and inputs, in order."""
    got = model.calls
    for k, (exp, call) in enumerate(zip(expected, got, strict=False)):
        at, inputs = exp
        if abs(call.at - at) > TIME_TOL or call.inputs != inputs:
            raise AssertionError(
                f"{what}: model call #{k} came at {fmt_ms(call.at)} with inputs "
                f"{short(call.inputs)}; the dispatch rule gives {fmt_ms(at)} with "
                f"{short(inputs)}. {hint}"
            )
    if len(got) != len(expected):
        raise AssertionError(
            f"{what}: the model was called {len(got)} times, the dispatch rule gives "
            f"{len(expected)} calls (first extra/missing: "
            f"{got[len(expected)].inputs if len(got) > len(expected) else expected[len(got)]}). "
            f"{hint}"
        )


def check_all_answered(outcome: Outcome, what: str) -> None:
    """Every request finished (none hung)."""
    if outcome.pending:
        raise AssertionError(
            f"{what}: {len(outcome.pending)} request(s) never got an answer, e.g. "
            f"{short(outcome.pending, 5)}; every submit must return its output or raise"
        )


def check_no_loop_thread(model: RecordingModel, what: str) -> None:
    """model_fn never ran on the event loop's thread."""
    if any(c.on_loop_thread for c in model.calls):
        raise AssertionError(
            f"{what}: model_fn was called on the event loop's own thread, which blocks every "
            f"other request for the whole model call; run it in a worker thread with "
            f"loop.run_in_executor(...) or asyncio.to_thread(...)"
        )


@pytest.fixture(scope="session")
def bk():
    """The suite's helpers (hidden tests may not import conftest): ``bk.run``,
    ``bk.simulate``, ``bk.RecordingModel``, ``bk.ModelError``, the ``check_*`` assertions and
    the message formatters."""
    return SimpleNamespace(
        ModelError=ModelError, RecordingModel=RecordingModel, check_all_answered=check_all_answered,
        check_no_loop_thread=check_no_loop_thread, check_schedule=check_schedule, fmt_ms=fmt_ms,
        run=run, short=short, simulate=simulate,
    )  # fmt: skip
