"""Hidden tests of embedding_cache: batches against an exact single-threaded oracle on a
ManualClock, and request coalescing / thread safety with real threads."""

import threading
import time

import pytest

from graders.clocks import ManualClock


def _texts(rng, n, prefix="t"):
    return [f"{prefix}{int(v)}" for v in rng.choice(10**6, size=n, replace=False)]


def _check_results(ek, got, texts, what):
    want = [ek.vector(t) for t in texts]
    assert list(got) == want, (
        f"{what}: get_many returned {list(got)[:4]}...; expected embed_fn's vector for each "
        f"text, in order: {want[:4]}..."
    )


def test_duplicates_embedded_once_per_call(sol, ek, rng):
    """A call with repeated texts sends each distinct missing text to embed_fn once, in
    first-occurrence order, and returns a vector for every position."""
    pool = _texts(rng, 12)
    texts = [pool[int(i)] for i in rng.integers(0, 12, size=60)]
    texts[1] = texts[0]  # at least one duplicate, always
    embed = ek.RecordingEmbed()
    cache = sol.EmbeddingCache(embed, 100, 60.0, 64, ManualClock())
    got = cache.get_many(texts)
    distinct = list(dict.fromkeys(texts))
    assert embed.calls == [distinct], (
        f"get_many of {len(texts)} texts ({len(distinct)} distinct) made embed_fn calls "
        f"{[len(c) for c in embed.calls]} texts long; expected one call with each distinct text "
        f"once, in first-occurrence order (a duplicate embedded twice wastes the model)"
    )
    _check_results(ek, got, texts, "get_many with duplicates")


def test_batches_bounded_and_in_order(sol, ek, rng):
    """Misses go to embed_fn in order, max_batch_size texts per call; hits are not sent."""
    max_batch = int(rng.integers(3, 17))
    texts = _texts(rng, int(rng.integers(5 * max_batch, 8 * max_batch)))
    embed = ek.RecordingEmbed()
    cache = sol.EmbeddingCache(embed, 10_000, 60.0, max_batch, ManualClock())
    head = texts[: 2 * max_batch]
    cache.get_many(head)
    embed.calls.clear()
    got = cache.get_many(texts)
    misses = texts[2 * max_batch :]
    want = [misses[i : i + max_batch] for i in range(0, len(misses), max_batch)]
    assert embed.calls == want, (
        f"EmbeddingCache(max_batch_size={max_batch}): {len(misses)} misses were sent in batches "
        f"of {[len(c) for c in embed.calls]}; expected {[len(c) for c in want]} (in order, at "
        f"most max_batch_size each, cached texts left out)"
    )
    _check_results(ek, got, texts, "get_many")


def _run_oracle(sol, ek, rng, capacity, ttl, ops, max_batch=8, hint=""):
    clock = ManualClock(1000.0)
    embed = ek.RecordingEmbed()
    cache = sol.EmbeddingCache(embed, capacity, ttl, max_batch, clock)
    oracle = ek.OracleCache(capacity, ttl, max_batch)
    for i, (dt, texts) in enumerate(ops):
        clock.advance(dt)
        embed.calls.clear()
        got = cache.get_many(texts)
        want = oracle.get_many(texts, clock())
        if embed.calls != want:
            raise AssertionError(
                f"EmbeddingCache(capacity={capacity}, ttl_s={ttl}): call #{i} get_many({texts}) "
                f"at t={clock() - 1000:.4f} sent {embed.calls} to embed_fn; the LRU/TTL rules "
                f"give {want}. {hint}"
            )
        _check_results(ek, got, texts, f"call #{i}")


LRU_HINT = (
    "Eviction is least-recently-USED: a hit makes the entry the most recent, so an entry read "
    "often survives newer entries that were never read again (insertion order is FIFO, not LRU)."
)


def test_lru_eviction_order(sol, ek, rng):
    """Random traffic over a small capacity: every embed_fn call matches an exact LRU (hits
    refresh recency, the least recently used entry is evicted first)."""
    capacity = int(rng.integers(3, 9))
    pool = _texts(rng, capacity + 8)
    ops = [(0.0, pool[:capacity]), (0.001, [pool[0]]), (0.001, [pool[capacity]]),
           (0.001, [pool[0]])]  # fmt: skip
    for _ in range(150):
        k = int(rng.integers(1, 5))
        ops.append((0.001, [pool[int(i)] for i in rng.integers(0, len(pool), size=k)]))
    _run_oracle(sol, ek, rng, capacity, float("inf"), ops, hint=LRU_HINT)


