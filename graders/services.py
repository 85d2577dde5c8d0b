"""Services a sandbox reaches: a Redis server, through a tunnel the judge owns.

The sandbox has no network. A Redis client passed to candidate code arrives there as a client
whose connections are tunnelled through the judge (:mod:`graders.bridge.redis_tunnel`): each
time the client reads after writing, what it wrote crosses in one call of
:meth:`RedisTunnel.exchange`, which forwards it to the server and returns one reply per
command. The judge counts those exchanges: a round trip is one, by construction, so a pipeline
or a script is one however it is written, and the count cannot be changed from the sandbox; the
commands a connection sends while it connects (``HELLO``, ``CLIENT SETINFO``, ``AUTH``,
``SELECT`` before any other command) are not counted.

The server is, in order of preference:

1. the server of ``--redis-url`` (``KATA_REDIS_URL``): a real server the user points at;
2. a private ``redis-server`` started for this grading run, where the binary is installed
   (on a Unix socket in a folder only the judge sees);
3. fakeredis's TCP server (``fakeredis.TcpFakeServer``) on 127.0.0.1, inside the judge.

The judge reads and checks the server's state with its own client, straight to the server.
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
    """A thread-safe count of round trips through the tunnel."""

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


class RedisTunnel:
    """The judge's end of the sandbox's Redis connections (see the module docstring).

    Args:
        connect: opens a new socket to the server (one per sandbox connection, so
            ``SELECT``, ``MULTI`` and the like keep their meaning).
    """

    def __init__(self, connect) -> None:
        self._connect = connect
        self.trips = RoundTrips()
        self._conns: dict[int, list] = {}  # id -> [socket, lock, in handshake]
        self._lock = threading.Lock()

    def exchange(self, connection: int, data: bytes) -> bytes:
        """Send ``data`` (what a client wrote) on ``connection`` and return the server's
        replies, one per command in it: one round trip."""
        with self._lock:
            entry = self._conns.get(connection)
            if entry is None:
                entry = self._conns[connection] = [self._connect(), threading.Lock(), True]
        sock, lock, _ = entry
        with lock:
            names = request_commands(data)
            if not (entry[2] and names and all(n in _SETUP for n in names)):
                entry[2] = False
                self.trips.add()
            sock.sendall(data)
            return _read_replies(sock, len(names))

    def close(self, connection: int) -> None:
        """The sandbox closed ``connection``."""
        with self._lock:
            entry = self._conns.pop(connection, None)
        if entry is not None:
            try:
                entry[0].close()
            except OSError:
                pass

    def close_all(self) -> None:
        with self._lock:
            conns, self._conns = list(self._conns.values()), {}
        for sock, _, _ in conns:
            try:
                sock.close()
            except OSError:
                pass


def request_commands(data: bytes) -> list[bytes]:
    """The command names of a client's request bytes (RESP arrays of bulk strings, or inline
    commands), in order.

    Raises:
        ValueError: bytes that are not whole Redis requests.
    """
    names, i, n = [], 0, len(data)
    while i < n:
        if data[i : i + 1] == b"*":
            end = data.index(b"\r\n", i)
            count = int(data[i + 1 : end])
            i = end + 2
            name = b""
            for k in range(count):
                if data[i : i + 1] != b"$":
                    raise ValueError("a request argument is not a bulk string")
                end = data.index(b"\r\n", i)
                size = int(data[i + 1 : end])
                arg = data[end + 2 : end + 2 + size]
                if k == 0:
                    name = arg.upper()
                i = end + 2 + size + 2
            names.append(name)
        else:  # an inline command
            end = data.index(b"\n", i)
            line = data[i:end].strip()
            if line:
                names.append(line.split()[0].upper())
            i = end + 1
    return names


def _read_replies(sock: socket.socket, count: int) -> bytes:
    """Read from ``sock`` until ``count`` whole replies (RESP2 or RESP3) have arrived."""
    buf = bytearray()
    pos = done = 0
    while done < count:
        end = _reply_end(buf, pos)
        if end is None:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the Redis server closed the connection")
            buf += chunk
            continue
        kind = buf[pos : pos + 1]
        pos = end
        if kind not in (b">", b"|"):  # pushes and attributes are not replies
            done += 1
    return bytes(buf)


def _reply_end(buf: bytearray, pos: int) -> int | None:
    """Where the RESP value starting at ``pos`` ends, or None if it is not all there yet."""
    line_end = buf.find(b"\r\n", pos)
    if line_end < 0:
        return None
    kind = buf[pos : pos + 1]
    after = line_end + 2
    if kind in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return after
    if kind in (b"$", b"!", b"="):
        size = int(buf[pos + 1 : line_end])
        if size < 0:
            return after
        return after + size + 2 if len(buf) >= after + size + 2 else None
    if kind in (b"*", b"~", b">", b"%", b"|"):
        count = int(buf[pos + 1 : line_end])
        if count < 0:
            return after
        if kind in (b"%", b"|"):
            count *= 2
        for _ in range(count):
            end = _reply_end(buf, after)
            if end is None:
                return None
            after = end
        return after
    raise ValueError(f"not a RESP reply: {bytes(buf[pos : pos + 20])!r}")


class RedisService:
    """One grading run's Redis: the backend, the tunnel the sandbox's clients go through, and
    clients for the judge.

    Args:
        url: a server to use (``redis://host:port/db`` or ``unix:///path``); ``None`` picks a
            private ``redis-server`` where installed, else fakeredis.
        prefer: ``"auto"``, ``"server"`` or ``"fake"`` (``KATA_REDIS_BACKEND``).

    Raises:
        ServiceError: the backend could not be started or reached.
    """

    def __init__(self, url: str | None, prefer: str = "auto") -> None:
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
        self.tunnel = RedisTunnel(self._open_backend)

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
        """Close the tunnel's connections and stop the backend this run started."""
        tunnel = getattr(self, "tunnel", None)
        if tunnel is not None:
            tunnel.close_all()
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
