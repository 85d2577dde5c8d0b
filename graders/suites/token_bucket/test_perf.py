"""Hidden performance gates of token_bucket: in-memory acquire throughput as a ratio against
the suite's plain exact bucket (baseline.py), and the round trips of a Redis acquire (counted,
not timed)."""

from fractions import Fraction

import pytest

N_CALLS = 10_000
STEP = 3 / 1024  # s per clock reading: exact


def _workload(rng):
    """make_args: a fresh (capacity, rate, clock origin) per call."""

    def make():
        return (int(rng.integers(5, 50)), Fraction(int(rng.integers(1, 100)), 7),
                float(int(rng.integers(0, 2**20)) / 1024), N_CALLS, STEP)  # fmt: skip

    return make


@pytest.mark.perf
@pytest.mark.rules("R18")
def test_acquire_throughput_vs_plain_exact_bucket(sol, inside, baseline, perf, rng):
    """10^4 try_acquire calls on one bucket (its clock moves at every reading) take at most
    2.5x the time of a plain exact bucket on integer counters."""

    def check(got, want, args):
        assert got == want, (
            f"TokenBucket{args[:2]}: {N_CALLS} acquires on a stepping clock granted {got}, the "
            f"exact bucket grants {want} (R1, R2, R4)"
        )

    perf.compare(
        inside(sol).throughput,
        baseline.throughput,
        _workload(rng),
        bound=2.5,
        what="time of 10^4 in-memory acquires / a plain exact bucket's (R18)",
        check=check,
        hint="exact need not mean slow: general-purpose exact arithmetic on every call is slow",
    )


@pytest.mark.perf
@pytest.mark.rules("R14")
def test_redis_one_round_trip_per_acquire(sol, kata_redis, record_property):
    """Once its script is loaded, every Redis acquire is exactly one round trip (EVALSHA)."""
    tiers = {"free": sol.Tier(5, 1.0), "pro": sol.Tier(50, 10.0)}
    bucket = sol.RedisTokenBucket(kata_redis.client, kata_redis.prefix, tiers)
    bucket.acquire("warm", "free")  # loads the script
    kata_redis.trips.reset()
    calls = 0
    for i in range(60):
        bucket.acquire(f"user{i % 7}", "pro" if i % 3 else "free")
        calls += 1
    trips = kata_redis.trips.count
    record_property(
        "perf",
        {"ratio": round(trips / calls, 4), "bound": 1.0, "what": "round trips per acquire"},
    )
    assert trips == calls, (
        f"{calls} acquires made {trips} round trips to Redis; R14: exactly one each once the "
        f"script is loaded"
    )