TTL_HINT = (
    "An entry stored at time t is served while clock() < t + ttl_s and is a miss from "
    "t + ttl_s on; the TTL counts from when the vector was stored and hits do not extend it "
    "(a refreshed TTL serves a stale embedding forever to a text read often enough)."
)


def test_ttl_expiry_boundary_and_no_refresh(sol, ek, rng):
    """An entry is a hit until exactly ttl_s after it was stored, then a miss; hits in
    between do not extend its life."""
    ttl = int(rng.integers(64, 4096)) / 1024
    tick = 1 / 1024
    text = _texts(rng, 1)[0]
    ops = [(0.0, [text]), (ttl / 2, [text]), (ttl / 2 - tick, [text]), (tick, [text]),
           (ttl - tick, [text]), (tick, [text])]  # fmt: skip
    _run_oracle(sol, ek, rng, 10, ttl, ops, hint=TTL_HINT)


def test_lru_and_ttl_random_traffic(sol, ek, rng):
    """Random traffic with expiries and evictions: every embed_fn call matches the oracle
    (expired entries are misses and are replaced)."""
    capacity = int(rng.integers(4, 12))
    ttl = int(rng.integers(8, 64)) / 1024
    pool = _texts(rng, 3 * capacity)
    ops = []
    for _ in range(200):
        k = int(rng.integers(1, 7))
        dt = int(rng.integers(0, 8)) / 1024
        ops.append((dt, [pool[int(i)] for i in rng.integers(0, len(pool), size=k)]))
    _run_oracle(sol, ek, rng, capacity, ttl, ops, max_batch=3, hint=LRU_HINT + " " + TTL_HINT)


def _in_threads(fns, timeout=20.0):
    """Run callables in threads; return (results, errors, hung)."""
    results, errors = [None] * len(fns), [None] * len(fns)

    def wrap(i):
        try:
            results[i] = fns[i]()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors[i] = exc

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(len(fns))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    hung = [i for i, t in enumerate(threads) if t.is_alive()]
    return results, errors, hung


def test_concurrent_same_text_computed_once(sol, ek):
    """8 threads ask for the same uncached text while the model is slow: embed_fn is called
    once, and all 8 get its vector."""
    gate = threading.Event()
    embed = ek.RecordingEmbed(gate=gate)
    cache = sol.EmbeddingCache(embed, 100, 60.0, 16, ManualClock())
    started = []

    def ask():
        started.append(1)
        return cache.get("hello")

    def release():
        embed.entered.wait(10)
        deadline = time.monotonic() + 10
        while len(started) < 8 and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.1)  # let the late threads reach the cache
        gate.set()

    releaser = threading.Thread(target=release, daemon=True)
    releaser.start()
    results, errors, hung = _in_threads([ask] * 8)
    gate.set()
    assert not hung, f"{len(hung)} of 8 concurrent get('hello') calls never returned"
    assert not any(errors), f"a concurrent get raised {next(e for e in errors if e)!r}"
    assert embed.calls == [["hello"]], (
        f"8 concurrent get('hello') calls made embed_fn calls {embed.calls}; the model must see "
        f"'hello' once: while one call computes a text, the others wait for that result "
        f"(request coalescing) instead of calling the model again"
    )
    assert all(r == ek.vector("hello") for r in results)


def test_overlapping_calls_share_in_flight_texts(sol, ek, rng):
    """While call A computes [a, b], call B for [b, c] sends only [c] to the model and waits
    for A's b; both get every vector."""
    a, b, c = _texts(rng, 3)
    gate = threading.Event()
    embed = ek.RecordingEmbed(gate=gate)
    cache = sol.EmbeddingCache(embed, 100, 60.0, 16, ManualClock())
    out = {}
    errors = []

    def call(name, texts):
        try:
            out[name] = cache.get_many(texts)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    ta = threading.Thread(target=call, args=("A", [a, b]), daemon=True)
    ta.start()
    assert embed.entered.wait(10), "call A never reached embed_fn"
    tb = threading.Thread(target=call, args=("B", [b, c]), daemon=True)
    tb.start()
    deadline = time.monotonic() + 10
    while len(embed.calls) < 2 and tb.is_alive() and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(0.05)
    calls_while_a_blocked = [list(x) for x in embed.calls]
    gate.set()
    ta.join(10)
    tb.join(10)
    assert not ta.is_alive() and not tb.is_alive(), "a call never returned"
    assert not errors, f"a call raised {errors[0]!r}"
    assert calls_while_a_blocked == [[a, b], [c]], (
        f"A = get_many([a, b]) was computing when B = get_many([b, c]) started; embed_fn saw "
        f"{calls_while_a_blocked}, expected [[a, b], [c]]: B must wait for the b that A is "
        f"computing and send only c"
    )
    assert out["A"] == [ek.vector(a), ek.vector(b)] and out["B"] == [ek.vector(b), ek.vector(c)]


