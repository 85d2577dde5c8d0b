"""A warm judge: a process that has imported pytest, the harness and the katas' heavy libraries
once, and forks one judge per grade (issue 12: a grade's fixed cost is mostly imports).

The judge is trusted code (it never runs candidate code), so a plain fork is safe. The server
stays single-threaded (it polls its pipe and reaps its children in one loop), so forking it is
safe too; it is used only on CPU, never after CUDA has been initialised. Each forked judge
starts a new session (so its whole process group can be killed), takes the run's working
folder, environment and output file, and runs ``pytest.main``. When the grader that started the
server goes away, the server kills every judge it forked and exits.

Protocol (JSON lines): the grader sends ``{"argv": [...], "cwd": ..., "env": {...}, "out":
path}``; the server answers ``{"pid": N}`` and later ``{"exit": N, "code": C}``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

#: Modules every judge needs; the katas' own (torch, pandas ...) are added by the caller.
BASE_PRELOAD = ("pytest", "hypothesis", "numpy", "msgpack", "psutil", "graders.harness.plugin",
                "graders.harness.session", "graders.perf", "graders.checks", "graders.sandbox",
                "graders.services", "graders.redis_support", "graders.virtual_clock_loop")  # fmt: skip


def _serve() -> None:  # pragma: no cover - runs in the server process
    from graders.bridge.zygote import reaped

    for name in json.loads(sys.argv[1]):
        try:
            __import__(name)
        except Exception as exc:  # noqa: BLE001 - imported again by the judge, which reports it
            print(f"forkserver: could not preload {name}: {exc}", file=sys.stderr, flush=True)
    children: set[int] = set()
    stdin = sys.stdin.buffer
    out = sys.stdout
    buffer = b""
    print(json.dumps({"ready": True}), file=out, flush=True)
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.05)
        if ready:
            chunk = os.read(stdin.fileno(), 1 << 16)
            if not chunk:  # the grader is gone: so are its judges
                for pid in children:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except OSError:
                        pass
                os._exit(0)
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _judge(request)
                children.add(pid)
                print(json.dumps({"pid": pid}), file=out, flush=True)
        for pid, code in reaped() if children else ():
            children.discard(pid)
            print(json.dumps({"exit": pid, "code": code}), file=out, flush=True)


def _judge(request: dict) -> None:  # pragma: no cover - runs in a forked judge
    code = 70
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        fd = os.open(request["out"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        import random

        random.seed()
        import pytest

        code = int(pytest.main(request["argv"]))
    except BaseException as exc:  # noqa: BLE001
        print(f"forkserver: the judge failed: {exc!r}", file=sys.stderr)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class ForkServer:
    """The grader's handle on a warm judge process.

    Args:
        preload: modules to import up front (beside :data:`BASE_PRELOAD`).
        env: the server's environment (the judges' thread-pool settings must be set before
            their libraries are imported).
    """

    def __init__(self, preload: tuple[str, ...], env: dict[str, str]) -> None:
        kit = str(Path(__file__).resolve().parent.parent)
        env = {**env, "PYTHONPATH": kit}
        names = list(dict.fromkeys([*BASE_PRELOAD, *preload]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graders.forkserver", json.dumps(names)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=kit,
            start_new_session=True,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._pending: list[tuple[threading.Event, list[int]]] = []
        self._exits: dict[int, int] = {}
        self._events: dict[int, threading.Event] = {}
        first = self.proc.stdout.readline()
        if not first or not json.loads(first).get("ready"):
            raise RuntimeError("the judge fork server did not start")
        self._reader = threading.Thread(target=self._read, daemon=True, name="forkserver")
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            msg = json.loads(line)
            with self._lock:
                if "pid" in msg:
                    self._events.setdefault(int(msg["pid"]), threading.Event())
                    event, slot = self._pending.pop(0)
                    slot.append(int(msg["pid"]))
                    event.set()
                elif "exit" in msg:
                    pid = int(msg["exit"])
                    self._exits[pid] = int(msg["code"])
                    self._events.setdefault(pid, threading.Event()).set()
        with self._lock:  # the server died: nothing more will exit normally
            for event in [*(e for e, _ in self._pending), *self._events.values()]:
                event.set()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, argv: list[str], cwd: Path, env: dict[str, str], out: Path) -> int:
        """Fork a judge running ``pytest.main(argv)``; returns its pid (and process group)."""
        got, slot = threading.Event(), []
        with self._lock:
            self._pending.append((got, slot))
            self.proc.stdin.write((json.dumps({"argv": argv, "cwd": str(cwd), "env": env,
                                               "out": str(out)}) + "\n").encode())  # fmt: skip
            self.proc.stdin.flush()
        if not got.wait(60) or not slot:
            raise RuntimeError("the judge fork server did not answer")
        return slot[0]

    def poll(self, pid: int) -> int | None:
        """The judge's exit code once it has ended (``None`` while it runs)."""
        with self._lock:
            if pid in self._exits:
                return self._exits[pid]
            if not self.alive:
                return -9
            return None

    def wait(self, pid: int, timeout: float | None = None) -> int | None:
        event = self._events.get(pid)
        if event is not None:
            event.wait(timeout)
        return self.poll(pid)

    def close(self) -> None:
        """Stop the server; it kills the judges it forked."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


if __name__ == "__main__":
    _serve()
