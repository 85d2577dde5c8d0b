"""Run one child of the grader (the judge): own process group, wall-clock timeout, memory limit.

The child is started as ``[prlimit --data=N] [timeout -s KILL T] python -I -m pytest ...`` in a
new session (so a whole process group can be killed), with a scrubbed environment; ``timeout``
kills it a little after the limit even if this process is gone. A watchdog poll loop enforces
the wall clock and the resident memory of the whole tree (the judge and its sandboxes), and
kills the group with SIGKILL when either is exceeded; the sandboxes, started with
``--die-with-parent``, go with it. Every outcome becomes a :class:`ChildOutcome`; nothing here
raises for a misbehaving child.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

#: Environment variables passed through to the child; everything else is dropped.
PASSTHROUGH_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES",
                   "LD_LIBRARY_PATH", "CUDA_HOME", "SYSTEMROOT")  # fmt: skip

_OUTPUT_CAP = 64_000  # characters of child output kept

_RUNNING: set[int] = set()  # process groups of children still running
_INTERRUPTED: set[int] = set()  # process groups killed by terminate_all
_RUNNING_LOCK = threading.Lock()


def terminate_all() -> None:
    """Kill every grading child still running (on Ctrl-C of a cohort run); their outcomes say
    ``interrupted``, so no verdict is made of them."""
    with _RUNNING_LOCK:
        groups = list(_RUNNING)
        _INTERRUPTED.update(groups)
    for pgid in groups:
        _kill_group(pgid)


@dataclass(frozen=True)
class ChildOutcome:
    """How a grading child ended."""

    returncode: int | None
    signal: int | None  # the signal that ended it, if any
    timed_out: bool  # the wall clock ran out and the group was killed
    oom: bool  # the memory limit was exceeded (watchdog) or the kernel killed it
    wall_s: float
    output: str  # the tail of its stdout + stderr
    interrupted: bool = False  # killed by terminate_all (the grader was interrupted)
    cpu_share: float | None = None  # at a timeout: CPU time of the whole tree / wall time

    @property
    def crashed(self) -> bool:
        """Ended by a signal that neither the timeout nor the memory watchdog sent."""
        return self.signal is not None and not (self.timed_out or self.oom)


def child_env(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: passthrough variables, a private HOME/TMPDIR, one thread per
    BLAS/OpenMP pool and a page-fault-free allocator (performance gates assume both), and
    ``extra``."""
    env = {k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ}
    env.update(
        HOME=str(tmp), TMPDIR=str(tmp),
        OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
        NUMEXPR_NUM_THREADS="1", MPLBACKEND="Agg", HYPOTHESIS_STORAGE_DIRECTORY=str(tmp / "hyp"),
        # Serve allocations up to 32 MB from the heap and keep freed memory: without this every
        # multi-megabyte tensor is a fresh mmap whose page faults dominate (and randomise) the
        # timings of performance gates.
        GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296",
    )  # fmt: skip
    if extra:
        env.update(extra)
    return env


def _tree(root: psutil.Process, also: Callable[[], list[psutil.Process]] | None) -> list:
    """``root``, its live descendants, and ``also()`` (processes of the same grade that are not
    its descendants: the sandboxes a warm zygote forked for it)."""
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return []
    if also is not None:
        try:
            procs += also()
        except psutil.Error:
            pass
    return procs


def _group_rss(root: psutil.Process, also=None) -> int:
    """Resident bytes of :func:`_tree`."""
    total = 0
    for proc in _tree(root, also):
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def _group_cpu(root: psutil.Process, also=None) -> float:
    """CPU seconds (user + system) of :func:`_tree`."""
    total = 0.0
    for proc in _tree(root, also):
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class _Forked:
    """A judge forked by the fork server, with the parts of ``Popen`` that run_child uses."""

    def __init__(self, server, pid: int) -> None:
        self.server, self.pid, self.returncode = server, pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.server.poll(self.pid)
        return self.returncode

    def wait(self) -> int | None:
        while self.poll() is None:
            self.server.wait(self.pid, 0.5)
        return self.returncode


