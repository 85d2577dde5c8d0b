"""Hidden performance gate of shadow_traffic, in real time on a real event loop.

16 concurrent clients alternate, request by request, between calling the primary directly and
calling it through the router (whose shadow sleeps 20 ms or hangs until its 50 ms timeout), so
both kinds of request run in the same process, on the same loop, at the same moments: machine
load slows both alike, and the ratio of their p99 latencies stays near 1 unless the router
makes the caller wait for the shadow. A miss is measured again (three measurements at most)
unless it exceeds 3x the bound.
"""

import asyncio
import logging
import time

import pytest

N_EACH = 2000
CLIENTS = 16
BOUND = 1.2


def _p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _measure(sol):
    async def primary(request):
        await asyncio.sleep(0.002)
        return ("answer", request)

    async def shadow(request):
        if request % 2:
            await asyncio.sleep(0.02)  # slow
        else:
            await asyncio.Event().wait()  # hangs: cancelled by the router's timeout
        return ("answer", request)

    async def main():
        router = sol.ShadowRouter(primary, shadow, timeout_s=0.05, max_in_flight=64)
        direct, routed, wrong = [], [], []
        per_client = N_EACH * 2 // CLIENTS

        async def client(c):
            for k in range(per_client):
                request = c * per_client + k
                through_router = (k + c) % 2 == 0
                start = time.perf_counter()
                if through_router:
                    got = await router.handle(request)
                else:
                    got = await primary(request)
                elapsed = time.perf_counter() - start
                (routed if through_router else direct).append(elapsed)
                if got != ("answer", request):
                    wrong.append((request, got))

        await asyncio.gather(*(client(c) for c in range(CLIENTS)))
        await asyncio.wait_for(router.drain(), 30)
        return direct, routed, wrong, router.stats

    return asyncio.run(main())


@pytest.mark.perf
def test_primary_p99_unchanged_by_slow_shadow(sol, record_property):
    """p99 latency through the router (shadow sleeping 20 ms or hanging) is at most 1.2x the
    p99 of calling the primary directly, 2,000 interleaved requests each."""
    logging.getLogger("shadow_traffic").disabled = True
    tries = []
    try:
        for _ in range(3):
            direct, routed, wrong, stats = _measure(sol)
            assert not wrong, f"the router changed responses: {wrong[:3]}"
            ratio = _p99(routed) / _p99(direct)
            tries.append((ratio, _p99(routed), _p99(direct), stats))
            if ratio <= BOUND or ratio > 3 * BOUND:
                break  # a pass, or a miss far too large for another measurement to change
    finally:
        logging.getLogger("shadow_traffic").disabled = False
    ratio, p_routed, p_direct, stats = min(tries, key=lambda t: t[0])
    record_property(
        "perf",
        {"ratio": round(ratio / BOUND, 4), "bound": 1.0, "rounds": len(tries),
         "what": "p99 through the router / p99 direct, over the 1.2x bound"},
    )  # fmt: skip
    assert ratio <= BOUND, (
        f"p99 latency through the router {p_routed * 1e3:.2f} ms vs {p_direct * 1e3:.2f} ms "
        f"calling the primary directly: ratio {ratio:.2f}x, bound {BOUND}x (best of "
        f"{len(tries)} measurements; shadow stats {stats}). The caller must never wait for the "
        f"shadow, not even up to its timeout: return as soon as the primary answers"
    )
