"""Services a sandbox reaches: a Redis server behind a relay the judge owns.

The sandbox has no network; the only socket it can reach is ``/kata/svc/redis.sock``, a Unix
socket on which the judge's :class:`RedisRelay` accepts connections and forwards the bytes to
the backend, counting round trips on the way (see :class:`RoundTrips`). The backend is, in
order of preference:

1. the server of ``--redis-url`` (``KATA_REDIS_URL``): a real server the user points at;
2. a private ``redis-server`` started for this grading run, where the binary is installed
   (on a Unix socket in a folder only the judge sees);
3. fakeredis's TCP server (``fakeredis.TcpFakeServer``) on 127.0.0.1, inside the judge.

The judge reads and checks the server's state with its own client, straight to the backend
(not through the relay). Counting happens in the relay, outside the sandbox, so a submission
cannot change the count: a round trip is a burst of bytes from a client followed by the
server's answer, so a pipeline or a script is one, and the commands a connection sends while it
connects (``HELLO``, ``CLIENT SETINFO``, ``AUTH``, ``SELECT`` before any other command) are not
counted.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

_SETUP = frozenset({b"HELLO", b"CLIENT", b"AUTH", b"SELECT", b"READONLY"})


def real_redis_available(url: str | None) -> bool:
    """Whether Redis tests run against a real server: ``--redis-url``, or a private
    ``redis-server`` where the binary is installed (``KATA_REDIS_BACKEND=fake`` forces
    fakeredis)."""
    if url:
        return True
    if os.environ.get("KATA_REDIS_BACKEND", "").lower() == "fake":
        return False
    return shutil.which("redis-server") is not None


class ServiceError(RuntimeError):
    """A service the kata needs could not be started or reached."""


class RoundTrips:
    """A thread-safe count of round trips through a relay."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def reset(self) -> None:
        with self._lock:
            self._count = 0

    def add(self) -> None:
        with self._lock:
            self._count += 1


def _commands(data: bytes) -> list[bytes]:
    """Command names at the start of RESP arrays in ``data`` (best effort, for the
    connection-setup exemption)."""
    names = []
    for part in data.split(b"*")[1:]:
        lines = part.split(b"\r\n")
        if len(lines) >= 3 and lines[1].startswith(b"$"):
            names.append(lines[2].upper())
    return names


class RedisRelay:
    """Accepts connections on ``socket_path`` and forwards each to ``connect()``."""

    def __init__(self, socket_path: Path, connect) -> None:
        self.socket_path = socket_path
        self._connect = connect
        self.trips = RoundTrips()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(socket_path))
        os.chmod(socket_path, 0o777)
        self._server.listen(64)
        self._closed = False
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name="redis-relay").start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                backend = self._connect()
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, backend]
            state = {"awaiting": False, "setup": True}
            threading.Thread(
                target=self._pump, args=(client, backend, state, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(backend, client, state, False), daemon=True
            ).start()

    def _pump(self, src: socket.socket, dst: socket.socket, state: dict, upstream: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if upstream:
                    if not state["awaiting"]:
                        names = _commands(data)
                        setup = state["setup"] and bool(names) and all(n in _SETUP for n in names)
                        if not setup:
                            state["setup"] = False
                            self.trips.add()
                    state["awaiting"] = True
                else:
                    state["awaiting"] = False
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._closed = True
        try:
            self._server.close()
        except OSError:
            pass
        with self._lock:
            for conn in self._conns:
                try:
                    conn.close()
                except OSError:
                    pass
            self._conns.clear()


class RedisService:
    """One grading run's Redis: the backend, the relay the sandbox reaches, and clients for
    the judge.

    Args:
        url: a server to use (``redis://host:port/db`` or ``unix:///path``); ``None`` picks a
            private ``redis-server`` where installed, else fakeredis.
        service_dir: the folder (bound into the sandbox as ``/kata/svc``) for the relay socket.
        socket_name: the relay socket's name in that folder (a zygote's folder serves one
            grade after another).
        prefer: ``"auto"``, ``"server"`` or ``"fake"`` (``KATA_REDIS_BACKEND``).

    Raises:
        ServiceError: the backend could not be started or reached.
    """

    def __init__(
        self,
        url: str | None,
        service_dir: Path,
        prefer: str = "auto",
        socket_name: str = "redis.sock",
    ) -> None:
        self.service_dir = service_dir
        self._proc: subprocess.Popen | None = None
        self._fake = None
        self._private: Path | None = None
        self.url = url
        if url:
            self.kind = "url"
        elif prefer != "fake" and real_redis_available(None):
            self.kind = "server"
            self._start_server()
        else:
            self.kind = "fake"
            self._start_fake()
        self.relay = RedisRelay(service_dir / socket_name, self._open_backend)

    @property
    def real(self) -> bool:
        """Whether the backend is a real Redis server (not fakeredis)."""
        return self.kind != "fake"

    def _start_server(self) -> None:
        self._private = Path(tempfile.mkdtemp(prefix="kata-redis-"))
        sock = self._private / "redis.sock"
        self._proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", "0", "--unixsocket",
             str(sock), "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
             "--dir", str(self._private), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if sock.exists():
                try:
                    with socket.socket(socket.AF_UNIX) as probe:
                        probe.connect(str(sock))
                    break
                except OSError:
                    pass
            if self._proc.poll() is not None:
                break
            time.sleep(0.02)
        else:
            self.close()
            raise ServiceError("redis-server did not start within 10 s")
        if self._proc.poll() is not None:
            raise ServiceError(f"redis-server exited at start (code {self._proc.returncode})")
        self.url = f"unix://{sock}"

    def _start_fake(self) -> None:
        try:
            import fakeredis
        except ImportError as exc:
            raise ServiceError("neither redis-server nor fakeredis is installed") from exc
        server = fakeredis.TcpFakeServer(("127.0.0.1", 0))
        threading.Thread(target=server.serve_forever, daemon=True, name="fakeredis").start()
        self._fake = server
        host, port = server.server_address[:2]
        self.url = f"redis://{host}:{port}/0"

    def _open_backend(self) -> socket.socket:
        parsed = urlparse(self.url or "")
        if parsed.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(parsed.path)
            return sock
        return socket.create_connection(
            (parsed.hostname or "localhost", parsed.port or 6379), timeout=10
        )

    def client(self, **options):
        """A ``redis.Redis`` of the judge, straight to the backend (``decode_responses=True``
        unless given)."""
        import redis

        options.setdefault("decode_responses", True)
        return redis.Redis.from_url(self.url, **options)

    def owned(self) -> bool:
        """Whether this run started the backend (and may flush it)."""
        return self.kind in ("server", "fake")

    def close(self) -> None:
        """Stop the relay and the backend this run started."""
        relay = getattr(self, "relay", None)
        if relay is not None:
            relay.close()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        if self._fake is not None:
            self._fake.shutdown()
            self._fake.server_close()
        if self._private is not None:
            shutil.rmtree(self._private, ignore_errors=True)
