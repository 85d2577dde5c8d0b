"""What a Redis test gets (KATA_SPEC section 6): the judge's client, a key prefix, and the
round trips the sandbox made.

The server is the grading run's :class:`graders.services.RedisService`. The judge's client talks
straight to it; a client passed to candidate code crosses into the sandbox as a connection spec
(``__kata_service__``), and the sandbox builds its own client on the judge's tunnel, where every
round trip is counted (:class:`graders.services.RoundTrips`).

Every test gets its own key prefix; a server the run started itself is emptied before each
test, and on a server given with ``--redis-url`` only the keys under the test's prefix are
deleted afterwards (the kit never runs FLUSHALL or FLUSHDB on a server it did not start).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from .services import RedisService, RoundTrips

_CLIENT_IDS = itertools.count(1)


def _tag(client: Any, db: int, tunnel: Any) -> Any:
    name = f"c{next(_CLIENT_IDS)}"
    options = {"db": db, "decode_responses": True, "name": name}
    client.__kata_service__ = lambda: ["redis", options, tunnel]
    return client


@dataclass
class KataRedis:
    """What a Redis test gets.

    Attributes:
        client: the judge's ``redis.Redis`` (``decode_responses=True``); passed to candidate
            code, it becomes a client of the same database inside the sandbox.
        prefix: the only key prefix this test may use (``kata:<random>:``).
        trips: round trips the sandbox made to the server (reset at the start of the test).
        real: whether the server is a real Redis (not fakeredis).
    """

    client: Any
    prefix: str
    trips: RoundTrips
    real: bool
    service: RedisService
    _clients: list[Any] = field(default_factory=list)

    def new_client(self) -> Any:
        """Another client of the same database: in the sandbox, a separate client object."""
        client = _tag(self.service.client(), _db(self.client), self.service.tunnel)
        self._clients.append(client)
        return client

    def keys(self) -> list[str]:
        """Every key under this test's prefix (SCAN, not counted)."""
        return sorted(self.client.scan_iter(match=f"{self.prefix}*", count=1000))

    def close(self) -> None:
        """Delete this test's keys (a server the run did not start) and close the clients."""
        if not self.service.owned():
            batch = list(self.client.scan_iter(match=f"{self.prefix}*", count=1000))
            for start in range(0, len(batch), 500):
                self.client.delete(*batch[start : start + 500])
        for client in [self.client, *self._clients]:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass


def _db(client: Any) -> int:
    return int(client.connection_pool.connection_kwargs.get("db", 0) or 0)


def open_redis(service: RedisService) -> KataRedis:
    """A fresh :class:`KataRedis` on ``service`` (emptied first when the run owns it)."""
    client = service.client()
    if service.owned():
        client.flushall()
    service.tunnel.trips.reset()
    _tag(client, _db(client), service.tunnel)
    return KataRedis(
        client, f"kata:{uuid.uuid4().hex[:12]}:", service.tunnel.trips, service.real, service
    )
