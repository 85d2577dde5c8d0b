"""Drivers of the versioned_cache hidden suite, run in the sandbox next to the cache.

The performance gate needs caches of 10^5 keys: filling one through the sandbox's channel
would take a round trip per key, so :func:`fill` fills it here and keeps it; the judge then
times :func:`invalidate` (one ``invalidate()`` of that cache) with its own clock, probes the
cache, and :func:`drop` frees it before the next one is filled (so that freeing a large cache
never overlaps a timed call).
"""

from __future__ import annotations

import gc

from graders.clocks import ManualClock

_CACHE: list = []


def _module():
    import predcache  # the submitted module, next to this file in the sandbox

    return predcache


def _loader(key):
    return key * 2 + 1


def fill(n: int, offset: int) -> None:
    """Keep a PredictionCache of capacity n (infinite TTL) holding the n keys
    offset..offset+n-1, with the garbage collector collected and paused, so the timed call
    that follows measures invalidate() alone."""
    drop()
    cache = _module().PredictionCache(_loader, n, float("inf"), ManualClock())
    get = cache.get
    for k in range(offset, offset + n):
        get(k)
    _CACHE.append(cache)
    gc.collect()
    gc.disable()


def invalidate():
    """One invalidate() of the kept cache (the timed call); what it returned."""
    return _CACHE[0].invalidate()


def probe(key) -> tuple:
    """Restart the garbage collector; the kept cache's get(key) and generation."""
    gc.enable()
    cache = _CACHE[0]
    return cache.get(key), cache.generation


def drop() -> None:
    """Free the kept cache, now."""
    gc.enable()
    _CACHE.clear()
    gc.collect()
