"""Style B: callback-driven. Each mirror is a small record object; the shadow task runs under
asyncio.timeout_at(start + timeout_s) and the primary's outcome is pushed by handle(); whichever
side finishes last schedules the comparison with loop.call_soon. drain() counts pending records
with a sequence number and waits on an asyncio.Event."""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from numbers import Real
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


class _Mirror:
    """State of one mirrored request: both outcomes, and whether it has been recorded."""

    __slots__ = ("seq", "scheduled", "shadow_state", "shadow_value", "shadow_latency",
                 "primary_state", "primary_value", "primary_latency")

    def __init__(self, seq: int):
        self.seq = seq
        self.scheduled = False
        self.shadow_state = "running"  # -> "ok", "failed"
        self.shadow_value = None
        self.shadow_latency = 0.0
        self.primary_state = "running"  # -> "ok", "failed"
        self.primary_value = None
        self.primary_latency = 0.0


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
        if type(timeout_s) is bool or not isinstance(timeout_s, Real) or not timeout_s > 0:
            raise ValueError(f"timeout_s must be a number > 0, got {timeout_s!r}")
        if type(max_in_flight) is bool or not isinstance(max_in_flight, int) or max_in_flight < 1:
            raise ValueError(f"max_in_flight must be an int >= 1, got {max_in_flight!r}")
        self._primary = primary
        self._shadow = shadow
        self._timeout_s = float(timeout_s)
        self._limit = max_in_flight
        self._compare = compare
        self._counts = ShadowStats()
        self._active = 0  # shadow calls running
        self._next_seq = 0
        self._unrecorded: set[int] = set()
        self._waiters: list[tuple[int, asyncio.Event]] = []
        self._tasks: set[asyncio.Task] = set()  # strong references to the shadow tasks

    # ------------------------------------------------------------------ public views
    @property
    def stats(self) -> ShadowStats:
        """A snapshot (a copy) of the counters."""
        return replace(self._counts)

    @property
    def in_flight(self) -> int:
        """Shadow calls running now."""
        return self._active

    # ------------------------------------------------------------------ request path
    async def handle(self, request: Any) -> Any:
        """Return the primary's response to ``request`` (or raise its exception), exactly as
        if there were no shadow; mirror the request to the shadow in the background."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        mirror = self._start_mirror(loop, request, t0) if self._active < self._limit else None
        if mirror is None and self._active >= self._limit:
            self._counts.dropped += 1
        if mirror is None:
            return await self._primary(request)
        ok = False
        try:
            result = await self._primary(request)
            ok = True
        finally:
            if ok:
                mirror.primary_state = "ok"
                mirror.primary_value = result
                mirror.primary_latency = loop.time() - t0
            else:
                mirror.primary_state = "failed"
            self._maybe_finish(loop, mirror)
        return result

    def _start_mirror(self, loop, request, t0) -> _Mirror | None:
        try:
            clone = copy.deepcopy(request)
        except Exception:
            logger.warning("could not deep-copy the request for the shadow", exc_info=True)
            self._counts.errors += 1
            return None
        mirror = _Mirror(self._next_seq)
        self._next_seq += 1
        self._unrecorded.add(mirror.seq)
        self._active += 1
        self._counts.mirrored += 1
        task = loop.create_task(self._run_shadow(loop, mirror, clone, t0))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return mirror

    async def _run_shadow(self, loop, mirror: _Mirror, clone: Any, t0: float) -> None:
        timed_out = False
        try:
            try:
                deadline = None if math.isinf(self._timeout_s) else t0 + self._timeout_s
                async with asyncio.timeout_at(deadline) as scope:
                    value = await self._shadow(clone)
            except TimeoutError:
                if scope.expired():
                    timed_out = True
                else:
                    raise
        except Exception as exc:  # the shadow's own failure (its own TimeoutError included)
            logger.warning("shadow call raised %r", exc, exc_info=exc)
            self._counts.errors += 1
            mirror.shadow_state = "failed"
        else:
            if timed_out:
                self._counts.timeouts += 1
                mirror.shadow_state = "failed"
            else:
                self._counts.completed += 1
                mirror.shadow_state = "ok"
                mirror.shadow_value = value
                mirror.shadow_latency = loop.time() - t0
        finally:
            self._active -= 1
            if mirror.shadow_state == "running":  # cancelled from outside
                mirror.shadow_state = "failed"
            self._maybe_finish(loop, mirror)

    # ------------------------------------------------------------------ bookkeeping
    def _maybe_finish(self, loop, mirror: _Mirror) -> None:
        """Called when either side ends; only the side that ends last does something."""
        if mirror.seq not in self._unrecorded or mirror.scheduled:
            return
        if mirror.shadow_state == "failed":
            self._record(mirror)  # nothing to compare
        elif mirror.shadow_state == "ok" and mirror.primary_state != "running":
            mirror.scheduled = True
            loop.call_soon(self._compare_and_record, mirror)  # off the request path

    def _compare_and_record(self, mirror: _Mirror) -> None:
        if mirror.primary_state == "ok":
            try:
                agree = bool(self._compare(mirror.primary_value, mirror.shadow_value))
            except Exception:
                logger.warning("compare raised", exc_info=True)
                self._counts.errors += 1
            else:
                if agree:
                    self._counts.agreed += 1
                else:
                    self._counts.disagreed += 1
                self._counts.latency_delta_sum_s += mirror.shadow_latency - mirror.primary_latency
        self._record(mirror)

    def _record(self, mirror: _Mirror) -> None:
        self._unrecorded.discard(mirror.seq)
        self._wake()

    def _pending_upto(self, bound: int) -> bool:
        return any(seq < bound for seq in self._unrecorded)

    def _wake(self) -> None:
        still = []
        for bound, event in self._waiters:
            if self._pending_upto(bound):
                still.append((bound, event))
            else:
                event.set()
        self._waiters = still

    async def drain(self) -> None:
        """Wait until every shadow call started so far has finished and been recorded."""
        bound = self._next_seq
        if not self._pending_upto(bound):
            return
        event = asyncio.Event()
        self._waiters.append((bound, event))
        await event.wait()

