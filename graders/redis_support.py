"""Redis for Redis katas: an embedded fakeredis server by default, a real server on request,
and a client that counts its round trips (KATA_SPEC section 6).

Every test gets its own key prefix; with a real server only the keys under that prefix are
deleted afterwards (the kit never runs FLUSHALL or FLUSHDB on a server it did not start). With
fakeredis every test also gets a fresh, empty server.

A round trip is one ``send_packed_command`` on a connection: a single command, a whole
pipeline or transaction, one ``EVALSHA``. Commands a connection sends while it connects
(``HELLO``, ``CLIENT SETINFO``) are not counted.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any


class RoundTrips:
    """A thread-safe counter of round trips to the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._local = threading.local()

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def reset(self) -> None:
        with self._lock:
            self._count = 0

    def _add(self) -> None:
        if getattr(self._local, "connecting", 0):
            return
        with self._lock:
            self._count += 1

    def _connecting(self, delta: int) -> None:
        self._local.connecting = getattr(self._local, "connecting", 0) + delta


def _counting_connection_class(base: type, trips: RoundTrips) -> type:
    class CountingConnection(base):  # type: ignore[misc, valid-type]
        def connect(self, *args: Any, **kwargs: Any) -> Any:
            trips._connecting(+1)
            try:
                return super().connect(*args, **kwargs)
            finally:
                trips._connecting(-1)

        def send_packed_command(self, command: Any, check_health: bool = True) -> Any:
            trips._add()
            return super().send_packed_command(command, check_health)

    CountingConnection.__name__ = f"Counting{base.__name__}"
    return CountingConnection


@dataclass
class KataRedis:
    """What a Redis test gets: a client for the submission, its key prefix, and the counter.

    Attributes:
        client: a ``redis.Redis`` (or ``fakeredis.FakeRedis``) with ``decode_responses=True``.
        prefix: the only key prefix this test may use (``kata:<random>:``).
        trips: round trips made through ``client`` (and through :meth:`new_client` clients).
        url: the real server's URL, or ``None`` under fakeredis.
    """

    client: Any
    prefix: str
    trips: RoundTrips
    url: str | None
    _server: Any = None
    _clients: list[Any] = field(default_factory=list)

    @property
    def real(self) -> bool:
        """Whether this is a real Redis server (not fakeredis)."""
        return self.url is not None

    def new_client(self) -> Any:
        """Another client on the same server (own connection pool), counted in ``trips``."""
        client = _make_client(self.url, self._server, self.trips)
        self._clients.append(client)
        return client

    def keys(self) -> list[str]:
        """Every key under this test's prefix (SCAN, uncounted)."""
        return sorted(self._admin().scan_iter(match=f"{self.prefix}*", count=1000))

    def _admin(self) -> Any:
        return _make_client(self.url, self._server, RoundTrips())

    def close(self) -> None:
        """Delete this test's keys (real server) and close every client."""
        if self.real:
            admin = self._admin()
            batch = list(admin.scan_iter(match=f"{self.prefix}*", count=1000))
            for start in range(0, len(batch), 500):
                admin.delete(*batch[start : start + 500])
            admin.close()
        for client in [self.client, *self._clients]:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass


def _make_client(url: str | None, server: Any, trips: RoundTrips) -> Any:
    if url:
        import redis

        pool = redis.ConnectionPool.from_url(url, decode_responses=True)
    else:
        import fakeredis

        pool = fakeredis.FakeRedis(server=server, decode_responses=True).connection_pool
    pool.connection_class = _counting_connection_class(pool.connection_class, trips)
    if url:
        import redis

        return redis.Redis(connection_pool=pool)
    import fakeredis

    return fakeredis.FakeRedis(connection_pool=pool)


def open_redis(url: str | None) -> KataRedis:
    """A fresh :class:`KataRedis`: fakeredis (new server) when ``url`` is ``None``."""
    server = None
    if not url:
        import fakeredis

        server = fakeredis.FakeServer()
    trips = RoundTrips()
    client = _make_client(url, server, trips)
    if url:
        client.ping()
        trips.reset()
    return KataRedis(client, f"kata:{uuid.uuid4().hex[:12]}:", trips, url or None, server)
