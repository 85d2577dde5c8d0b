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
    if list(got) != want:
        raise AssertionError(
            f"{what}: get_many of {len(texts)} texts returned {len(list(got))} vectors, "
            f"{sum(g != w for g, w in zip(got, want, strict=False))} of them not embed_fn's "
            f"vector of the text at that position (R1)"
        )


@pytest.mark.rules("R1", "R2")
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
        f"{[len(c) for c in embed.calls]} texts long; R2: one call with each distinct text "
        f"once, in first-occurrence order"
    )
    _check_results(ek, got, texts, "get_many with duplicates")


@pytest.mark.rules("R3")
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
        f"of {[len(c) for c in embed.calls]}; R3: in order, at most max_batch_size each, "
        f"cached texts left out"
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
                f"at t={clock() - 1000:.4f} sent {embed.calls} to embed_fn; the rules send "
                f"{sum(len(b) for b in want)} text(s). {hint}"
            )
        _check_results(ek, got, texts, f"call #{i}")


LRU_HINT = "R6: eviction is least recently used; a hit makes the entry the most recent."


@pytest.mark.rules("R6")
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
    "R4: an entry stored at time t is served while the call's clock reading is < t + ttl_s and "
    "is a miss from t + ttl_s on; hits do not extend it."
)


@pytest.mark.rules("R4")
def test_ttl_expiry_boundary_and_no_refresh(sol, ek, rng):
    """An entry is a hit until exactly ttl_s after it was stored, then a miss; hits in
    between do not extend its life."""
    ttl = int(rng.integers(64, 4096)) / 1024
    tick = 1 / 1024
    text = _texts(rng, 1)[0]
    ops = [(0.0, [text]), (ttl / 2, [text]), (ttl / 2 - tick, [text]), (tick, [text]),
           (ttl - tick, [text]), (tick, [text])]  # fmt: skip
    _run_oracle(sol, ek, rng, 10, ttl, ops, hint=TTL_HINT)


@pytest.mark.rules("R4", "R6")
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


@pytest.mark.rules("R7")
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
    assert not hung, f"{len(hung)} of 8 concurrent get('hello') calls never returned (R7)"
    assert not any(errors), f"a concurrent get raised {next(e for e in errors if e)!r}"
    assert embed.calls == [["hello"]], (
        f"8 concurrent get('hello') calls made {len(embed.calls)} embed_fn calls; R7: while "
        f"one call computes a text, the others wait for its result"
    )
    assert all(r == ek.vector("hello") for r in results)


@pytest.mark.rules("R7")
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
        f"{calls_while_a_blocked}, expected [[a, b], [c]]: R7, B waits for the b that A is "
        f"computing and sends only c"
    )
    assert out["A"] == [ek.vector(a), ek.vector(b)] and out["B"] == [ek.vector(b), ek.vector(c)]


@pytest.mark.rules("R7")
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
        f"R7: a text being computed by one call is not computed again by another"
    )
    for reqs, res in zip(requests, results, strict=True):
        for r, got in zip(reqs, res, strict=True):
            _check_results(ek, got, r, "a threaded get_many")


@pytest.mark.rules("R8")
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
        "after embed_fn raised, a call waiting for the failed text never returned (R8: every "
        "waiter raises the error)"
    )
    for name in ("A", "B"):
        assert isinstance(errs.get(name), ek.EmbedError), (
            f"call {name} ended with {errs.get(name)!r}; R8: it raises the EmbedError that "
            f"embed_fn raised"
        )
    embed.poison.clear()
    embed.calls.clear()
    assert cache.get_many([good, bad]) == [ek.vector(good), ek.vector(bad)]
    assert embed.calls == [[good, bad]], (
        f"after a failed batch, get_many([good, bad]) sent {embed.calls}; R8: nothing of the "
        f"failed batch is cached, so both are computed again"
    )


@pytest.mark.rules("R9")
def test_wrong_vector_count_raises(sol, ek, rng):
    """embed_fn returning fewer vectors than texts makes get_many raise ValueError."""
    texts = _texts(rng, 5)
    embed = ek.RecordingEmbed(short={texts[2]})
    cache = sol.EmbeddingCache(embed, 100, 60.0, 16, ManualClock())
    with pytest.raises(ValueError):
        cache.get_many(texts)
        pytest.fail("get_many returned although embed_fn gave 4 vectors for 5 texts (R9)")


