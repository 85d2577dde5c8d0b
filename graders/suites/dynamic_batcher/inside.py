"""Drivers of the dynamic_batcher hidden suite, run in the sandbox next to the batcher.

asyncio does not cross the sandbox's boundary, so every scenario runs here, whole, on
:class:`graders.virtual_clock_loop.VirtualClockLoop` (a loop whose clock is virtual: a model
call "takes" a fixed virtual time, requests arrive at exact virtual times), and reports what
happened as plain data: every model call (its virtual time, its inputs, the thread it ran on)
and what every caller got. The judge compares that with its own simulation of the statement's
rule. Nothing here knows the expected schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from itertools import groupby

from graders.virtual_clock_loop import VirtualClockLoop, VirtualTimeout, run_virtual


def _module():
    import batcher  # the submitted module, next to this file in the sandbox

    return batcher


class ModelError(Exception):
    """What the test model raises for a batch that holds a poison input."""


class RecordingModel:
    """A test model_fn: records every call, spends its cost of virtual time (``slow_cost_s``
    for a batch holding a ``slow`` input), raises :class:`ModelError` for a batch holding a
    ``poison`` input, and returns ``("out", x)`` per input (one output too few for a batch
    holding a ``short`` input)."""

    def __init__(self, cost_s=0.0, slow_cost_s=0.0, slow=(), poison=(), short=()) -> None:
        self.cost_s, self.slow_cost_s = cost_s, slow_cost_s
        self.slow, self.poison, self.short = set(slow), set(poison), set(short)
        self.calls: list[dict] = []
        self.errors: list[BaseException | None] = []  # the exception each call raised
        self.max_active = 0
        self.loop: VirtualClockLoop | None = None
        self._active = 0
        self._lock = threading.Lock()

    def __call__(self, inputs):
        loop = self.loop
        inputs = list(inputs)
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)
            self.calls.append({"at": loop.time(), "inputs": inputs,
                               "on_loop_thread": loop.on_loop_thread()})  # fmt: skip
            self.errors.append(None)
            k = len(self.calls) - 1
        try:
            slow = any(x in self.slow for x in inputs)
            loop.thread_sleep(self.slow_cost_s if slow else self.cost_s)
            bad = [x for x in inputs if x in self.poison]
            if bad:
                self.errors[k] = ModelError(f"model failed on input {bad[0]}")
                raise self.errors[k]
            out = [("out", x) for x in inputs]
            if any(x in self.short for x in inputs):
                out = out[:-1]
            return out
        finally:
            with self._lock:
                self._active -= 1


def _error_of(exc: BaseException, model: RecordingModel) -> tuple:
    """What the judge needs of an exception a caller got (it cannot cross by identity):
    ``("err", type name, message, index of the model call that raised this very object or
    -1, is a ValueError, is a ModelError)``."""
    same = next((k for k, e in enumerate(model.errors) if e is exc), -1)
    return ("err", type(exc).__name__, str(exc)[:200], same, isinstance(exc, ValueError),
            isinstance(exc, ModelError))  # fmt: skip


async def _drive(batcher, model, arrivals, cancels, close_at, limit_s, after_close) -> dict:
    """Submit each ``x`` at its virtual time ``t`` (a burst: equal times, in list order),
    cancel the callers in ``cancels`` at their times, optionally call ``aclose()`` at
    ``close_at`` (and then submit once more while it drains), and wait for everything."""
    loop = asyncio.get_running_loop()
    model.loop = loop
    results: dict = {}
    submitted_at: dict = {}
    tasks: dict = {}
    closed: dict = {}

    async def one(x):
        submitted_at[x] = loop.time()
        try:
            results[x] = ("ok", await batcher.submit(x))
        except asyncio.CancelledError:
            results[x] = ("cancelled",)
            raise
        except Exception as exc:  # noqa: BLE001 - recorded and judged by the test
            results[x] = _error_of(exc, model)

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
        if after_close:
            try:  # a submit while aclose() is still draining
                closed["late"] = ("ok", await asyncio.wait_for(batcher.submit("late"), 1.0))
            except Exception as exc:  # noqa: BLE001
                closed["late"] = _error_of(exc, model)
            # a second aclose() while the first is draining returns only after the drain
            await batcher.aclose()
            closed["second_at"] = loop.time()
            closed["answered_by_second"] = len(results)
        await closing
        closed["first_at"] = loop.time()

    helpers = [asyncio.create_task(spawner()), asyncio.create_task(canceller())]
    if close_at is not None:
        helpers.append(asyncio.create_task(closer()))
    await asyncio.wait(helpers, timeout=limit_s)
    pending = list(tasks.values())
    if pending:
        await asyncio.wait(pending, timeout=max(1.0, limit_s - loop.time()))
    not_done = [x for x, task in tasks.items() if not task.done()]
    for x in not_done:
        tasks[x].cancel()
    for h in helpers:
        if not h.done():
            h.cancel()
    if close_at is None:
        with contextlib.suppress(Exception):  # aclose is judged by its own test
            await asyncio.wait_for(batcher.aclose(), 5.0)
    return {"results": results, "pending": not_done, "submitted_at": submitted_at,
            "closed": closed}  # fmt: skip


def scenario(max_batch: int, max_wait_ms: float, arrivals: list, model: dict,
             cancels: list = (), close_at: float | None = None, limit_s: float = 60.0,
             after_close: bool = False, wall_clock: str = "real") -> dict:  # fmt: skip
    """Build the submitted DynamicBatcher on a :class:`RecordingModel` (``model``: its
    keyword arguments) and drive ``arrivals`` (sorted ``(t, x)``) through it on a virtual
    clock. ``wall_clock="frozen"`` makes ``time.time()``/``time.monotonic()`` (and the
    like) stand still meanwhile. Returns the model's calls and what every caller got; a
    scenario that never finishes is reported as ``hung``."""
    rec = RecordingModel(**model)

    async def main():
        batcher = _module().DynamicBatcher(rec, max_batch, max_wait_ms)
        return await _drive(batcher, rec, [tuple(a) for a in arrivals],
                            [tuple(c) for c in cancels], close_at, limit_s, after_close)  # fmt: skip

    report: dict = {"hung": False}
    with _frozen_wall_clock() if wall_clock == "frozen" else contextlib.nullcontext():
        try:
            report.update(run_virtual(main, limit_s=limit_s + 30.0, what="the scenario"))
        except VirtualTimeout as exc:
            report.update(hung=True, hung_message=str(exc), results={}, pending=[],
                          submitted_at={}, closed={})  # fmt: skip
    report["calls"] = rec.calls
    report["max_active"] = rec.max_active
    return report


def aclose_twice() -> dict:
    """aclose() twice on an unused batcher, submit after it; then a used batcher: submit,
    aclose() twice, submit after it. Reports what each step did."""
    rec = RecordingModel()
    seen: dict = {}

    async def attempt(name, coro):
        try:
            seen[name] = ("ok", await asyncio.wait_for(coro, 5.0))
        except Exception as exc:  # noqa: BLE001
            seen[name] = _error_of(exc, rec)

    async def main():
        rec.loop = asyncio.get_running_loop()
        mod = _module()
        unused = mod.DynamicBatcher(rec, 4, 5.0)
        await attempt("unused_close_1", unused.aclose())
        await attempt("unused_close_2", unused.aclose())
        await attempt("unused_submit", unused.submit(1))
        used = mod.DynamicBatcher(rec, 4, 5.0)
        await attempt("used_submit", used.submit(7))
        await attempt("used_close_1", used.aclose())
        await attempt("used_close_2", used.aclose())
        await attempt("used_submit_after", used.submit(8))
        async with mod.DynamicBatcher(rec, 4, 5.0) as ctx:
            await attempt("ctx_submit", ctx.submit(9))
        await attempt("ctx_submit_after", ctx.submit(10))

    run_virtual(main, limit_s=60.0, what="aclose() twice")
    seen["calls"] = rec.calls
    return seen


# -- the wall clock stands still ----------------------------------------------------------------

_CLOCKS = ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns")


@contextlib.contextmanager
def _frozen_wall_clock():
    """``time.time()``, ``time.monotonic()``, ``time.perf_counter()`` (and their ``_ns``
    forms, also where the submitted module holds them under its own names) return the value
    they had when this block began, for as long as it lasts. The event loop's clock, which is
    virtual, goes on."""
    mod = _module()
    originals = {name: getattr(time, name) for name in _CLOCKS}
    frozen = {name: f() for name, f in originals.items()}
    fakes = {name: (lambda v=v: v) for name, v in frozen.items()}
    patched = [(time, name, fakes[name]) for name in _CLOCKS]
    by_id = {id(f): name for name, f in originals.items()}
    for attr, value in list(vars(mod).items()):
        if id(value) in by_id:
            patched.append((mod, attr, fakes[by_id[id(value)]]))
    saved = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in patched]
    try:
        for obj, attr, fake in patched:
            setattr(obj, attr, fake)
        yield
    finally:
        for obj, attr, value in saved:
            setattr(obj, attr, value)


# -- performance: a real event loop and a real clock --------------------------------------------

OVERHEAD_S = 0.0001  # the fixed cost of every model call (a launch / transfer), in seconds


class OverheadModel:
    """A small torch MLP whose every call also pays a fixed overhead; one output row per
    input tensor."""

    def __init__(self, dim: int = 32) -> None:
        import torch

        gen = torch.Generator().manual_seed(0)
        self.w1 = torch.randn(dim, 64, generator=gen) / 8
        self.w2 = torch.randn(64, dim, generator=gen) / 8

    def __call__(self, inputs):
        import torch

        x = torch.stack(list(inputs))
        time.sleep(OVERHEAD_S)
        return torch.relu(x @ self.w1) @ self.w2


_MODEL: list = []


def _model() -> OverheadModel:
    if not _MODEL:
        _MODEL.append(OverheadModel())
    return _MODEL[0]


def batched(xs, max_batch: int = 100, max_wait_ms: float = 50.0):
    """The throughput gate's candidate side: every row of ``xs`` submitted at once to a
    DynamicBatcher(model, 100, 50) on a real event loop; the outputs stacked."""
    import torch

    model = _model()
    rows = list(xs.unbind(0))

    async def main():
        batcher = _module().DynamicBatcher(model, max_batch, max_wait_ms)
        out = await asyncio.gather(*(batcher.submit(x) for x in rows))
        await batcher.aclose()
        return out

    return torch.stack(list(asyncio.run(main())))


def unbatched(xs):
    """The throughput gate's bar: an unbatched server, one model call per request in a worker
    thread; the outputs stacked."""
    import torch

    model = _model()
    rows = list(xs.unbind(0))

    async def main():
        loop = asyncio.get_running_loop()
        return [(await loop.run_in_executor(None, model, [x]))[0] for x in rows]

    return torch.stack(asyncio.run(main()))


def latency_run(gaps: list, batch: int, wait_ms: float, cost_s: float) -> dict:
    """One real-time run on a real event loop: request i is submitted ``gaps[i]`` s after the
    previous one; the model sleeps ``cost_s``. Returns the submit time of every request and
    the (start, end, inputs) of every model call, on this process's monotonic clock."""
    calls = []
    lock = threading.Lock()

    def model(inputs):
        start = time.monotonic()
        time.sleep(cost_s)
        with lock:
            calls.append((start, time.monotonic(), list(inputs)))
        return list(inputs)

    async def main():
        batcher = _module().DynamicBatcher(model, batch, wait_ms)
        submitted = {}

        async def one(i):
            submitted[i] = time.monotonic()
            return await batcher.submit(i)

        tasks = []
        for i, gap in enumerate(gaps):
            await asyncio.sleep(gap)
            tasks.append(asyncio.create_task(one(i)))
        out = await asyncio.wait_for(asyncio.gather(*tasks), 30)
        await batcher.aclose()
        return submitted, out

    submitted, out = asyncio.run(main())
    return {"submitted": submitted, "out": list(out), "calls": sorted(calls)}
