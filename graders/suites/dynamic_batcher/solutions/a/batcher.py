"""Style A: one long-lived worker task per batcher that sleeps on an asyncio.Event with
asyncio.timeout_at(oldest deadline), a deque of requests, and loop.run_in_executor."""

from __future__ import annotations

import asyncio
import math
import numbers
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any


class _Request:
    __slots__ = ("x", "future", "deadline", "queued")

    def __init__(self, x: Any, future: asyncio.Future, deadline: float) -> None:
        self.x = x
        self.future = future
        self.deadline = deadline
        self.queued = True


class DynamicBatcher:
    """Collect concurrent ``submit`` calls into batches for one synchronous ``model_fn``."""

    def __init__(
        self, model_fn: Callable[[list], Sequence], max_batch_size: int, max_wait_ms: float
    ) -> None:
        if (
            isinstance(max_batch_size, bool)
            or not isinstance(max_batch_size, int)
            or max_batch_size < 1
        ):
            raise ValueError(f"max_batch_size must be an int >= 1, got {max_batch_size!r}")
        if isinstance(max_wait_ms, bool) or not isinstance(max_wait_ms, numbers.Real):
            raise ValueError(f"max_wait_ms must be a number, got {max_wait_ms!r}")
        wait = float(max_wait_ms)
        if not math.isfinite(wait) or wait < 0:
            raise ValueError(f"max_wait_ms must be finite and >= 0, got {max_wait_ms!r}")
        self._model_fn = model_fn
        self._max = max_batch_size
        self._wait_s = wait / 1000.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: deque[_Request] = deque()
        self._wakeup: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self._closed = False

    # ------------------------------------------------------------------ public API
    async def submit(self, x: Any) -> Any:
        if self._closed:
            raise RuntimeError("DynamicBatcher is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._wakeup = asyncio.Event()
            self._worker = loop.create_task(self._run())
        elif self._loop is not loop:
            raise RuntimeError("DynamicBatcher is bound to another event loop")
        request = _Request(x, loop.create_future(), loop.time() + self._wait_s)
        self._queue.append(request)
        self._wakeup.set()
        try:
            return await request.future
        except asyncio.CancelledError:
            if request.queued:  # still waiting in the queue: drop it
                request.queued = False
                self._queue.remove(request)
                self._wakeup.set()
            raise

    async def aclose(self) -> None:
        first = not self._closed
        self._closed = True
        worker = self._worker
        if worker is None:
            return
        if first:
            self._wakeup.set()
        if not worker.done():
            # shield: cancelling a caller of aclose must not kill the worker mid-drain
            await asyncio.shield(worker)

    async def __aenter__(self) -> DynamicBatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ the worker
    async def _run(self) -> None:
        loop = self._loop
        queue = self._queue
        wakeup = self._wakeup
        while True:
            if not queue:
                if self._closed:
                    return
                wakeup.clear()
                await wakeup.wait()
                continue
            if not self._closed and len(queue) < self._max:
                head = queue[0]
                if loop.time() < head.deadline:
                    wakeup.clear()
                    try:
                        async with asyncio.timeout_at(head.deadline):
                            await wakeup.wait()
                        continue  # something changed: apply the rule again
                    except TimeoutError:
                        if not queue or queue[0] is not head:
                            continue
                        # the oldest request's deadline has come: dispatch
            size = min(len(queue), self._max)
            batch = [queue.popleft() for _ in range(size)]
            for request in batch:
                request.queued = False
            await self._call_model(batch)

    async def _call_model(self, batch: list[_Request]) -> None:
        try:
            outputs = await self._loop.run_in_executor(
                None, self._model_fn, [request.x for request in batch]
            )
            try:
                count = len(outputs)
            except TypeError:
                count = None
            if count != len(batch):
                raise ValueError(
                    f"model_fn returned {count} outputs for a batch of {len(batch)}"
                )
            results = [outputs[i] for i in range(count)]
        except asyncio.CancelledError as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # the worker itself is cancelled
                for request in batch:
                    request.future.cancel()
                raise
            self._fail(batch, exc)
            return
        except BaseException as exc:  # noqa: BLE001 - every error goes to the callers
            self._fail(batch, exc)
            return
        for request, result in zip(batch, results):
            if not request.future.done():  # a caller cancelled meanwhile gets nothing
                request.future.set_result(result)

    @staticmethod
    def _fail(batch: list[_Request], exc: BaseException) -> None:
        for request in batch:
            if not request.future.done():
                request.future.set_exception(exc)
