"""Public examples for shadow_traffic: they show the API, not every rule.

The hidden suite checks much more (see README.md), on an event loop whose clock is virtual;
passing these is a start, not a grade.
"""

import asyncio

import pytest
from shadow import ShadowRouter


async def primary(request):
    await asyncio.sleep(0.001)
    return {"score": request["x"] * 2}


async def same_shadow(request):
    await asyncio.sleep(0.002)
    return {"score": request["x"] * 2}


async def broken_shadow(request):
    raise RuntimeError("candidate model crashed")


def test_primary_response_is_returned_and_compared():
    """handle returns the primary's response; the shadow's answer is compared in the
    background."""

    async def main():
        router = ShadowRouter(primary, same_shadow, timeout_s=1.0, max_in_flight=10)
        out = [await router.handle({"x": i}) for i in range(5)]
        await router.drain()
        return out, router.stats

    out, stats = asyncio.run(main())
    assert out == [{"score": 2 * i} for i in range(5)]
    assert stats.mirrored == 5 and stats.completed == 5
    assert stats.agreed == 5 and stats.disagreement_rate == 0.0
    assert stats.mean_latency_delta_s > 0  # the shadow is slower here


def test_shadow_errors_never_reach_the_user():
    """A crashing shadow is counted, not raised."""

    async def main():
        router = ShadowRouter(primary, broken_shadow, timeout_s=1.0, max_in_flight=10)
        out = await router.handle({"x": 21})
        await router.drain()
        return out, router.stats

    out, stats = asyncio.run(main())
    assert out == {"score": 42}
    assert stats.errors == 1 and stats.completed == 0


def test_bad_arguments():
    """timeout_s must be > 0 and max_in_flight >= 1."""
    with pytest.raises(ValueError):
        ShadowRouter(primary, same_shadow, timeout_s=0, max_in_flight=1)
    with pytest.raises(ValueError):
        ShadowRouter(primary, same_shadow, timeout_s=1.0, max_in_flight=0)
