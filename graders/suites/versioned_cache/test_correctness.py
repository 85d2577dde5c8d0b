"""Hidden correctness tests of versioned_cache: generations, loads across invalidation,
single flight, TTL and LRU on a ManualClock, and threads."""

import threading
import time

import pytest

from graders.clocks import ManualClock


def _keys(rng, n):
    return [f"k{int(v)}" for v in rng.choice(10**6, size=n, replace=False)]


@pytest.mark.rules("R1", "R2")
def test_invalidate_makes_every_entry_stale(sol, vk, rng):
    """After invalidate(), every key is loaded again from the new model, once, then hit."""
    model = vk.VersionedModel()
    cache = sol.PredictionCache(model.predict, 10_000, 3600.0, ManualClock())
    keys = _keys(rng, 200)
    for k in keys:
        assert cache.get(k) == (k, 0)
    for round_ in range(1, 4):
        model.version = round_
        got_gen = (cache.invalidate(), cache.generation)
        assert got_gen == (round_, round_), (
            f"invalidate() #{round_} returned {got_gen[0]!r} and generation is then "
            f"{got_gen[1]!r}; R1: both are {round_}"
        )
        model.calls.clear()
        for k in keys:
            got = cache.get(k)
            assert got == (k, round_), (
                f"after invalidate() #{round_}, get({k!r}) returned {got!r}, a prediction of "
                f"model version {got[1] if isinstance(got, tuple) else '?'}; R2: every entry "
                f"from before the invalidation is stale"
            )
        for k in keys:
            cache.get(k)
        assert sorted(model.calls) == sorted(keys), (
            f"after invalidate() #{round_}, 2 gets of each of 200 keys made {len(model.calls)} "
            f"loader calls; expected exactly one per key (R2: stale entries reloaded once, then "
            f"hit)"
        )


@pytest.mark.rules("R3")
def test_load_in_progress_across_invalidation(sol, vk, rng):
    """A load that started before invalidate() is not stored, and a get after the
    invalidation does not wait for it: it loads again from the new model."""
    key = _keys(rng, 1)[0]
    model = vk.VersionedModel()
    cache = sol.PredictionCache(model.predict, 100, 3600.0, ManualClock())
    gate, entered = threading.Event(), threading.Event()
    model.gates[key] = gate
    model.entered[key] = entered
    out = {}

    def old_reader():
        out["old"] = cache.get(key)

    t_old = threading.Thread(target=old_reader, daemon=True)
    t_old.start()
    assert entered.wait(10), "the first get never called the loader"
    model.version = 1
    cache.invalidate()  # deploy while the old model's load is in progress
    t_new = threading.Thread(target=lambda: out.__setitem__("new", cache.get(key)), daemon=True)
    t_new.start()
    t_new.join(5.0)
    new_done = not t_new.is_alive()
    gate.set()
    t_old.join(10)
    t_new.join(10)
    assert out.get("new") == (key, 1) and new_done, (
        f"get({key!r}) right after invalidate(), while a load started before it was still "
        f"running, returned {out.get('new')!r}"
        + ("" if new_done else " only after that old load finished")
        + f"; expected {(key, 1)!r} from a fresh load: R3, a load started before the "
        f"invalidation belongs to the old model and is not shared with later callers"
    )
    assert out.get("old") == (key, 0), (
        f"the caller of the old load got {out.get('old')!r}; R3: the callers of a load get its "
        f"result"
    )
    model.calls.clear()
    got = cache.get(key)
    assert got == (key, 1), (
        f"after the old load finished, get({key!r}) returned {got!r}; the old model's result "
        f"was written back over the new one (R3: a load started before invalidate() is not "
        f"stored)"
    )
    assert model.calls == [], (
        f"the new prediction was not cached ({len(model.calls)} loader call(s) on the next get)"
    )


@pytest.mark.rules("R7")
def test_concurrent_misses_share_one_load(sol, vk, rng):
    """8 threads miss the same key while its load is slow: the loader runs once and all get
    its result."""
    key = _keys(rng, 1)[0]
    model = vk.VersionedModel()
    gate, entered = threading.Event(), threading.Event()
    model.gates[key] = gate
    model.entered[key] = entered
    cache = sol.PredictionCache(model.predict, 100, 3600.0, ManualClock())
    results, started = [], []

    def reader():
        started.append(1)
        results.append(cache.get(key))

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    entered.wait(10)
    deadline = time.monotonic() + 10
    while len(started) < 8 and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.1)
    gate.set()
    for t in threads:
        t.join(10)
    assert len(results) == 8, f"only {len(results)} of 8 concurrent gets returned"
    assert model.calls == [key], (
        f"8 concurrent gets of one missing key made {len(model.calls)} loader calls; R7: "
        f"concurrent misses of one key share one load"
    )
    assert all(r == (key, 0) for r in results)