@pytest.mark.rules("R11")
@pytest.mark.parametrize(
    ("capacity", "ttl", "batch"),
    [(0, 1.0, 4), (2.0, 1.0, 4), (True, 1.0, 4), (4, 0.0, 4), (4, -1.0, 4),
     (4, float("nan"), 4), (4, 1.0, 0), (4, True, 4), (4, 1.0, True), (4, 1.0, 2.0)],
    ids=["cap0", "capfloat", "capbool", "ttl0", "ttlneg", "ttlnan", "batch0", "ttlbool",
         "batchbool", "batchfloat"],
)  # fmt: skip
def test_bad_arguments(sol, ek, capacity, ttl, batch):
    """capacity and max_batch_size must be ints >= 1, ttl_s > 0 (ValueError)."""
    with pytest.raises(ValueError):
        sol.EmbeddingCache(ek.RecordingEmbed(), capacity, ttl, batch, ManualClock())
        pytest.fail(f"EmbeddingCache(embed, {capacity!r}, {ttl!r}, {batch!r}) did not raise (R11)")


@pytest.mark.rules("R8")
def test_the_same_exception_object_for_every_caller(sol, inside, rng):
    """A call whose second batch fails raises the very exception object embed_fn raised, and
    so does a call waiting for that text; the first batch stays cached, the failed text does
    not."""
    good, bad = _texts(rng, 2)
    got = inside(sol).shared_error(good, bad)
    assert not got["hung"], f"calls {got['hung']} never returned after embed_fn raised (R8)"
    for name in ("A", "B"):
        res = got[name]
        assert res is not None and res[0] == "err" and res[1] == "EmbedError", (
            f"call {name} ({'get_many([good, bad]), max_batch_size=1' if name == 'A' else 'waiting for bad'}) "
            f"ended with {res[:3] if res else None}; R8: it raises the exception embed_fn raised"
        )
        assert res[3], (
            f"call {name} raised an EmbedError, but not the very object embed_fn raised (a copy "
            f"or a new exception); R8: every caller gets that same exception object"
        )
    assert got["calls_again"] == [[bad]] and got["again"]["good_again"][0] == "ok", (
        f"after the failure, get_many([good]) and get_many([bad]) sent {got['calls_again']} to "
        f"embed_fn; R8: the batch before the failing one stays cached, the failed text is "
        f"computed again"
    )


@pytest.mark.rules("R5")
def test_entries_are_stored_when_their_batch_returns(sol, ek, rng):
    """embed_fn takes time on the cache's clock: each batch's entries count their TTL from the
    clock reading after that batch returned, not from the start of the call."""
    ttl = int(rng.integers(64, 1024)) / 64
    step = ttl / 4  # each embed_fn call takes a quarter of the TTL
    tick = 1 / 1024
    texts = _texts(rng, 4)
    sent = []
    probes = (step + ttl - tick, step + ttl, 2 * step + ttl - tick, 2 * step + ttl)
    for at in probes:  # a fresh cache per probe: the reloads take time too
        clock = ManualClock(2000.0)
        base = ek.RecordingEmbed()

        def slow_embed(batch, clock=clock, base=base):
            clock.advance(step)
            return base(batch)

        cache = sol.EmbeddingCache(slow_embed, 100, ttl, 2, clock)
        cache.get_many(texts)  # batch 1 stored at 2000 + step, batch 2 at 2000 + 2 step
        clock.advance(2000.0 + at - clock())
        base.calls.clear()
        cache.get_many(texts)
        sent.append(sorted(t for c in base.calls for t in c))
    want = [[], sorted(texts[:2]), sorted(texts[:2]), sorted(texts)]
    if sent != want:
        raise AssertionError(
            f"EmbeddingCache(ttl_s={ttl}, max_batch_size=2) whose embed_fn takes {step} s of "
            f"its clock: get_many of 4 texts at time 0 (two batches), then again at "
            f"{list(probes)}: those calls sent {[len(x) for x in sent]} texts to embed_fn. R5: "
            f"an entry's stored time is the clock reading after its batch returned"
        )


@pytest.mark.rules("R10")
def test_no_lock_held_while_the_model_runs(sol, ek, rng):
    """While one call's batch is in embed_fn (blocked), a call for other texts (a hit and a
    miss) completes."""
    slow, cached, other = _texts(rng, 3)
    gate = threading.Event()
    embed = ek.RecordingEmbed()
    cache = sol.EmbeddingCache(embed, 100, 60.0, 16, ManualClock())
    cache.get(cached)
    embed.gate = gate
    embed.calls.clear()
    blocked = threading.Thread(target=cache.get, args=(slow,), daemon=True)
    blocked.start()
    assert embed.entered.wait(10), "get of a missing text never called embed_fn"
    done: dict = {}

    def meanwhile():
        done["out"] = cache.get_many([cached, other])

    side = threading.Thread(target=meanwhile, daemon=True)
    side.start()
    side.join(3.0)
    finished = dict(done)
    gate.set()
    blocked.join(10)
    side.join(10)
    assert finished.get("out") == [ek.vector(cached), ek.vector(other)], (
        f"while embed_fn was running (blocked) for one text, get_many of a cached text and "
        f"another missing text did not return within 3 s "
        f"({'it returned later' if 'out' in done else 'it never returned'}); R10: hold no "
        f"lock while embed_fn runs"
    )
