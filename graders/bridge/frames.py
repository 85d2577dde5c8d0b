"""Frames on a stream socket: a msgpack header and out-of-band raw buffers.

Layout of one frame::

    magic  u32   0x4b415441 ("KATA")
    hlen   u32   length of the header in bytes
    nbuf   u32   number of raw buffers
    blen   u64 * nbuf
    header hlen bytes (msgpack)
    buffers, back to back

Raw buffers carry array data (numpy, torch) without a copy into the header: the sender writes
straight from the array's memory, the receiver reads each buffer into its own ``bytearray``, so a
decoded array is writable and owns its memory. Every length is checked against ``max_bytes``
before anything is allocated: a peer cannot make this side allocate more than that.
"""

from __future__ import annotations

import socket
import struct
import threading

MAGIC = 0x4B415441
_PREFIX = struct.Struct("!III")
_LEN = struct.Struct("!Q")
MAX_BUFFERS = 65_536


class FrameError(ConnectionError):
    """The peer sent something that is not a well-formed frame (or a frame over the limits)."""


class PeerClosed(ConnectionError):
    """The peer closed the connection (or died)."""


def _recv_bytes(rfile, n: int) -> bytearray:
    buf = bytearray(n)
    if n:
        view = memoryview(buf)
        got = 0
        while got < n:
            k = rfile.readinto(view[got:])
            if not k:
                raise PeerClosed("the other side closed the connection")
            got += k
    return buf


class FrameSocket:
    """Sends and receives frames on ``sock``; sending is thread-safe, receiving is meant for one
    reader thread.

    Args:
        sock: a connected stream socket (a socketpair end).
        max_bytes: the largest frame accepted from the peer (header and buffers together).
    """

    def __init__(self, sock: socket.socket, max_bytes: int = 2**31) -> None:
        self.sock = sock
        self.max_bytes = max_bytes
        self._send_lock = threading.Lock()
        self._rfile = sock.makefile("rb", buffering=1 << 16)

    def send(self, header: bytes, buffers: list) -> None:
        """Send one frame. ``buffers`` hold objects supporting the buffer protocol (bytes,
        bytearray, memoryview of a contiguous array)."""
        views = [memoryview(b).cast("B") for b in buffers]
        parts = [_PREFIX.pack(MAGIC, len(header), len(views))]
        parts += [_LEN.pack(v.nbytes) for v in views]
        parts.append(header)
        head = b"".join(parts)
        with self._send_lock:
            if views and sum(v.nbytes for v in views) < 65_536:
                self.sock.sendall(head + b"".join(bytes(v) for v in views))
                return
            self.sock.sendall(head)
            for v in views:
                self.sock.sendall(v)

    def recv_header(self) -> tuple[bytearray, list[int]]:
        """Read a frame's prefix and header; returns the header and the buffer lengths still to
        read with :meth:`recv_buffers`.

        Raises:
            PeerClosed: the peer closed the connection.
            FrameError: a malformed frame, or one over ``max_bytes``.
        """
        prefix = _recv_bytes(self._rfile, _PREFIX.size)
        magic, hlen, nbuf = _PREFIX.unpack(prefix)
        if magic != MAGIC:
            raise FrameError(f"bad frame magic {magic:#x}")
        if nbuf > MAX_BUFFERS or hlen > self.max_bytes:
            raise FrameError(f"frame too large ({hlen} header bytes, {nbuf} buffers)")
        raw = _recv_bytes(self._rfile, _LEN.size * nbuf)
        lens = [_LEN.unpack_from(raw, i * _LEN.size)[0] for i in range(nbuf)]
        if hlen + sum(lens) > self.max_bytes:
            raise FrameError(
                f"frame of {hlen + sum(lens)} bytes is over the limit of {self.max_bytes}"
            )
        return _recv_bytes(self._rfile, hlen), lens

    def recv_buffers(self, lens: list[int]) -> list[bytearray]:
        """Read the raw buffers announced by :meth:`recv_header`."""
        return [_recv_bytes(self._rfile, n) for n in lens]

    def close(self) -> None:
        """Shut the socket down (a reader blocked on it sees the end) and close it; the
        buffered reader is left to its thread, whose lock ``close`` would wait on."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
