# kills: test_correctness.py::test_one_model_call_at_a_time
"""Mutant: starts each batch's model call as its own task without waiting for the previous one: model_fn runs concurrently with itself."""


from __future__ import annotations

import asyncio
import itertools
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class _Pending:
    """A queued request: its input, the future its caller awaits, and its enqueue time."""

    x: Any
    future: asyncio.Future
    enqueued_at: float


class DynamicBatcher:
    """Collect concurrent ``submit`` calls into batches for one synchronous ``model_fn``."""

    def __init__(
        self, model_fn: Callable[[list], Sequence], max_batch_size: int, max_wait_ms: float
    ) -> None:
        if not callable(model_fn):
            raise TypeError("model_fn must be callable")
        if isinstance(max_batch_size, bool) or not isinstance(max_batch_size, int):
            raise ValueError(f"max_batch_size must be an int >= 1, got {max_batch_size!r}")
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        if isinstance(max_wait_ms, bool) or not isinstance(max_wait_ms, (int, float)):
            raise ValueError(f"max_wait_ms must be a number >= 0, got {max_wait_ms!r}")
        if not math.isfinite(max_wait_ms) or max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be finite and >= 0, got {max_wait_ms}")
        self._model_fn = model_fn
        self._max_batch = max_batch_size
        self._max_wait_s = max_wait_ms / 1000.0
        self._queue: OrderedDict[int, _Pending] = OrderedDict()
        self._ids = itertools.count()
        self._changed: asyncio.Event | None = None
        self._dispatcher: asyncio.Task | None = None
        self._closed = False

    # -- public API --------------------------------------------------------------------------

    async def submit(self, x: Any) -> Any:
        """Queue ``x`` and wait for its output (``model_fn(batch)[i]`` for its batch slot)."""
        if self._closed:
            raise RuntimeError("the batcher is closed: submit() after aclose()")
        loop = asyncio.get_running_loop()
        self._start(loop)
        key = next(self._ids)
        future = loop.create_future()
        self._queue[key] = _Pending(x, future, loop.time())
        self._changed.set()
        try:
            return await future
        except asyncio.CancelledError:
            # dropped before dispatch: it must neither reach the model nor hold the deadline
            if self._queue.pop(key, None) is not None:
                self._changed.set()
            raise

    async def aclose(self) -> None:
        """Reject new work, dispatch everything queued without waiting, and wait for it."""
        self._closed = True
        if self._dispatcher is None:
            return
        self._changed.set()
        await asyncio.shield(self._dispatcher)

    async def __aenter__(self) -> DynamicBatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the dispatcher ----------------------------------------------------------------------

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._dispatcher is None:
            self._changed = asyncio.Event()
            self._dispatcher = loop.create_task(self._dispatch_loop())

    async def _dispatch_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                if self._closed:
                    return
                self._changed.clear()
                await self._changed.wait()
                continue
            if len(self._queue) < self._max_batch and not self._closed:
                oldest = next(iter(self._queue.values()))
                remaining = oldest.enqueued_at + self._max_wait_s - loop.time()
                if remaining > 0:
                    # sleep until the oldest request's deadline, or until the queue changes
                    # (it filled up, the oldest was cancelled, aclose() was called)
                    self._changed.clear()
                    try:
                        await asyncio.wait_for(self._changed.wait(), remaining)
                    except TimeoutError:
                        pass
                    continue
            batch = [
                self._queue.popitem(last=False)[1]
                for _ in range(min(self._max_batch, len(self._queue)))
            ]
            loop.create_task(self._run_batch(loop, batch))

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Pending]) -> None:
        inputs = [p.x for p in batch]
        try:
            outputs = await loop.run_in_executor(None, self._model_fn, inputs)
            if len(outputs) != len(batch):
                raise ValueError(
                    f"model_fn returned {len(outputs)} outputs for a batch of {len(batch)}"
                )
        except Exception as exc:  # noqa: BLE001 - delivered to exactly this batch's callers
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        for p, out in zip(batch, outputs, strict=True):
            if not p.future.done():
                p.future.set_result(out)