def run_child(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout_s: float,
    memory_mb: int | None,
    rlimit_data: bool = True,
    poll_s: float = 0.05,
    server=None,
    also: Callable[[], list[psutil.Process]] | None = None,
) -> ChildOutcome:
    """Run ``argv`` (a Python command line, ``argv[0]`` is replaced by this interpreter) and
    wait for it under the limits.

    Args:
        argv: ``["python", "-I", "-m", "pytest", ...]``.
        cwd: working folder.
        env: the child's whole environment (see :func:`child_env`).
        timeout_s: wall-clock limit in seconds for the whole child.
        memory_mb: limit on the group's resident memory; also the per-process data-segment
            limit (``RLIMIT_DATA``) when ``rlimit_data`` is true (not on CUDA, whose driver
            maps large regions).
        server: a :class:`graders.forkserver.ForkServer` to fork the child from (``argv``
            must then be a pytest command line), instead of starting a new interpreter.
        also: the child's processes that are not its descendants (sandboxes forked by a
            zygote), counted in its memory and, at a timeout, in its CPU share.
    """
    cmd = [sys.executable, *argv[1:]]
    prefix: list[str] = []
    # A wall clock of its own: if this process dies (a killed queue worker), `timeout` still
    # ends the child a little after the limit instead of leaving it running forever.
    relayed = shutil.which("timeout") is not None
    if relayed:
        prefix = [
            shutil.which("timeout") or "timeout",
            "-s",
            "KILL",
            f"{int(timeout_s) + 5}s",
            *prefix,
        ]
    if memory_mb and rlimit_data and shutil.which("prlimit"):
        limit = memory_mb * 1024 * 1024
        prefix = [shutil.which("prlimit") or "prlimit", f"--data={limit}:{limit}", *prefix]
    with tempfile.NamedTemporaryFile(mode="w+b") as out:
        start = time.monotonic()
        if server is not None:
            proc = _Forked(server, server.spawn(argv[4:], cwd, env, Path(out.name)))
            relayed = False
        else:
            proc = subprocess.Popen(
                prefix + cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        pgid = proc.pid
        with _RUNNING_LOCK:
            _RUNNING.add(pgid)
        timed_out = oom = False
        cpu_share: float | None = None
        try:
            try:
                watched: psutil.Process | None = psutil.Process(proc.pid)
            except psutil.Error:  # already gone
                watched = None
            limit_bytes = memory_mb * 1024 * 1024 if memory_mb else None
            while proc.poll() is None:
                if time.monotonic() - start > timeout_s:
                    timed_out = True
                    if watched is not None:  # was it running, or starved by a busy machine?
                        cpu_share = _group_cpu(watched, also) / max(1e-9, time.monotonic() - start)
                    _kill_group(pgid)
                    break
                if limit_bytes and watched and _group_rss(watched, also) > limit_bytes:
                    oom = True
                    _kill_group(pgid)
                    break
                time.sleep(poll_s)
            proc.wait()
        finally:
            _kill_group(pgid)  # anything the child left behind in its group
            with _RUNNING_LOCK:
                _RUNNING.discard(pgid)
                interrupted = pgid in _INTERRUPTED
                _INTERRUPTED.discard(pgid)
        wall = time.monotonic() - start
        out.seek(0, os.SEEK_END)
        size = out.tell()
        out.seek(max(0, size - _OUTPUT_CAP * 4))
        output = out.read().decode("utf-8", "replace")[-_OUTPUT_CAP:]
    rc = proc.returncode
    sig = -rc if rc is not None and rc < 0 else None
    if relayed and rc is not None and rc > 128:
        sig = rc - 128  # `timeout` reports a child killed by signal N as 128 + N
    elif relayed and rc == 124:
        timed_out = True  # `timeout` itself hit the limit
    if interrupted:
        return ChildOutcome(rc, sig, False, False, wall, output, interrupted=True)
    if sig == signal.SIGKILL and not timed_out and not oom:
        oom = True  # SIGKILL from outside: the kernel's OOM killer is by far the likeliest
    return ChildOutcome(rc, sig, timed_out, oom, wall, output, cpu_share=cpu_share)
