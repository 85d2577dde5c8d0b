"""In-process socket guard: refuses every connection except to allowlisted addresses.

Used in every grading child, and the only network barrier where the OS offers no network
namespace. It patches :mod:`socket` at the Python level, so code that reaches the C socket API
through a native extension is not stopped (see the README's "Security model"); the static
policy already flags imports of network modules.

Allowlist entries are ``host:port`` (TCP) or ``unix:/path`` (a Unix socket).
"""

from __future__ import annotations

import socket

_installed = False


class NetworkBlocked(ConnectionRefusedError):
    """Raised instead of opening a connection the grading run does not allow."""


def _allowed(address, allow: frozenset[str], family: int) -> bool:
    if family == socket.AF_UNIX:
        path = address.decode() if isinstance(address, bytes) else str(address)
        return f"unix:{path}" in allow
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"{host}:{port}" in allow
    return False


def install(allow: list[str]) -> None:
    """Patch ``socket.socket`` so only ``allow`` can be reached. Idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    allowed = frozenset(allow)
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_bind = socket.socket.bind

    def check(sock: socket.socket, address) -> None:
        if not _allowed(address, allowed, sock.family):
            raise NetworkBlocked(f"network access to {address!r} is blocked during grading")

    def connect(self, address):
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        check(self, args[-1])
        return real_sendto(self, data, *args)

    def bind(self, address):
        if self.family != socket.AF_UNIX:
            raise NetworkBlocked(f"binding {address!r} is blocked during grading")
        return real_bind(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    socket.socket.bind = bind  # type: ignore[method-assign]
