"""Style A: one background task per mirrored request that runs the shadow (timed with
asyncio.wait on an inner task, cancelled on expiry) and then awaits a future through which
handle() hands over the primary's outcome; drain() waits on a snapshot of the task set."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import math
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("shadow_traffic")


@dataclass
class ShadowStats:
    """Counters of a ShadowRouter (a snapshot)."""

    mirrored: int = 0
    dropped: int = 0
    completed: int = 0
    errors: int = 0
    timeouts: int = 0
    agreed: int = 0
    disagreed: int = 0
    latency_delta_sum_s: float = 0.0

    @property
    def compared(self) -> int:
        """Requests whose two responses were compared."""
        return self.agreed + self.disagreed

    @property
    def disagreement_rate(self) -> float:
        """disagreed / compared (0.0 before any comparison)."""
        return self.disagreed / self.compared if self.compared else 0.0

    @property
    def mean_latency_delta_s(self) -> float | None:
        """Mean of (shadow latency - primary latency) over compared requests, or None."""
        return self.latency_delta_sum_s / self.compared if self.compared else None


_PRIMARY_FAILED = object()


class ShadowRouter:
    """Serve every request from the primary model and mirror it to the shadow model, which
    must never delay or change the primary's response (asyncio; one event loop)."""

    def __init__(
        self,
        primary: Callable[[Any], Awaitable[Any]],
        shadow: Callable[[Any], Awaitable[Any]],
        *,
        timeout_s: float,
        max_in_flight: int,
        compare: Callable[[Any, Any], bool] = operator.eq,
    ) -> None:
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)):
            raise ValueError("timeout_s must be a number > 0")
        if math.isnan(timeout_s) or timeout_s <= 0:
            raise ValueError("timeout_s must be a number > 0")
        if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int):
            raise ValueError("max_in_flight must be an int >= 1")
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be an int >= 1")
        self._primary = primary
        self._shadow = shadow
        self._timeout = float(timeout_s)
        self._max = max_in_flight
        self._compare = compare
        self._stats = ShadowStats()
        self._running = 0
        self._tasks: set[asyncio.Task] = set()

    @property
    def stats(self) -> ShadowStats:
        """A snapshot (a copy) of the counters."""
        return dataclasses.replace(self._stats)

    @property
    def in_flight(self) -> int:
        """Shadow calls running now."""
        return self._running

    async def handle(self, request: Any) -> Any:
        """Return the primary's response to ``request`` (or raise its exception), exactly as
        if there were no shadow; mirror the request to the shadow in the background."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome: asyncio.Future | None = None
        if self._running < self._max:
            try:
                mirrored_request = copy.deepcopy(request)
            except Exception:  # an uncopyable request is simply not mirrored
                logger.warning("shadow_traffic: request could not be copied", exc_info=True)
                self._stats.errors += 1
            else:
                outcome = loop.create_future()
                self._running += 1
                self._stats.mirrored += 1
                task = loop.create_task(self._mirror(mirrored_request, started, outcome))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        else:
            self._stats.dropped += 1

        if outcome is None:
            return await self._primary(request)
        try:
            response = await self._primary(request)
        except BaseException:
            if not outcome.done():
                outcome.set_result(_PRIMARY_FAILED)
            raise
        if not outcome.done():
            outcome.set_result((response, loop.time() - started))
        return response

    async def _mirror(self, request: Any, started: float, outcome: asyncio.Future) -> None:
        loop = asyncio.get_running_loop()
        shadow_response = None
        shadow_latency = None
        inner = loop.create_task(self._call_shadow(request))
        try:
            remaining = self._timeout - (loop.time() - started)
            wait_s = None if math.isinf(remaining) else max(remaining, 0.0)
            done, _ = await asyncio.wait({inner}, timeout=wait_s)
            if inner in done:
                exc = inner.exception() if not inner.cancelled() else asyncio.CancelledError()
                if exc is None:
                    shadow_response = inner.result()
                    shadow_latency = loop.time() - started
                    self._stats.completed += 1
                else:
                    self._stats.errors += 1
                    logger.warning("shadow call failed", exc_info=exc)
            else:
                inner.cancel()
                try:
                    await inner
                except BaseException:
                    pass
                self._stats.timeouts += 1
        except asyncio.CancelledError:
            if not inner.done():
                inner.cancel()
            raise
        finally:
            self._running -= 1

        if shadow_latency is None:
            return
        primary = await outcome
        if primary is _PRIMARY_FAILED:
            return
        primary_response, primary_latency = primary
        try:
            same = bool(self._compare(primary_response, shadow_response))
        except Exception:
            logger.warning("compare raised", exc_info=True)
            self._stats.errors += 1
            return
        if same:
            self._stats.agreed += 1
        else:
            self._stats.disagreed += 1
        self._stats.latency_delta_sum_s += shadow_latency - primary_latency

    async def _call_shadow(self, request: Any) -> Any:
        return await self._shadow(request)

    async def drain(self) -> None:
        """Wait until every shadow call started so far has finished and been recorded."""
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            await asyncio.wait(pending)
