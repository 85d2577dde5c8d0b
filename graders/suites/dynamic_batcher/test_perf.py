"""Hidden performance gates of dynamic_batcher, on a real event loop and a real clock.

The throughput gate is a same-process ratio (graders.perf). The latency gate measures real
waits against a stated slack (25 ms on top of max_wait_ms and the model's busy time) and
measures again before it fails, so a busy machine does not fail a right solution.
"""

import asyncio
import threading
import time

import pytest
import torch

OVERHEAD_S = 0.0001  # the fixed cost of every model call (a launch / transfer), in seconds
N_REQUESTS = 1000
SLACK_MS = 25.0


class OverheadModel:
    """A small torch MLP whose every call also pays a fixed overhead; outputs one row per
    input tensor."""

    def __init__(self, dim: int = 32) -> None:
        gen = torch.Generator().manual_seed(0)
        self.w1 = torch.randn(dim, 64, generator=gen) / 8
        self.w2 = torch.randn(64, dim, generator=gen) / 8

    def __call__(self, inputs):
        x = torch.stack(list(inputs))
        time.sleep(OVERHEAD_S)
        return torch.relu(x @ self.w1) @ self.w2


def _requests(rng, dim=32):
    """make_args: 1,000 fresh input rows per call (a random scale of a fixed random base)."""
    base = torch.from_numpy(rng.normal(size=(N_REQUESTS, dim))).float()

    def make():
        return (list((base * (0.5 + torch.rand(()))).unbind(0)),)

    return make


@pytest.mark.perf
def test_throughput_vs_unbatched(sol, perf, rng):
    """1,000 concurrent requests through DynamicBatcher(model, 100, 50) take at most 1/5 of
    the time of the same requests served one model call each (throughput >= 5x unbatched)."""
    model = OverheadModel()

    def batched(xs):
        async def main():
            batcher = sol.DynamicBatcher(model, 100, 50.0)
            out = await asyncio.gather(*(batcher.submit(x) for x in xs))
            await batcher.aclose()
            return out

        return asyncio.run(main())

    def unbatched(xs):
        async def main():  # an unbatched server: one model call per request, in a worker thread
            loop = asyncio.get_running_loop()
            return [(await loop.run_in_executor(None, model, [x]))[0] for x in xs]

        return asyncio.run(main())

    def check(got, want, args):
        assert len(got) == len(want), f"{len(got)} outputs for {len(want)} requests"
        got_t, want_t = torch.stack(list(got)), torch.stack(list(want))
        assert torch.allclose(got_t, want_t, rtol=1e-4, atol=1e-5), (
            "the batched outputs differ from the model's output for each request"
        )

    perf.compare(
        batched,
        unbatched,
        _requests(rng),
        bound=0.2,
        what="time of 1,000 concurrent requests through the batcher / served one call each",
        check=check,
        hint=(
            "a full batch must go to the model at once: sleeping max_wait_ms before every "
            "batch (or calling the model per request) throws the batching gain away"
        ),
        budget_s=6.0,
    )


def _latency_run(sol, rng, n=150, batch=64, wait_ms=20.0, gap_ms=3.0, cost_s=0.001):
    """One real-time run: n requests with exponential gaps; returns the worst excess wait
    (ms) over max(submit + max_wait, end of the previous model call), and details."""
    calls = []  # (start, end, n)
    lock = threading.Lock()

    def model(inputs):
        start = time.monotonic()
        time.sleep(cost_s)
        with lock:
            calls.append((start, time.monotonic(), list(inputs)))
        return [x for x in inputs]

    gaps = rng.exponential(gap_ms / 1e3, size=n)

    async def main():
        batcher = sol.DynamicBatcher(model, batch, wait_ms)
        submitted = {}

        async def one(i):
            submitted[i] = time.monotonic()
            return await batcher.submit(i)

        tasks = []
        for i in range(n):
            await asyncio.sleep(float(gaps[i]))
            tasks.append(asyncio.create_task(one(i)))
        out = await asyncio.wait_for(asyncio.gather(*tasks), 30)
        await batcher.aclose()
        return submitted, out

    submitted, out = asyncio.run(main())
    assert list(out) == list(range(n)), "the latency run got wrong outputs"
    calls.sort()
    worst, where = -1e9, None
    prev_end = float("-inf")
    for start, end, inputs in calls:
        for i in inputs:
            allowed = max(submitted[i] + wait_ms / 1e3, prev_end)
            excess = (start - allowed) * 1e3
            if excess > worst:
                worst, where = excess, (i, (start - submitted[i]) * 1e3, len(inputs))
        prev_end = end
    return worst, where


@pytest.mark.perf
def test_wait_bounded_in_real_time(sol, rng, record_property):
    """In real time, no request waits more than max_wait_ms (20 ms), plus the time the model
    was still busy, plus 25 ms of slack, between submit and its model call (3 tries)."""
    tries = []
    for _ in range(3):
        worst, where = _latency_run(sol, rng)
        tries.append((worst, where))
        if worst <= SLACK_MS:
            break
    worst, where = min(tries, key=lambda t: t[0])
    record_property(
        "perf",
        {"ratio": round(max(worst, 0.0) / SLACK_MS, 4), "bound": 1.0,
         "what": "worst wait beyond max_wait_ms (and the model's busy time) / 25 ms slack",
         "rounds": len(tries)},
    )  # fmt: skip
    if worst > SLACK_MS:
        i, waited, size = where
        raise AssertionError(
            f"DynamicBatcher(max_batch_size=64, max_wait_ms=20), requests every ~3 ms: request "
            f"{i} waited {waited:.1f} ms before its model call (batch of {size}), "
            f"{worst:.1f} ms past its deadline (allowed slack {SLACK_MS:.0f} ms; best of "
            f"{len(tries)} runs). The deadline is fixed when the oldest request is queued: "
            f"restarting the timer on every new arrival holds a steady stream until the batch "
            f"is full."
        )
