"""Style B: no worker task. A callback-driven state machine: an OrderedDict of pending
requests, one loop.call_at timer for the oldest deadline, asyncio.to_thread for the model
and a done-callback that applies the dispatch rule again."""

from __future__ import annotations

import asyncio
import itertools
import math
import numbers
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any


class _Pending:
    __slots__ = ("seq", "x", "future", "due")

    def __init__(self, seq: int, x: Any, future: asyncio.Future, due: float) -> None:
        self.seq = seq
        self.x = x
        self.future = future
        self.due = due


class DynamicBatcher:
    """Collect concurrent ``submit`` calls into batches for one synchronous ``model_fn``."""

    def __init__(
        self, model_fn: Callable[[list], Sequence], max_batch_size: int, max_wait_ms: float
    ) -> None:
        if type(max_batch_size) is bool or not isinstance(max_batch_size, int):
            raise ValueError("max_batch_size must be an int")
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be >= 1")
        if type(max_wait_ms) is bool or not isinstance(max_wait_ms, numbers.Real):
            raise ValueError("max_wait_ms must be a real number")
        if math.isnan(max_wait_ms) or math.isinf(max_wait_ms) or max_wait_ms < 0:
            raise ValueError("max_wait_ms must be finite and >= 0")
        self._fn = model_fn
        self._limit = max_batch_size
        self._delay = float(max_wait_ms) / 1000.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: OrderedDict[int, _Pending] = OrderedDict()
        self._seq = itertools.count()
        self._busy = False
        self._scheduled = False  # a rule evaluation is queued with call_soon
        self._timer: asyncio.TimerHandle | None = None
        self._timer_for: _Pending | None = None
        self._closing = False
        self._drained: asyncio.Future | None = None

    async def submit(self, x: Any) -> Any:
        if self._closing:
            raise RuntimeError("submit() after aclose()")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError("this batcher belongs to another event loop")
        item = _Pending(next(self._seq), x, loop.create_future(), loop.time() + self._delay)
        self._pending[item.seq] = item
        self._schedule()
        try:
            return await item.future
        except asyncio.CancelledError:
            if self._pending.pop(item.seq, None) is not None:  # never reached the model
                self._schedule()
            raise

    async def aclose(self) -> None:
        if not self._closing:
            self._closing = True
            if self._loop is None:
                return
            self._drained = self._loop.create_future()
            self._evaluate()
        if self._drained is not None and not self._drained.done():
            await asyncio.shield(self._drained)

    async def __aenter__(self) -> DynamicBatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ the rule
    def _schedule(self) -> None:
        """Evaluate the rule on the next loop iteration, so that requests submitted at the
        same instant (e.g. one gather) are seen together."""
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._evaluate_soon)

    def _evaluate_soon(self) -> None:
        self._scheduled = False
        self._evaluate()

    def _evaluate(self) -> None:
        if self._busy:
            return
        if not self._pending:
            self._disarm()
            if self._closing and self._drained is not None and not self._drained.done():
                self._drained.set_result(None)
            return
        oldest = next(iter(self._pending.values()))
        if (
            self._closing
            or len(self._pending) >= self._limit
            or self._loop.time() >= oldest.due
        ):
            self._dispatch()
        elif self._timer_for is not oldest:
            self._disarm()
            self._timer_for = oldest
            self._timer = self._loop.call_at(oldest.due, self._deadline, oldest)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_for = None

    def _deadline(self, oldest: _Pending) -> None:
        self._timer = None
        self._timer_for = None
        if self._busy or not self._pending:
            return
        if next(iter(self._pending.values())) is oldest:
            self._dispatch()  # the timer for the oldest request fired: its wait is over
        else:
            self._evaluate()

    def _dispatch(self) -> None:
        self._disarm()
        batch = []
        while self._pending and len(batch) < self._limit:
            batch.append(self._pending.popitem(last=False)[1])
        self._busy = True
        inputs = [item.x for item in batch]
        running = self._loop.create_task(asyncio.to_thread(self._fn, inputs))
        running.add_done_callback(lambda done: self._finished(batch, done))

    def _finished(self, batch: list[_Pending], done: asyncio.Future) -> None:
        self._busy = False
        error: BaseException | None = None
        results: list[Any] = []
        if done.cancelled():  # the loop is shutting down: nobody gets an answer
            for item in batch:
                item.future.cancel()
            self._evaluate()
            return
        else:
            error = done.exception()
            if error is None:
                outputs = done.result()
                try:
                    if not hasattr(outputs, "__len__") or len(outputs) != len(batch):
                        raise ValueError("model_fn returned the wrong number of outputs")
                    results = [outputs[i] for i in range(len(batch))]
                except BaseException as exc:  # noqa: BLE001
                    error = exc
        for i, item in enumerate(batch):
            if item.future.done():  # its caller was cancelled during the call
                continue
            if error is not None:
                item.future.set_exception(error)
            else:
                item.future.set_result(results[i])
        self._evaluate()