def test_threads_each_text_embedded_once(sol, ek, rng):
    """8 threads with random overlapping requests over 300 texts (no eviction, no expiry):
    every text reaches embed_fn exactly once overall, and every result is right."""
    pool = _texts(rng, 300)
    requests = [
        [[pool[int(i)] for i in rng.integers(0, 300, size=int(rng.integers(1, 20)))]
         for _ in range(30)]
        for _ in range(8)
    ]  # fmt: skip
    embed = ek.RecordingEmbed(delay_s=0.001)
    cache = sol.EmbeddingCache(embed, 10_000, float("inf"), 8, ManualClock())

    def worker(reqs):
        def run():
            return [cache.get_many(r) for r in reqs]

        return run

    results, errors, hung = _in_threads([worker(r) for r in requests], timeout=60)
    assert not hung and not any(errors), f"threads hung {hung} or raised {errors}"
    seen = [t for call in embed.calls for t in call]
    twice = sorted({t for t in seen if seen.count(t) > 1})
    assert not twice, (
        f"8 threads: {len(twice)} texts reached embed_fn more than once (e.g. {twice[:3]}); "
        f"a text being computed by one call must not be computed again by another"
    )
    for reqs, res in zip(requests, results, strict=True):
        for r, got in zip(reqs, res, strict=True):
            _check_results(ek, got, r, "a threaded get_many")


def test_error_reaches_all_waiters_and_is_not_cached(sol, ek, rng):
    """When embed_fn raises, the calling get_many and every call waiting on those texts
    raise that exception; nothing is cached, so the next call tries again."""
    good, bad = _texts(rng, 2)
    gate = threading.Event()
    embed = ek.RecordingEmbed(poison={bad}, gate=gate)
    cache = sol.EmbeddingCache(embed, 100, 60.0, 16, ManualClock())
    errs = {}

    def call(name, texts):
        try:
            cache.get_many(texts)
            errs[name] = None
        except BaseException as exc:  # noqa: BLE001
            errs[name] = exc

    ta = threading.Thread(target=call, args=("A", [good, bad]), daemon=True)
    ta.start()
    assert embed.entered.wait(10)
    tb = threading.Thread(target=call, args=("B", [bad]), daemon=True)
    tb.start()
    time.sleep(0.1)
    gate.set()
    ta.join(10)
    tb.join(10)
    assert not ta.is_alive() and not tb.is_alive(), (
        "after embed_fn raised, a call waiting for the failed text never returned: every "
        "waiter must be woken with the error"
    )
    for name in ("A", "B"):
        assert isinstance(errs.get(name), ek.EmbedError), (
            f"call {name} ended with {errs.get(name)!r}; it must raise the EmbedError that "
            f"embed_fn raised"
        )
    embed.poison.clear()
    embed.calls.clear()
    assert cache.get_many([good, bad]) == [ek.vector(good), ek.vector(bad)]
    assert embed.calls == [[good, bad]], (
        f"after a failed batch, get_many([good, bad]) sent {embed.calls}; nothing of the failed "
        f"batch may have been cached, so both are computed again"
    )


def test_wrong_vector_count_raises(sol, ek, rng):
    """embed_fn returning fewer vectors than texts makes get_many raise ValueError."""
    texts = _texts(rng, 5)
    embed = ek.RecordingEmbed(short={texts[2]})
    cache = sol.EmbeddingCache(embed, 100, 60.0, 16, ManualClock())
    with pytest.raises(ValueError):
        cache.get_many(texts)
        pytest.fail("get_many returned although embed_fn gave 4 vectors for 5 texts")


@pytest.mark.parametrize(
    ("capacity", "ttl", "batch"),
    [(0, 1.0, 4), (2.0, 1.0, 4), (True, 1.0, 4), (4, 0.0, 4), (4, -1.0, 4),
     (4, float("nan"), 4), (4, 1.0, 0)],
    ids=["cap0", "capfloat", "capbool", "ttl0", "ttlneg", "ttlnan", "batch0"],
)  # fmt: skip
def test_bad_arguments(sol, ek, capacity, ttl, batch):
    """capacity and max_batch_size must be ints >= 1, ttl_s > 0 (ValueError)."""
    with pytest.raises(ValueError):
        sol.EmbeddingCache(ek.RecordingEmbed(), capacity, ttl, batch, ManualClock())
        pytest.fail(f"EmbeddingCache(embed, {capacity!r}, {ttl!r}, {batch!r}) did not raise")
