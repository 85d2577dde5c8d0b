"""Sandbox-side drivers of the point_in_time_join hidden suite (they hold no solution).

They run next to the submitted module: what must be observed where the call runs (whether the
inputs were modified in place, the peak memory of the call) is observed here and reported as
plain data; the judge checks the returned frames against its own brute-force oracle.
"""

from __future__ import annotations

import tracemalloc


def _module():
    import offline_store  # the submitted module, next to this file in the sandbox

    return offline_store


def _views(specs: list[dict]) -> list:
    module = _module()
    return [module.FeatureView(**spec) for spec in specs]


def run_checked(entity_df, specs: list[dict]) -> dict:
    """Call ``get_historical_features`` on views built from ``specs`` (the keyword arguments
    of ``FeatureView``); report the result and which inputs it modified in place."""
    import pandas as pd

    views = _views(specs)
    before = [entity_df.copy(deep=True)] + [v["source"].copy(deep=True) for v in specs]
    result = _module().get_historical_features(entity_df, views)
    after = [entity_df] + [v["source"] for v in specs]
    names = ["entity_df"] + [f"the source of view {v['name']!r}" for v in specs]
    changed = []
    for name, b, a in zip(names, before, after, strict=True):
        try:
            pd.testing.assert_frame_equal(a, b)
        except AssertionError:
            changed.append(name)
    return {"result": result, "changed": changed}


def input_bytes(entity_df, specs: list[dict]) -> int:
    """``memory_usage(deep=True)`` of the entity DataFrame and every source, index included."""
    frames = [entity_df] + [v["source"] for v in specs]
    return int(sum(f.memory_usage(deep=True, index=True).sum() for f in frames))


def peak_memory(warm_entity_df, warm_specs: list[dict], entity_df, specs: list[dict]) -> dict:
    """One warm-up call (imports, caches), then the peak traced memory (``tracemalloc``:
    Python objects and numpy/pandas buffers) of one call on ``entity_df``; the size of that
    call's inputs; and its result."""
    module = _module()
    module.get_historical_features(warm_entity_df, _views(warm_specs))
    views = _views(specs)
    size = input_bytes(entity_df, specs)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = module.get_historical_features(entity_df, views)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"peak": int(peak), "size": size, "result": result}
