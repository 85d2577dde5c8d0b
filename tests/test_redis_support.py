"""The Redis service of a grading run: the tunnel counts the sandbox client's round trips
exactly, a large pipeline as one whatever the load (on fakeredis, a private redis-server and a
server given by URL), the judge's own client is not counted, and each test gets a clean,
prefixed space."""

import shutil
import threading

import pytest
import redis

from graders.bridge.redis_tunnel import make_client
from graders.redis_support import open_redis
from graders.services import RedisService


@pytest.fixture(params=["fake", "server", "url"])
def service(request):
    """A RedisService on each kind of backend."""
    if request.param == "fake":
        svc = RedisService(None, prefer="fake")
    elif request.param == "server":
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        svc = RedisService(None)
        assert svc.kind == "server"
    else:
        svc = RedisService(request.getfixturevalue("real_redis_url"))
    yield svc
    svc.close()


def sandbox_client(svc: RedisService) -> redis.Redis:
    """What the sandbox builds from a client passed to candidate code: a client whose
    connections go through the tunnel (here without the channel in between)."""
    db = int(redis.Redis.from_url(svc.url).connection_pool.connection_kwargs.get("db", 0) or 0)
    return make_client(svc.tunnel, {"db": db, "decode_responses": True})


def test_round_trips_are_counted(service):
    """One command, one pipeline, one transaction, one script call: one round trip each; the
    connection handshake and the judge's own commands are not counted."""
    r = open_redis(service)
    c, p = sandbox_client(service), r.prefix
    try:
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
        sandbox_client(service).get(p + "a")  # another connection: its handshake is free
        assert r.trips.count == 6
        assert r.client.get(p + "a") == "1" and r.keys()  # the judge's reads: not counted
        assert r.trips.count == 6
    finally:
        c.close()
        r.close()


def test_counter_is_thread_safe(service):
    """Many threads on one client (a pool of connections): every round trip counted."""
    r = open_redis(service)
    c = sandbox_client(service)
    try:

        def work():
            for _ in range(50):
                c.incr(r.prefix + "c")

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert r.trips.count == 400 and r.client.get(r.prefix + "c") == "400"
    finally:
        c.close()
        r.close()


def test_each_test_starts_clean(service):
    """A backend the run started is emptied for every test; on a server given by URL only the
    test's own prefix is removed, and other keys survive."""
    a = open_redis(service)
    a.client.set(a.prefix + "k", 1)
    a.client.set("outside:" + a.prefix, 1)
    a.close()
    b = open_redis(service)
    try:
        assert b.prefix != a.prefix
        assert b.client.get(a.prefix + "k") is None
        survived = b.client.get("outside:" + a.prefix)
        assert survived == (None if service.owned() else "1")
    finally:
        b.client.delete("outside:" + a.prefix)
        b.close()


def test_client_crosses_as_a_connection_spec(service):
    """A judge client passed to candidate code becomes a spec naming its database; each
    new_client() is a separate client in the sandbox."""
    r = open_redis(service)
    try:
        spec = r.client.__kata_service__()
        other = r.new_client().__kata_service__()
        assert spec[0] == "redis" and spec[1]["decode_responses"] is True
        assert spec[1]["db"] == other[1]["db"] and spec[1]["name"] != other[1]["name"]
        assert spec[2] is service.tunnel
    finally:
        r.close()


@pytest.mark.parametrize("size", [30, 1000, 10_000])
def test_a_pipeline_written_in_pieces_is_one_round_trip(service, size):
    """redis-py writes a large pipeline in ~6 KB pieces: it is still one round trip, every
    time; a transaction of a script call and three sequential commands are one and three."""
    r = open_redis(service)
    c = sandbox_client(service)
    try:
        for _ in range(3):
            p = c.pipeline(transaction=False)
            for i in range(size):
                p.hmget(f"{r.prefix}k{i}", ["a", "b", "c", "d", "e", "f", "g"])
            r.trips.reset()
            assert len(p.execute()) == size and r.trips.count == 1
        r.trips.reset()
        c.set(r.prefix + "a", 1)
        c.get(r.prefix + "a")
        c.incr(r.prefix + "a")
        assert r.trips.count == 3
    finally:
        c.close()
        r.close()


def test_request_and_reply_parsing():
    """Commands are read from RESP arrays and inline requests; replies are counted whole,
    nested, RESP3 types included, pushes and attributes not counted."""
    import socket as socketlib

    from graders.services import _read_replies, request_commands

    assert request_commands(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$4\r\nexec\r\n") == [
        b"GET", b"PING", b"EXEC"]  # fmt: skip
    replies = (b"+OK\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n%1\r\n+k\r\n,1.5\r\n"
               b">2\r\n+message\r\n+x\r\n|1\r\n+a\r\n+b\r\n_\r\n")  # fmt: skip
    a, b = socketlib.socketpair()
    try:
        b.sendall(replies[:7])
        b.sendall(replies[7:])
        assert _read_replies(a, 5) == replies
    finally:
        a.close()
        b.close()