@pytest.mark.rules("R8")
def test_loader_error_reaches_waiters_and_is_not_cached(sol, vk, rng):
    """A loader exception is raised by the loading get and by every get waiting for it;
    nothing is stored, so the next get loads again."""
    key = _keys(rng, 1)[0]
    model = vk.VersionedModel()
    model.poison.add(key)
    gate, entered = threading.Event(), threading.Event()
    model.gates[key] = gate
    model.entered[key] = entered
    cache = sol.PredictionCache(model.predict, 100, 3600.0, ManualClock())
    errors = {}

    def reader(name):
        try:
            cache.get(key)
            errors[name] = None
        except BaseException as exc:  # noqa: BLE001
            errors[name] = exc

    ta = threading.Thread(target=reader, args=("A",), daemon=True)
    ta.start()
    entered.wait(10)
    tb = threading.Thread(target=reader, args=("B",), daemon=True)
    tb.start()
    time.sleep(0.1)
    gate.set()
    ta.join(10)
    tb.join(10)
    assert not ta.is_alive() and not tb.is_alive(), (
        "a get waiting for a load that raised never returned (R8: every waiter raises the "
        "loader's exception)"
    )
    for name in "AB":
        assert isinstance(errors.get(name), vk.LoadError), (
            f"caller {name} ended with {errors.get(name)!r}; R8: the loader's LoadError expected"
        )
    model.poison.clear()
    got = cache.get(key)
    assert got == (key, 0) and model.calls.count(key) >= 2, (
        f"the get after a failed load returned {got!r}; R8: nothing is stored, the next get "
        f"loads again"
    )


@pytest.mark.rules("R4")
def test_ttl_boundary_and_no_refresh(sol, vk, rng):
    """An entry is a hit until exactly ttl_s after it was stored, then reloaded; hits do not
    extend its life."""
    ttl = int(rng.integers(64, 4096)) / 1024
    tick = 1 / 1024
    key = _keys(rng, 1)[0]
    clock = ManualClock(500.0)
    model = vk.VersionedModel()
    cache = sol.PredictionCache(model.predict, 100, ttl, clock)
    expect = []
    for dt, loads in ((0.0, 1), (ttl / 2, 0), (ttl / 2 - tick, 0), (tick, 1), (ttl - tick, 0),
                      (tick, 1)):  # fmt: skip
        clock.advance(dt)
        before = len(model.calls)
        cache.get(key)
        expect.append((clock() - 500.0, len(model.calls) - before, loads))
    bad = [(t, got, want) for t, got, want in expect if got != want]
    assert not bad, (
        f"PredictionCache(ttl_s={ttl}): (time since first get, loads, expected loads) = {bad}. "
        f"R4: an entry stored at t is served while clock() < t + ttl_s and reloaded from "
        f"t + ttl_s on; hits do not extend it"
    )


@pytest.mark.rules("R6")
def test_lru_eviction_matches_oracle(sol, vk, rng):
    """Random reads over more keys than the capacity, with expiries and invalidations: every
    loader call matches the LRU/TTL/generation rules."""
    capacity = int(rng.integers(3, 10))
    ttl = int(rng.integers(16, 64)) / 1024
    keys = _keys(rng, capacity + 6)
    clock = ManualClock(100.0)
    model = vk.VersionedModel()
    cache = sol.PredictionCache(model.predict, capacity, ttl, clock)
    oracle = vk.Oracle(capacity, ttl)
    script = [(0.0, k) for k in keys[:capacity]] + [(0.0, keys[0]), (0.0, keys[capacity]),
                                                    (0.0, keys[0])]  # fmt: skip
    for _ in range(300):
        script.append((int(rng.integers(0, 4)) / 1024, keys[int(rng.integers(len(keys)))]))
    for i, (dt, key) in enumerate(script):
        clock.advance(dt)
        if i > 20 and i % 97 == 0:
            model.version += 1
            cache.invalidate()
            oracle.gen += 1
        before = len(model.calls)
        got = cache.get(key)
        loaded = len(model.calls) > before
        want = oracle.get(key, clock())
        assert loaded == want, (
            f"PredictionCache(capacity={capacity}, ttl_s={ttl}): read #{i} of {key!r} "
            f"{'called' if loaded else 'did not call'} the loader; the rules say it "
            f"{'must' if want else 'must not'} (R6: least recently used eviction; R4, R2)"
        )
        assert got == (key, model.version), f"read #{i} of {key!r} returned {got!r}"


