"""Fixtures and helpers of the shadow_traffic hidden suite: scripted async models that record
their calls on the loop clock. Correctness tests run on graders.virtual_clock_loop (a virtual
clock), so latencies and timeouts are exact."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest


class ModelError(Exception):
    """What a scripted model raises."""


HANG = float("inf")


class Scripted:
    """An async model: ``plan(request) -> (cost_s, output | ModelError)``; records each call's
    start, end or cancellation time, and the most calls running at once."""

    def __init__(self, plan) -> None:
        self.plan = plan
        self.calls: list[dict] = []
        self.running = 0
        self.max_running = 0

    async def __call__(self, request):
        loop = asyncio.get_running_loop()
        cost, result = self.plan(request)
        call = {"request": request, "start": loop.time(), "end": None, "cancelled": None}
        self.calls.append(call)
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if cost == HANG:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(cost)
        except asyncio.CancelledError:
            call["cancelled"] = loop.time()
            raise
        finally:
            self.running -= 1
        call["end"] = loop.time()
        if isinstance(result, BaseException):
            raise result
        return result


@pytest.fixture(scope="session")
def sk():
    """The suite's helpers (hidden tests may not import conftest)."""
    return SimpleNamespace(ModelError=ModelError, Scripted=Scripted, HANG=HANG)
