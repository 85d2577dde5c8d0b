# kills: test_correctness.py::test_in_flight_bound_drops_and_counts
"""Mutant: lets max_in_flight + 1 shadow calls run (<= instead of <)."""


from __future__ import annotations

import asyncio
import copy
import logging
import math
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
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


class ShadowRouter:
    """Serve from the primary model; mirror to the shadow model without ever waiting for it."""

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
            raise ValueError(f"timeout_s must be a number > 0, got {timeout_s!r}")
        if math.isnan(timeout_s) or timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
        if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int):
            raise ValueError(f"max_in_flight must be an int >= 1, got {max_in_flight!r}")
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self._primary = primary
        self._shadow = shadow
        self._timeout = timeout_s
        self._max_in_flight = max_in_flight
        self._compare = compare
        self._stats = ShadowStats()
        self._in_flight = 0
        self._tasks: set[asyncio.Task] = set()

    @property
    def stats(self) -> ShadowStats:
        """A snapshot of the counters."""
        return replace(self._stats)

    @property
    def in_flight(self) -> int:
        """Shadow calls running now."""
        return self._in_flight

    async def handle(self, request: Any) -> Any:
        """The primary's response to ``request`` (or its exception), mirrored to the shadow."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome: asyncio.Future | None = None
        if self._in_flight <= self._max_in_flight:
            self._in_flight += 1
            self._stats.mirrored += 1
            outcome = loop.create_future()
            task = loop.create_task(self._mirror(copy.deepcopy(request), started, outcome))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            self._stats.dropped += 1
        try:
            response = await self._primary(request)
        except BaseException as exc:
            if outcome is not None and not outcome.done():
                outcome.set_result((False, exc, loop.time() - started))
            raise
        if outcome is not None and not outcome.done():
            outcome.set_result((True, response, loop.time() - started))
        return response

    async def _mirror(self, request: Any, started: float, outcome: asyncio.Future) -> None:
        loop = asyncio.get_running_loop()
        try:
            try:
                shadow_response = await asyncio.wait_for(self._shadow(request), self._timeout)
            except TimeoutError:
                self._stats.timeouts += 1
                return
            except Exception:
                self._stats.errors += 1
                logger.warning("shadow model raised", exc_info=True)
                return
            finally:
                self._in_flight -= 1
            shadow_latency = loop.time() - started
            self._stats.completed += 1
            ok, primary_response, primary_latency = await outcome
            if not ok:
                return  # the primary failed: nothing to compare
            try:
                agree = bool(self._compare(primary_response, shadow_response))
            except Exception:
                self._stats.errors += 1
                logger.warning("shadow compare() raised", exc_info=True)
                return
            if agree:
                self._stats.agreed += 1
            else:
                self._stats.disagreed += 1
            self._stats.latency_delta_sum_s += shadow_latency - primary_latency
        except asyncio.CancelledError:
            return  # the loop is shutting down

    async def drain(self) -> None:
        """Wait until every shadow call started so far has finished and been recorded."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
