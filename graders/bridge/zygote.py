"""A warm contestant: a sandboxed process that has imported the kata's heavy modules once and
forks a fresh contestant for every grade.

Started inside bubblewrap exactly like a contestant (see :mod:`graders.sandbox`), it imports
the modules named in its configuration (``torch``, ``pandas`` ...), makes itself non-dumpable
(no process of the same user may read or write its memory), and listens on a Unix socket
(``/kata/ctl/zygote.sock``) for fork requests from the judge: a JSON message with the files of
the run and the contestant's configuration, and two file descriptors (the channel to the judge
and the file its output goes to).

For each request it forks; the child enters new user, mount, PID and IPC namespaces and forks
again. The grandchild, the first process of the new PID namespace, mounts fresh size-limited
tmpfs folders on ``/tmp``, ``/kata/work`` and ``/dev/shm``, hides the control socket, writes the
files, reseeds the random generators, drops every capability (bounding set, ambient, effective,
permitted; no new privileges) and serves the judge (:func:`.serve.run`). Nothing a grade writes
survives it, and killing the grandchild ends every process of the grade. The zygote stays
single-threaded, so forking it is safe; it reports each child's exit to the connection that
asked for it. When that connection closes (the judge ended, or was killed at its timeout), the
zygote kills the contestants it forked for it: a contestant stuck in a loop never outlives its
grade.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import select
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWIPC = 0x20000, 0x10000000, 0x20000000, 0x08000000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = (
    1,
    4,
    24,
    38,
    47,
)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND = 1, 2, 4, 32, 4096
_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]
_LEN = struct.Struct("!I")
MAX_REQUEST = 256 * 2**20


class ZygoteError(OSError):
    """A namespace, mount or capability call failed."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise ZygoteError(err, f"{what}: {os.strerror(err)}")


def drop_capabilities() -> None:
    """Drop every capability for good: bounding set, ambient set, then effective, permitted
    and inheritable; and forbid gaining privileges through exec."""
    for cap in range(64):
        _LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    _LIBC.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()
    _check(_LIBC.capset(header, data), "capset")
    _check(_LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _mount_tmpfs(path: str, size: int) -> None:
    if os.path.isdir(path):
        opts = f"size={int(size)},mode=0777".encode()
        _check(
            _LIBC.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts),
            f"mount {path}",
        )


def _reseed() -> None:
    import random

    random.seed()
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed(int.from_bytes(os.urandom(4), "little"))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.seed()


def _grandchild(request: dict, channel: int, log: int, tmp_bytes: int) -> None:
    for path in ("/tmp", "/kata/work", "/dev/shm", "/kata/ctl"):
        _mount_tmpfs(path, tmp_bytes if path != "/kata/ctl" else 4096)
    for name, data in request.get("files", {}).items():
        target = os.path.join("/kata/work", name)
        if os.path.normpath(target).startswith("/kata/work/"):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(base64.b64decode(data))
            # read-only, as a bind mount onto itself (the candidate cannot undo it: no capabilities)
            path = target.encode()
            _check(_LIBC.mount(path, path, None, MS_BIND, None), f"bind {name}")
            _check(
                _LIBC.mount(path, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None),
                f"protect {name}",
            )
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.environ.update(request.get("env", {}))
    _reseed()
    drop_capabilities()
    from .serve import run

    run(channel, request["serve"])


def _child(request: dict, channel: int, log: int, tmp_bytes: int) -> None:
    """In the forked child: new namespaces, then the grandchild that serves; this process waits
    for it and exits with its status."""
    uid, gid = os.getuid(), os.getgid()
    _check(_LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
    with open("/proc/self/setgroups", "w") as fh:
        fh.write("deny")
    with open("/proc/self/uid_map", "w") as fh:
        fh.write(f"{uid} {uid} 1\n")
    with open("/proc/self/gid_map", "w") as fh:
        fh.write(f"{gid} {gid} 1\n")
    pid = os.fork()
    if pid == 0:
        try:
            # killed with its parent: the zygote ends a grade by killing this process
            _check(_LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
            _grandchild(request, channel, log, tmp_bytes)
        finally:
            os._exit(70)
    os.close(channel)
    os.close(log)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def reaped():
    """``(pid, exit code)`` of every child that has ended, without blocking (a fork server's
    loop; a negative code is the signal that killed it)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, os.waitstatus_to_exitcode(status)


def _recv(conn: socket.socket) -> tuple[dict, list[int]] | None:
    head, fds, _, _ = socket.recv_fds(conn, _LEN.size, 4)
    if not head:
        return None
    (size,) = _LEN.unpack(head)
    if size > MAX_REQUEST:
        raise ValueError("request too large")
    body = bytearray()
    while len(body) < size:
        chunk = conn.recv(min(1 << 20, size - len(body)))
        if not chunk:
            return None
        body += chunk
    return json.loads(body), list(fds)


def _send(conn: socket.socket, message: dict) -> None:
    data = json.dumps(message).encode()
    conn.sendall(_LEN.pack(len(data)) + data)


def main() -> None:
    """Preload, then serve fork requests until the control connection's owner goes away."""
    config = json.loads(sys.argv[1])
    for entry in reversed(config.get("path", [])):
        sys.path.insert(0, entry)
    for name in config.get("preload", []):
        try:
            __import__(name)
        except Exception as exc:  # noqa: BLE001 - a module that does not import is imported later
            print(f"zygote: could not preload {name}: {exc}", file=sys.stderr, flush=True)
    _LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    tmp_bytes = int(config.get("tmp_bytes", 256 * 2**20))
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(config["socket"])
    server.listen(16)
    print("zygote: ready", flush=True)
    conns: list[socket.socket] = []
    owners: dict[int, socket.socket] = {}
    while True:
        ready, _, _ = select.select([server, *conns], [], [], 0.1)
        for sock in ready:
            if sock is server:
                conn, _ = server.accept()
                conns.append(conn)
                continue
            try:
                got = _recv(sock)
            except (OSError, ValueError):
                got = None
            if got is None:  # the judge is gone (ended, or killed at its timeout): so is
                conns.remove(sock)  # every contestant it asked for, even one stuck in a loop
                for pid in [p for p, owner in owners.items() if owner is sock]:
                    try:
                        os.kill(pid, signal.SIGKILL)  # its grandchild follows (PDEATHSIG)
                    except OSError:
                        pass
                sock.close()
                continue
            request, fds = got
            if len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                _send(sock, {"error": "a fork request carries two file descriptors"})
                continue
            channel, log = fds
            pid = os.fork()
            if pid == 0:
                try:
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    keep = {channel, log}
                    for fd in range(3, 1024):
                        if fd not in keep:
                            try:
                                os.close(fd)
                            except OSError:
                                pass
                    _child(request, channel, log, tmp_bytes)
                finally:
                    os._exit(71)
            os.close(channel)
            os.close(log)
            owners[pid] = sock
            _send(sock, {"pid": pid})
        for pid, code in reaped() if owners else ():
            owner = owners.pop(pid, None)
            if owner is not None and owner in conns:
                try:
                    _send(owner, {"exit": pid, "status": code})
                except OSError:
                    pass


if __name__ == "__main__":
    main()
