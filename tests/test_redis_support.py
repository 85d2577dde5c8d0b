"""The Redis service of a grading run: the relay counts the sandbox's round trips exactly (on
fakeredis, a private redis-server and a server given by URL), the judge's own client is not
counted, and each test gets a clean, prefixed space."""

import shutil
import tempfile
import threading
from pathlib import Path

import pytest
import redis

from graders.redis_support import open_redis
from graders.services import RedisService


@pytest.fixture(params=["fake", "server", "url"])
def service(request):
    """A RedisService on each kind of backend, with its relay socket in a short path."""
    folder = Path(tempfile.mkdtemp(prefix="svc-"))
    if request.param == "fake":
        svc = RedisService(None, folder, prefer="fake")
    elif request.param == "server":
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        svc = RedisService(None, folder)
        assert svc.kind == "server"
    else:
        svc = RedisService(request.getfixturevalue("real_redis_url"), folder)
    yield svc
    svc.close()
    shutil.rmtree(folder, ignore_errors=True)


def sandbox_client(svc: RedisService) -> redis.Redis:
    """What the sandbox builds from a client passed to candidate code: a client on the relay."""
    db = int(redis.Redis.from_url(svc.url).connection_pool.connection_kwargs.get("db", 0) or 0)
    return redis.Redis(unix_socket_path=str(svc.relay.socket_path), db=db, decode_responses=True)


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
    finally:
        r.close()
