"""Public examples for dynamic_batcher: they show the API, not every rule.

The hidden suite checks much more (see README.md), on an event loop whose clock is virtual;
passing these is a start, not a grade.
"""

import asyncio

import pytest
from batcher import DynamicBatcher


def double_all(inputs):
    """A toy model: one output per input, in the same order."""
    return [2 * x for x in inputs]


def test_each_request_gets_its_own_output():
    """Concurrent submits come back with model_fn(batch)[i] for their own input."""

    async def main():
        async with DynamicBatcher(double_all, max_batch_size=4, max_wait_ms=5) as batcher:
            return await asyncio.wait_for(
                asyncio.gather(*(batcher.submit(i) for i in range(10))), timeout=10
            )

    assert asyncio.run(main()) == [2 * i for i in range(10)]


def test_requests_are_batched():
    """Ten concurrent requests with max_batch_size=4 reach the model in batches of <= 4,
    fewer calls than requests, in FIFO order."""
    calls = []

    def model(inputs):
        calls.append(list(inputs))
        return [x + 100 for x in inputs]

    async def main():
        batcher = DynamicBatcher(model, max_batch_size=4, max_wait_ms=10)
        out = await asyncio.wait_for(
            asyncio.gather(*(batcher.submit(i) for i in range(10))), timeout=10
        )
        await batcher.aclose()
        return out

    out = asyncio.run(main())
    assert out == [i + 100 for i in range(10)]
    assert all(len(batch) <= 4 for batch in calls)
    assert len(calls) < 10
    assert [x for batch in calls for x in batch] == list(range(10))


def test_a_lone_request_is_sent_after_max_wait():
    """A single request is not held forever: it goes out once it has waited max_wait_ms."""

    async def main():
        batcher = DynamicBatcher(double_all, max_batch_size=64, max_wait_ms=20)
        out = await asyncio.wait_for(batcher.submit(21), timeout=5)
        await batcher.aclose()
        return out

    assert asyncio.run(main()) == 42


def test_model_error_reaches_the_caller():
    """An exception raised by model_fn is raised by submit for the requests of that batch."""

    def broken(inputs):
        raise KeyError("no such feature")

    async def main():
        batcher = DynamicBatcher(broken, max_batch_size=2, max_wait_ms=1)
        with pytest.raises(KeyError):
            await asyncio.wait_for(batcher.submit(1), timeout=10)
        await asyncio.wait_for(batcher.aclose(), timeout=10)

    asyncio.run(main())


def test_closed_batcher_rejects_new_work():
    """After aclose(), submit raises RuntimeError."""

    async def main():
        batcher = DynamicBatcher(double_all, max_batch_size=2, max_wait_ms=1)
        assert await asyncio.wait_for(batcher.submit(1), timeout=10) == 2
        await batcher.aclose()
        with pytest.raises(RuntimeError):
            await batcher.submit(2)

    asyncio.run(main())


def test_bad_arguments():
    """max_batch_size must be >= 1 and max_wait_ms >= 0."""
    with pytest.raises(ValueError):
        DynamicBatcher(double_all, max_batch_size=0, max_wait_ms=5)
    with pytest.raises(ValueError):
        DynamicBatcher(double_all, max_batch_size=4, max_wait_ms=-1)


def test_same_instant_requests_share_a_batch():
    """With max_wait_ms=0, requests submitted at the same instant (one gather) are queued
    together before a batch is formed: one model call with all three."""
    calls = []

    def model(inputs):
        calls.append(list(inputs))
        return [x * 10 for x in inputs]

    async def main():
        batcher = DynamicBatcher(model, max_batch_size=8, max_wait_ms=0)
        out = await asyncio.wait_for(
            asyncio.gather(*(batcher.submit(i) for i in (1, 2, 3))), timeout=10
        )
        await batcher.aclose()
        return out

    assert asyncio.run(main()) == [10, 20, 30]
    assert calls == [[1, 2, 3]]
