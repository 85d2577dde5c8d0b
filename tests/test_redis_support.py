"""The Redis fixture: isolation by prefix, round trips counted exactly, on fakeredis and on a
real server."""

import threading

from graders.redis_support import open_redis


def test_round_trips_are_counted(redis_url):
    """One command, one pipeline, one transaction, one script call: one round trip each; the
    connection handshake is not counted."""
    r = open_redis(redis_url)
    try:
        c, p = r.client, r.prefix
        c.set(p + "a", 1)
        assert r.trips.count == 1
        pipe = c.pipeline(transaction=False)
        for i in range(100):
            pipe.hset(p + f"h{i}", mapping={"x": i})
        pipe.execute()
        assert r.trips.count == 2
        with c.pipeline() as tx:
            tx.incr(p + "n").expire(p + "n", 60).execute()
        assert r.trips.count == 3
        sha = c.script_load("return redis.call('INCR', KEYS[1])")
        assert c.evalsha(sha, 1, p + "n") == 2
        assert r.trips.count == 5
        other = r.new_client()
        other.get(p + "a")
        assert r.trips.count == 6
    finally:
        r.close()


def test_prefixes_isolate_tests_and_cleanup_is_scoped(redis_url):
    """Two handles get distinct prefixes; closing one deletes only its own keys."""
    a, b = open_redis(redis_url), open_redis(redis_url)
    try:
        assert a.prefix != b.prefix
        a.client.set(a.prefix + "k", 1)
        b_client = b.client if redis_url else a.client  # fakeredis: separate servers
        b_client.set(b.prefix + "k", 2)
        a.close()
        assert b_client.get(b.prefix + "k") == "2"
        if redis_url:
            assert b.client.get(a.prefix + "k") is None
    finally:
        b.close()


def test_counter_is_thread_safe(redis_url):
    """Many threads on one client: every round trip counted."""
    r = open_redis(redis_url)
    try:

        def work():
            for _ in range(50):
                r.client.incr(r.prefix + "c")

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert r.trips.count == 400 and r.client.get(r.prefix + "c") == "400"
    finally:
        r.close()