@pytest.mark.rules("R2")
def test_threads_never_serve_stale_predictions(sol, vk, rng):
    """8 threads read random keys while deployments happen: no get that started after an
    invalidate() returns an older model's prediction, and every result is for its key."""
    keys = _keys(rng, 50)
    model = vk.VersionedModel()
    cache = sol.PredictionCache(model.predict, 30, 3600.0, ManualClock())
    problems = []
    stop = threading.Event()
    deploy_lock = threading.Lock()

    def reader(seed):
        local = list(keys)
        i = seed
        while not stop.is_set():
            key = local[i % len(local)]
            i += 7
            with deploy_lock:
                live = model.version
            try:
                got = cache.get(key)
            except Exception as exc:  # noqa: BLE001 - reported below
                problems.append((key, f"{type(exc).__name__}: {exc}", live))
                continue
            if got[0] != key or got[1] < live:
                problems.append((key, got, live))

    threads = [threading.Thread(target=reader, args=(s,), daemon=True) for s in range(8)]
    for t in threads:
        t.start()
    for _ in range(30):
        time.sleep(0.005)
        with deploy_lock:
            model.version += 1
            cache.invalidate()
    stop.set()
    for t in threads:
        t.join(10)
    assert not problems, (
        f"{len(problems)} gets returned a prediction older than the model live when they "
        f"started, or for another key, or raised, e.g. (key, result, live version) = "
        f"{problems[:3]} (R2, with 8 threads reading while deployments happen)"
    )


@pytest.mark.rules("R10")
@pytest.mark.parametrize(
    ("capacity", "ttl"),
    [(0, 1.0), (2.0, 1.0), (True, 1.0), (4, 0.0), (4, -1.0), (4, float("nan")), (4, True)],
    ids=["cap0", "capfloat", "capbool", "ttl0", "ttlneg", "ttlnan", "ttlbool"],
)
def test_bad_arguments(sol, vk, capacity, ttl):
    """capacity must be an int >= 1 and ttl_s > 0 (ValueError)."""
    with pytest.raises(ValueError):
        sol.PredictionCache(vk.VersionedModel().predict, capacity, ttl, ManualClock())
        pytest.fail(
            f"PredictionCache(loader, {capacity!r}, {ttl!r}) did not raise ValueError (R10)"
        )


@pytest.mark.rules("R5")
def test_stored_time_is_when_the_loader_returns(sol, vk, rng):
    """A load that takes time (the clock moves while the loader runs): the entry's TTL counts
    from the moment the loader returned, not from the get that started the load."""
    ttl = int(rng.integers(64, 1024)) / 64  # s, exact
    load_time = ttl * 3 / 4
    tick = 1 / 1024
    key = _keys(rng, 1)[0]
    clock = ManualClock(1000.0)
    model = vk.VersionedModel()

    def slow_loader(k):
        clock.advance(load_time)  # the load takes load_time on the cache's clock
        return model.predict(k)

    cache = sol.PredictionCache(slow_loader, 100, ttl, clock)
    cache.get(key)  # starts at 1000, returns (and stores) at 1000 + load_time
    seen = []
    for at in (ttl - tick, ttl + load_time / 2, ttl + load_time - tick, ttl + load_time):
        clock.advance(1000.0 + at - clock())
        before = len(model.calls)
        cache.get(key)
        seen.append((at, len(model.calls) - before))
        if seen[-1][1]:
            break
    want = [(ttl - tick, 0), (ttl + load_time / 2, 0), (ttl + load_time - tick, 0),
            (ttl + load_time, 1)]  # fmt: skip
    if seen != want:
        raise AssertionError(
            f"PredictionCache(ttl_s={ttl}) whose loader took {load_time} s of the cache's clock "
            f"(first get at time 0): (time of a later get, loader calls) = {seen}. R5: the "
            f"entry's stored time is the clock's reading when the loader returns"
        )


@pytest.mark.rules("R9")
def test_no_lock_held_while_loading(sol, vk, rng):
    """While one key's load is in progress (the loader blocked), a hit on a second key, a
    miss (and load) of a third key, and invalidate() all return at once."""
    slow, cached, other = _keys(rng, 3)
    model = vk.VersionedModel()
    cache = sol.PredictionCache(model.predict, 100, 3600.0, ManualClock())
    cache.get(cached)
    gate, entered = threading.Event(), threading.Event()
    model.gates[slow] = gate
    model.entered[slow] = entered
    loader = threading.Thread(target=cache.get, args=(slow,), daemon=True)
    loader.start()
    assert entered.wait(10), "the get of a missing key never called the loader"
    done: dict = {}

    def meanwhile():
        done["hit"] = cache.get(cached)
        done["miss"] = cache.get(other)
        done["invalidate"] = cache.invalidate()

    side = threading.Thread(target=meanwhile, daemon=True)
    side.start()
    side.join(3.0)
    finished = dict(done)
    gate.set()
    loader.join(10)
    side.join(10)
    assert len(finished) == 3, (
        f"while the loader of {slow!r} was running (blocked), a hit on another key, a miss of "
        f"a third key and invalidate() did not all return within 3 s (only "
        f"{sorted(finished) or 'none'} did); R9: hold no lock while the loader runs"
    )
    assert finished["hit"] == (cached, 0) and finished["miss"] == (other, 0), (
        f"during another key's load, get({cached!r}) returned {finished['hit']!r} and "
        f"get({other!r}) returned {finished['miss']!r}"
    )
