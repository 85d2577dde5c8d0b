"""Attack class 6: the network. Connects to a Unix socket on the host's file system and to
127.0.0.1 through the C-level `_socket` module (past any Python-level guard). add() tells
whether anything was reached."""

import _socket

REACHED = []
for path in ("@UNIX_PATH@",):
    try:
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(path)
        s.send(b"hello from the sandbox")
        REACHED.append(path)
    except OSError:
        pass
try:
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(("127.0.0.1", int("@TCP_PORT@")))
    REACHED.append("tcp")
except OSError:
    pass


def add(a, b):
    return a + b + len(REACHED)


def total(xs):
    return sum(xs)
