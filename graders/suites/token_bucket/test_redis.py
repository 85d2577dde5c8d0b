"""Hidden tests of RedisTokenBucket, on fakeredis or a real server (kata_redis fixture).

The server's clock is real time here, so the tests use rates where real elapsed time can only
help a correct bucket (tiny rates for exact burst counts, upper bounds capacity + rate *
elapsed + 1 for concurrency) and never depend on how fast the machine is.
"""

import multiprocessing
import sys
import threading
import time

import pytest

OVER_HINT = (
    "Reading the bucket, deciding in Python and writing it back are separate round trips: "
    "other clients act in between and the same tokens are spent twice. Do the whole refill-"
    "check-take in ONE Lua script (EVALSHA), which Redis runs atomically."
)


def _tiers(sol, **kw):
    return {name: sol.Tier(cap, rate) for name, (cap, rate) in kw.items()}


def test_redis_burst_then_reject_per_user_and_tier(sol, kata_redis, rng):
    """Each user's bucket starts full: exactly its tier's capacity is granted in a burst, and
    users and tiers do not share tokens."""
    pro = int(rng.integers(10, 60))
    tiers = _tiers(sol, free=(5, 0.01), pro=(pro, 0.01))  # one token per 100 s: none refills
    bucket = sol.RedisTokenBucket(kata_redis.client, kata_redis.prefix, tiers)
    for user, tier, cap in (("alice", "pro", pro), ("bob", "free", 5), ("carol", "pro", pro)):
        got = [bucket.acquire(user, tier) for _ in range(cap + 5)]
        assert got == [True] * cap + [False] * 5, (
            f"RedisTokenBucket tier {tier} (capacity {cap}): {cap + 5} acquires for new user "
            f"{user!r} granted {got.count(True)}, expected exactly {cap} then refusals"
        )
    assert bucket.acquire("dave", "free", 5) is True
    assert bucket.acquire("dave", "free", 1) is False


def test_redis_refills_over_time(sol, kata_redis):
    """An empty bucket refills at its rate on the server's clock, never above capacity."""
    bucket = sol.RedisTokenBucket(
        kata_redis.client, kata_redis.prefix, _tiers(sol, fast=(3, 20.0), slow=(1, 0.5))
    )
    assert [bucket.acquire("u", "fast") for _ in range(3)] == [True] * 3
    assert bucket.acquire("v", "slow") is True
    assert bucket.acquire("v", "slow") is False, "a 0.5 token/s bucket refilled within moments"
    time.sleep(0.3)  # >= 6 tokens' worth at 20/s, capped at 3
    got = [bucket.acquire("u", "fast") for _ in range(3)]
    assert got == [True] * 3, (
        f"RedisTokenBucket (capacity 3, 20 tokens/s): 0.3 s after emptying, 3 acquires gave "
        f"{got}; the bucket must have refilled to its capacity"
    )


def test_redis_keys_under_prefix_with_ttl(sol, kata_redis):
    """Every key is under the prefix, one per user, and expires once the bucket would be full
    again (TTL between that time and 2 s later)."""
    bucket = sol.RedisTokenBucket(kata_redis.client, kata_redis.prefix, _tiers(sol, t=(5, 1.0)))
    users = [f"user{i}" for i in range(4)]
    for user in users:
        for _ in range(5):
            bucket.acquire(user, "t")
    keys = kata_redis.keys()
    assert len(keys) == len(users), (
        f"4 users' buckets left {len(keys)} keys under the prefix ({keys[:6]}); one key per user "
        f"expected"
    )
    if not kata_redis.real:  # a fresh fakeredis server: nothing may live outside the prefix
        stray = [k for k in kata_redis.client.keys("*") if not k.startswith(kata_redis.prefix)]
        assert not stray, f"keys written outside the prefix {kata_redis.prefix!r}: {stray[:5]}"
    for key in keys:
        ttl = kata_redis.client.pttl(key)
        assert 4000 <= ttl <= 7500, (
            f"key {key!r} of an emptied bucket (capacity 5, 1 token/s: full again in 5 s) has "
            f"PTTL {ttl} ms; it must expire no sooner than when the bucket is full again and no "
            f"later than 2 s after (PEXPIRE in the script), so idle users' keys go away"
        )


