"""An asyncio event loop on a virtual clock, for hidden tests of asyncio katas.

:class:`VirtualClockLoop` is a selector event loop whose ``time()`` is virtual: it starts at 0
and moves only when nothing can happen before the next timer, so ``asyncio.sleep``,
``asyncio.wait_for``, ``loop.call_later`` and ``loop.time()`` behave exactly as on a real loop,
only deterministically and without real waiting. A deadline of 10 ms fires at virtual 0.010
whatever the machine's load.

Work in worker threads is accounted for: while a job started with ``loop.run_in_executor``
(which ``asyncio.to_thread`` uses) runs real code, virtual time stands still and the loop waits
for it in real time. A worker thread may spend virtual time with :meth:`VirtualClockLoop.
thread_sleep` (a model call that "takes 5 ms"): the loop then advances the clock to the
earliest of its timers and the sleeping threads' wake-up times, as if those 5 ms had passed
(landing :data:`LANDING_S` after it, as a real clock has always moved on a little).
A thread that calls ``thread_sleep`` while it runs on the loop's own thread (blocking the
loop) simply advances the clock.

Use :func:`run_virtual` to run a coroutine on a fresh loop with a virtual time limit.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import selectors
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: How far past a timer the clock lands when it jumps (one clock-resolution step).
LANDING_S = 1e-9


class VirtualTimeout(AssertionError):
    """The coroutine did not finish within its virtual time limit (it hung)."""


class _VirtualSelector(selectors.BaseSelector):
    """Delegates I/O to a real selector; where the loop would block, advances virtual time."""

    def __init__(self, loop: VirtualClockLoop) -> None:
        self._real = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj, events, data=None):
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj):
        return self._real.unregister(fileobj)

    def modify(self, fileobj, events, data=None):
        return self._real.modify(fileobj, events, data)

    def get_map(self):
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None):
        events = self._real.select(0)
        loop = self._loop
        with loop._lock:
            loop._release_due()
            if events:
                return events
            if timeout is not None and timeout <= 0:
                # nothing ready to run, yet the next timer is not due by a rounding error
                # (timers fire only strictly before now): move the clock past it
                if not loop._ready and loop._scheduled:
                    when = loop._scheduled[0].when()
                    if when >= loop._now and loop._jobs - loop._sleeping <= 0:
                        loop._now = when + LANDING_S
                return events
            busy = loop._jobs - loop._sleeping > 0
            if not busy:
                targets = [] if timeout is None else [loop._now + timeout]
                if loop._sleepers:
                    targets.append(loop._sleepers[0][0])
                if targets:
                    # land a hair after the target, as a real clock would: code that computes
                    # "deadline - loop.time()" then sees <= 0 instead of spinning on a
                    # rounding-error remainder that never elapses
                    loop._now = max(loop._now, min(targets) + LANDING_S)
                    loop._release_due()
                    return []
        # a worker thread runs real code (virtual time stands still), or nothing at all is
        # scheduled: wait in real time for a thread to report back
        return self._real.select(0.05)


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose clock is virtual (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 0.0
        self._jobs = 0  # run_in_executor jobs not finished (loop side)
        self._sleeping = 0  # worker threads inside thread_sleep
        self._sleepers: list[tuple[float, int, threading.Event]] = []
        self._seq = itertools.count()
        super().__init__(selector=_VirtualSelector(self))
        self._loop_thread: int | None = None
        # a timer fires only once the clock is strictly past it: with a non-zero resolution a
        # timer a rounding error ahead would fire without the clock moving, and code that
        # re-arms it ("deadline - loop.time()" still > 0) would spin forever
        self._clock_resolution = 0.0

    def time(self) -> float:
        return self._now

    def run_forever(self) -> None:
        self._loop_thread = threading.get_ident()
        super().run_forever()

    def run_in_executor(self, executor, func, *args):
        fut = super().run_in_executor(executor, func, *args)
        with self._lock:
            self._jobs += 1
        fut.add_done_callback(self._job_done)
        return fut

    def _job_done(self, _fut) -> None:
        with self._lock:
            self._jobs -= 1

    def on_loop_thread(self) -> bool:
        """Whether the caller runs on this loop's own thread."""
        return threading.get_ident() == self._loop_thread

    def thread_sleep(self, dt: float) -> None:
        """Spend ``dt`` seconds of virtual time in a worker thread (blocks that thread until
        the loop's clock reaches now + dt). On the loop's own thread, advance the clock."""
        if dt < 0:
            raise ValueError("dt must be >= 0")
        if self.on_loop_thread():
            with self._lock:
                self._now += dt
            return
        event = threading.Event()
        with self._lock:
            heapq.heappush(self._sleepers, (self._now + dt, next(self._seq), event))
            self._sleeping += 1
        self.call_soon_threadsafe(lambda: None)  # wake the loop so it sees the sleeper
        event.wait()

    def _release_due(self) -> None:
        """Wake every sleeping thread whose time has come (lock held)."""
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, event = heapq.heappop(self._sleepers)
            self._sleeping -= 1
            event.set()

    def close(self) -> None:
        with self._lock:  # never leave a thread asleep forever
            for _, _, event in self._sleepers:
                event.set()
            self._sleepers.clear()
            self._sleeping = 0
        super().close()


def run_virtual(main: Callable[[], Awaitable[T]], limit_s: float = 120.0, what: str = "") -> T:
    """Run ``main()`` on a fresh :class:`VirtualClockLoop`; raise :class:`VirtualTimeout` when
    it has not finished after ``limit_s`` virtual seconds (a hang: a request never answered)."""

    async def guarded() -> Any:
        try:
            return await asyncio.wait_for(main(), limit_s)
        except TimeoutError:
            raise VirtualTimeout(
                f"{what or 'the test scenario'} did not finish within {limit_s:g} s of virtual "
                f"time: some awaited call never returned (a request that is never answered, or "
                f"a background task that died)"
            ) from None

    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(guarded())
