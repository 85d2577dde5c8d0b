"""Hidden performance gate of shadow_traffic, in real time on a real event loop.

16 concurrent clients alternate, request by request, between calling the primary directly and
calling it through the router (whose shadow sleeps 20 ms or hangs until its 50 ms timeout), so
both kinds of request run in the same process, on the same loop, at the same moments: machine
load slows both alike, and the ratio of their p99 latencies stays near 1 unless the router
makes the caller wait. The scenario runs in the sandbox (``inside.p99_run``: asyncio does not
cross); the judge computes the percentiles. A miss is measured again (three measurements at
most) unless it exceeds 3x the bound.
"""

import pytest

N_EACH = 2000
CLIENTS = 16
BOUND = 2.0


def _p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


@pytest.mark.perf
@pytest.mark.rules("R12")
def test_primary_p99_unchanged_by_slow_shadow(drive, record_property):
    """p99 latency through the router (shadow sleeping 20 ms or hanging) is at most 2x the
    p99 of calling the primary directly, 2,000 interleaved requests each."""
    tries = []
    for _ in range(3):
        run = drive.p99_run(N_EACH, CLIENTS)
        assert not run["wrong"], (
            f"through the router, requests {run['wrong']} got another response than the "
            f"primary's; R1"
        )
        routed, direct = run["routed"], run["direct"]
        assert len(routed) == N_EACH and len(direct) == N_EACH, (
            f"the real-time run reported {len(routed)} routed and {len(direct)} direct "
            f"latencies, expected {N_EACH} each"
        )
        ratio = _p99(routed) / _p99(direct)
        tries.append((ratio, _p99(routed), _p99(direct), run["stats"]))
        if ratio <= BOUND or ratio > 3 * BOUND:
            break  # a pass, or a miss far too large for another measurement to change
    ratio, p_routed, p_direct, stats = min(tries, key=lambda t: t[0])
    record_property(
        "perf",
        {"ratio": round(ratio / BOUND, 4), "bound": 1.0, "rounds": len(tries),
         "what": "p99 through the router / p99 direct, over the 2x bound (R12)"},
    )  # fmt: skip
    assert ratio <= BOUND, (
        f"p99 latency through the router {p_routed * 1e3:.2f} ms vs {p_direct * 1e3:.2f} ms "
        f"calling the primary directly: ratio {ratio:.2f}x, bound {BOUND}x (best of "
        f"{len(tries)} measurements; {stats['mirrored']} mirrored, {stats['timeouts']} timed "
        f"out); R12: the caller never waits for the shadow, in real time either"
    )