def _hammer(bucket, user, tier, attempts, counts, idx, barrier):
    barrier.wait()
    counts[idx] = sum(bucket.acquire(user, tier) for _ in range(attempts))


def test_redis_threads_never_over_admit(sol, kata_redis, rng):
    """16 threads, each with its own client, drain one user's bucket: the grants never exceed
    capacity + rate * elapsed + 1."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        capacity = int(rng.integers(150, 250))
        rate = 0.5
        tiers = _tiers(sol, t=(capacity, rate))
        n_threads, attempts = 16, 20
        buckets = [
            sol.RedisTokenBucket(kata_redis.new_client(), kata_redis.prefix, tiers)
            for _ in range(n_threads)
        ]
        counts = [0] * n_threads
        barrier = threading.Barrier(n_threads)
        threads = [
            threading.Thread(target=_hammer, args=(b, "shared", "t", attempts, counts, i, barrier))
            for i, b in enumerate(buckets)
        ]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        elapsed = time.monotonic() - start
    finally:
        sys.setswitchinterval(old)
    allowed = capacity + rate * elapsed + 1
    got = sum(counts)
    assert got <= allowed, (
        f"RedisTokenBucket(capacity {capacity}, {rate} token/s) shared by {n_threads} clients: "
        f"{got} grants in {elapsed:.2f} s, at most {allowed:.1f} possible. {OVER_HINT}"
    )
    assert got >= capacity, f"only {got} grants of a full bucket of {capacity}"


def _process_worker(module, url, prefix, capacity, rate, attempts, queue):  # pragma: no cover
    """A forked child: its own client and bucket object, `attempts` acquires."""
    try:
        import redis

        client = redis.Redis.from_url(url, decode_responses=True)
        bucket = module.RedisTokenBucket(client, prefix, {"t": module.Tier(capacity, rate)})
        got = sum(bucket.acquire("shared", "t") for _ in range(attempts))
        client.close()
        queue.put(("ok", got))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        queue.put(("err", f"{type(exc).__name__}: {exc}"))


@pytest.mark.real_redis
def test_redis_processes_never_over_admit(sol, kata_redis, rng):
    """4 processes (real Redis) drain one user's bucket concurrently: the grants never exceed
    capacity + rate * elapsed + 1."""
    capacity = int(rng.integers(30, 60))
    rate = 0.5
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    n_procs, attempts = 4, 60
    procs = [
        ctx.Process(
            target=_process_worker,
            args=(sol, kata_redis.url, kata_redis.prefix, capacity, rate, attempts, queue),
        )
        for _ in range(n_procs)
    ]
    start = time.monotonic()
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    errors = [r[1] for r in results if r[0] != "ok"]
    assert not errors, f"acquire raised in a worker process: {errors[0]}"
    got = sum(r[1] for r in results)
    elapsed = time.monotonic() - start
    allowed = capacity + rate * elapsed + 1
    assert got <= allowed, (
        f"RedisTokenBucket(capacity {capacity}, {rate} token/s) shared by {n_procs} processes: "
        f"{got} grants in {elapsed:.2f} s, at most {allowed:.1f} possible. {OVER_HINT}"
    )
    assert got >= capacity, f"only {got} grants of a full bucket of {capacity}"


def test_redis_errors(sol, kata_redis):
    """An unknown tier raises KeyError; n < 1 or n > the tier's capacity raises ValueError."""
    bucket = sol.RedisTokenBucket(kata_redis.client, kata_redis.prefix, _tiers(sol, t=(3, 1.0)))
    with pytest.raises(KeyError):
        bucket.acquire("u", "gold")
        pytest.fail("acquire with an unknown tier did not raise KeyError")
    for n in (0, 4):
        with pytest.raises(ValueError):
            bucket.acquire("u", "t", n)
            pytest.fail(f"acquire(n={n}) with capacity 3 did not raise ValueError")
