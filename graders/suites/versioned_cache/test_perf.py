"""Hidden performance gate of versioned_cache: invalidate() must not grow with the number of
cached keys.

graders.perf.Perf.scaling times a function many times on the same input, but an O(n)
invalidation that clears the cache is O(n) only once per filled cache. So this gate times ONE
invalidate() on a freshly filled cache at each size, small and large alternating, over 7
rounds, and bounds the median ratio (a same-process ratio, like every gate).
"""

import gc
import statistics
import time

import pytest

from graders.clocks import ManualClock

SMALL, LARGE = 1_000, 100_000
ROUNDS = 5
BOUND = 20.0


def _filled(sol, n, offset):
    cache = sol.PredictionCache(lambda k: k * 2 + 1, n, float("inf"), ManualClock())
    for k in range(offset, offset + n):
        cache.get(k)
    return cache


def _time_invalidate(cache) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        cache.invalidate()
        return time.perf_counter() - start
    finally:
        gc.enable()


@pytest.mark.perf
def test_invalidate_time_independent_of_key_count(sol, rng, record_property):
    """One invalidate() on a cache of 10^5 keys takes at most 20x one on 10^3 keys (median of
    5 alternating rounds, each on freshly filled caches)."""
    ratios, smalls, larges = [], [], []
    for r in range(ROUNDS):
        offset = int(rng.integers(0, 10**6))
        small, large = _filled(sol, SMALL, offset), _filled(sol, LARGE, offset)
        if r % 2:
            t_large, t_small = _time_invalidate(large), _time_invalidate(small)
        else:
            t_small, t_large = _time_invalidate(small), _time_invalidate(large)
        probe = offset + 3
        assert large.get(probe) == probe * 2 + 1 and small.generation == 1, (
            "after invalidate() the cache must still answer (generation 1)"
        )
        smalls.append(t_small)
        larges.append(t_large)
        ratios.append(t_large / max(t_small, 1e-7))
        del small, large
    ratio = statistics.median(ratios)
    record_property(
        "perf",
        {"ratio": round(ratio, 4), "bound": BOUND, "rounds": ROUNDS,
         "what": "time of invalidate() on 10^5 keys / on 10^3 keys"},
    )  # fmt: skip
    assert ratio <= BOUND, (
        f"invalidate() on 10^5 cached keys took {statistics.median(larges) * 1e6:.1f} us, on "
        f"10^3 keys {statistics.median(smalls) * 1e6:.1f} us: ratio {ratio:.1f}x, bound "
        f"{BOUND:.0f}x (median of {ROUNDS} rounds). Invalidation must not touch every key: "
        f"keep a generation counter, record each entry's generation, and treat entries of older "
        f"generations as misses when they are read"
    )
