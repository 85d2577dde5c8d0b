"""The OS sandbox in which candidate code runs (KATA_SPEC section 4; README "Security model").

A :class:`Sandbox` is one contestant process (or the baseline process that runs the reference
and the suite's baselines under the same conditions), started by the judge with
`bubblewrap <https://github.com/containers/bubblewrap>`_:

- new user (uid 65534 inside), PID, network, IPC, UTS and cgroup namespaces, no capabilities,
  ``--die-with-parent``: nothing it starts outlives the judge, and killing the PID
  namespace's first process kills every process in it;
- a read-only view of the interpreter, the system libraries, the bridge (``/kata/rt``), the
  site-packages of the distributions the kata's ``imports`` need (``/kata/site``, see
  :mod:`graders.sitepackages`) and the suite's ``inside.py`` with the kit's sandbox-side
  helpers (``/kata/inside``); the submitted files read-only in a size-limited tmpfs
  (``/kata/work``, the working folder) and a size-limited tmpfs ``/tmp``. Nothing of the kit's
  hidden suites, references, mutants, caches or results is visible;
- no network at all (a Redis client of a Redis kata talks through the channel to the judge,
  see :mod:`graders.bridge.redis_tunnel`);
- resource limits set before any candidate code runs (data segment, address space, file size,
  open files, no core files), and a judge-side watchdog on the whole process tree's resident
  memory and process count;
- ``--device cuda`` binds the NVIDIA device nodes and driver files.

The judge talks to it over a socket pair (:mod:`graders.bridge`). :meth:`Sandbox.freeze` stops
every process of the sandbox (SIGSTOP, repeated until no new process appears) while the judge
times a baseline; :meth:`Sandbox.thaw` resumes them.

Where bubblewrap or user namespaces are unavailable (macOS, a locked-down container) the
contestant runs as a plain child process with the same channel and limits, and the sandbox
says ``isolation = "none"``; grading records it, and cohort and take-home grading refuse it
unless told otherwise.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import psutil

from . import sitepackages
from .bridge.endpoint import Endpoint

BRIDGE_DIR = Path(__file__).resolve().parent / "bridge"
KIT_DIR = Path(__file__).resolve().parent
#: Kit modules a suite's inside.py may import in the sandbox (``from graders.clocks import``).
SANDBOX_KIT_MODULES = ("clocks.py", "virtual_clock_loop.py")
#: What the bridge itself needs in the sandbox.
RUNTIME_PACKAGES = ("msgpack",)
BOOT = "import sys; sys.path.insert(0, {rt!r}); from kata_bridge.serve import main; main()"
ENV = {
    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
    "LANG": "C.UTF-8", "TZ": "UTC",
    # Serve allocations up to 32 MB from the heap and keep freed memory: without this every
    # multi-megabyte tensor is a fresh mmap whose page faults dominate (and randomise) timings.
    "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296",
}  # fmt: skip
_PASS_ENV = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "CUDA_HOME")


class SandboxError(RuntimeError):
    """The sandbox could not be started (a problem of the grading machine)."""


@dataclass
class SandboxSpec:
    """What one sandboxed process gets.

    Attributes:
        label: ``"contestant"`` or ``"baseline"`` (for messages).
        files: ``{name: host path}`` of the files put in its working folder (read-only).
        modules: the module names the judge may import there.
        packages: import names whose distributions are made visible (the kata's ``imports``).
        inside: the suite's ``inside.py``, if it has one.
        memory_mb: resident-memory limit of the whole process tree (and its data segment).
        tmp_mb: size of each tmpfs (``/tmp`` and the working folder).
        max_procs: the most processes it may have at once.
        device: ``"cpu"`` or ``"cuda"``.
        env: extra environment variables (``PYTHONHASHSEED`` ...).
        preload: packages the sandbox imports before it serves (the kata's heavy imports: done
            while the judge is still starting, before any candidate code runs).
        forbidden: dotted names made to raise before candidate code runs (the library shortcut
            a kata asks the candidate to write, reachable through an allowed module).
    """

    label: str
    files: dict[str, Path]
    modules: list[str]
    packages: list[str]
    inside: Path | None = None
    memory_mb: int = 4096
    tmp_mb: int = 256
    max_procs: int = 64
    device: str = "cpu"
    env: dict[str, str] = field(default_factory=dict)
    preload: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)


def isolation_requested() -> str:
    """``KATA_ISOLATION``: ``auto`` (default: bwrap where it works), ``bwrap`` or ``none``."""
    value = os.environ.get("KATA_ISOLATION", "auto").strip().lower() or "auto"
    if value not in ("auto", "bwrap", "none"):
        raise SandboxError(f"KATA_ISOLATION must be auto, bwrap or none, not {value!r}")
    return value


@cache
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot be used here (``None`` when it can): checked once per process
    by starting a trivial sandbox."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    argv = [exe, *_system_binds(), "--unshare-all", "--uid", "65534", "--gid", "65534",
            "--die-with-parent", "--proc", "/proc", "--dev", "/dev",
            "--ro-bind", _python_prefix(), _python_prefix(), _python(), "-I", "-S", "-c", "pass"]  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap failed to start: {exc}"
    if done.returncode != 0:
        text = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
        return f"bubblewrap cannot create namespaces here: {text[:300]}"
    return None


def isolation() -> str:
    """The isolation grading gets on this machine: ``"bwrap"`` or ``"none"``.

    Raises:
        SandboxError: ``KATA_ISOLATION=bwrap`` but bubblewrap does not work here.
    """
    wanted = isolation_requested()
    if wanted == "none":
        return "none"
    problem = bwrap_problem()
    if problem is None:
        return "bwrap"
    if wanted == "bwrap":
        raise SandboxError(problem)
    return "none"


def _python() -> str:
    return os.path.realpath(sys.executable)


def _python_prefix() -> str:
    return os.path.realpath(sys.base_prefix)


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("lib", "lib64", "lib32", "bin", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("ld.so.cache", "localtime", "nsswitch.conf", "passwd", "group"):
        path = Path("/etc") / name
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _cuda_binds() -> list[str]:
    args = []
    for dev in sorted(Path("/dev").glob("nvidia*")):
        args += ["--dev-bind", str(dev), str(dev)]
    for path in ("/usr/local/nvidia", "/usr/local/cuda", "/proc/driver/nvidia", "/sys",
                 "/etc/alternatives"):  # fmt: skip
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def sandbox_env(spec: SandboxSpec) -> dict[str, str]:
    """The environment of a sandboxed process."""
    env = dict(ENV)
    env.update({k: os.environ[k] for k in _PASS_ENV if k in os.environ})
    env.update(spec.env)
    env.update(HOME="/tmp", TMPDIR="/tmp", PATH="/usr/bin:/bin")
    return env


def bwrap_argv(
    spec: SandboxSpec, *, files: dict[str, Path], ctl_dir: Path | None = None
) -> list[str]:
    """bubblewrap's command line for ``spec`` (without the program): namespaces, the read-only
    runtime, the kata's packages, the suite's ``inside.py``, ``files`` in ``/kata/work``, the
    service folder, and ``ctl_dir`` as ``/kata/ctl`` (a zygote's control socket)."""
    tmp = f"{spec.tmp_mb * 2**20}"
    packages = tuple(sorted({*spec.packages, *RUNTIME_PACKAGES}))
    argv = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session",
            "--unshare-all", "--uid", "65534", "--gid", "65534", "--hostname", "kata",
            *_system_binds(), "--proc", "/proc", "--dev", "/dev",
            "--ro-bind", _python_prefix(), _python_prefix(),
            "--size", tmp, "--tmpfs", "/tmp",
            "--tmpfs", "/kata",
            "--ro-bind", str(BRIDGE_DIR), "/kata/rt/kata_bridge",
            "--dir", "/kata/site", "--dir", "/kata/inside",
            "--size", tmp, "--tmpfs", "/kata/work"]  # fmt: skip
    for path, name in sitepackages.site_entries(packages):
        argv += ["--ro-bind", str(path), f"/kata/site/{name}"]
    for name, path in files.items():
        argv += ["--ro-bind", str(path), f"/kata/work/{name}"]
    if spec.inside is not None:
        argv += ["--ro-bind", str(spec.inside), "/kata/inside/inside.py"]
    argv += ["--ro-bind", "/dev/null", "/kata/inside/graders/__init__.py"]
    for name in SANDBOX_KIT_MODULES:
        argv += ["--ro-bind", str(KIT_DIR / name), f"/kata/inside/graders/{name}"]
    if ctl_dir is not None:
        argv += ["--bind", str(ctl_dir), "/kata/ctl"]
    if spec.device == "cuda":
        argv += _cuda_binds()
    argv += ["--chdir", "/kata/work"]
    return argv


def serve_config(spec: SandboxSpec) -> dict:
    """The configuration :func:`graders.bridge.serve.run` gets in the sandbox."""
    return {
        "path": ["/kata/work", "/kata/inside", "/kata/site"],
        "modules": spec.modules,
        "limits": _limits(spec),
        "cwd": "/kata/work",
        "preload": list(spec.preload),
        "forbidden": list(spec.forbidden),
    }


def _limits(spec: SandboxSpec) -> dict:
    mb = 2**20
    memory = spec.memory_mb * mb
    return {
        "data": memory if spec.device == "cpu" else None,
        "as": None if spec.device == "cuda" else memory + 6144 * mb,
        "fsize": spec.tmp_mb * mb,
        "nofile": 1024,
        "core": 0,
    }


class Sandbox:
    """A running sandboxed process and the judge's endpoint to it.

    Raises:
        SandboxError: it could not be started.
    """

    def __init__(
        self,
        spec: SandboxSpec,
        *,
        mode: str | None = None,
        output_dir: Path,
        zygote: ZygoteAddress | None = None,
    ) -> None:
        self.spec = spec
        self.isolation = mode or isolation()
        self.killed: str = ""  # why the watchdog killed it: "oom", "procs"
        self.output_path = Path(output_dir) / f"{spec.label}-{os.getpid()}-{id(self)}.log"
        self._scratch: Path | None = None
        self._frozen = False
        self._lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self._root: int | None = None
        self._ctl: socket.socket | None = None
        judge_end, contestant_end = socket.socketpair()
        self._out = open(self.output_path, "ab")  # noqa: SIM115 - closed in stop()
        try:
            if zygote is not None:
                self._root = self._fork_from(zygote, contestant_end)
            if self._root is None:
                argv, env = self._command(contestant_end.fileno())
                self.proc = subprocess.Popen(
                    argv, env=env, stdin=subprocess.DEVNULL, stdout=self._out,
                    stderr=subprocess.STDOUT, pass_fds=(contestant_end.fileno(),), close_fds=True,
                    cwd=str(self._scratch) if self._scratch else "/",
                )  # fmt: skip
                self._root = self.proc.pid
        except OSError as exc:
            judge_end.close()
            raise SandboxError(f"cannot start the {spec.label} sandbox: {exc}") from exc
        finally:
            contestant_end.close()
        self.endpoint = Endpoint(
            judge_end, role="judge", name=spec.label,
            max_bytes=max(256, spec.memory_mb) * 2**20, service_encoder=_service_encoder,
        )  # fmt: skip
        self.endpoint.before_request = self._thaw_for_call
        self.started = time.monotonic()
        self._watch = threading.Thread(
            target=self._watchdog, daemon=True, name=f"watch-{spec.label}"
        )
        self._watch.start()

    # -- command line --------------------------------------------------------------------

    def _command(self, fd: int) -> tuple[list[str], dict[str, str]]:
        spec = self.spec
        env = sandbox_env(spec)
        packages = tuple(sorted({*spec.packages, *RUNTIME_PACKAGES}))
        if self.isolation == "none":
            return self._plain_command(fd, packages, env)
        argv = bwrap_argv(spec, files=spec.files)
        config = serve_config(spec)
        argv += [
            _python(),
            "-I",
            "-S",
            "-c",
            BOOT.format(rt="/kata/rt"),
            str(fd),
            json.dumps(config),
        ]
        return argv, env

    def _plain_command(
        self, fd: int, packages: tuple, env: dict
    ) -> tuple[list[str], dict[str, str]]:
        """No bubblewrap: the same process in private folders (``isolation = "none"``)."""
        spec = self.spec
        self._scratch = Path(tempfile.mkdtemp(prefix=f"kata-{spec.label}-"))
        work, rt, site, inside = (self._scratch / n for n in ("work", "rt", "site", "inside"))
        for folder in (work, rt, site, inside / "graders", self._scratch / "tmp"):
            folder.mkdir(parents=True)
        (rt / "kata_bridge").symlink_to(BRIDGE_DIR)
        for path, name in sitepackages.site_entries(packages):
            (site / name).symlink_to(path)
        for name, path in spec.files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, work / name)
        if spec.inside is not None:
            shutil.copyfile(spec.inside, inside / "inside.py")
        (inside / "graders" / "__init__.py").write_text("")
        for name in SANDBOX_KIT_MODULES:
            shutil.copyfile(KIT_DIR / name, inside / "graders" / name)
        tmp = str(self._scratch / "tmp")
        env.update(HOME=tmp, TMPDIR=tmp, PATH=os.environ.get("PATH", "/usr/bin:/bin"))
        config = {
            "path": [str(work), str(inside), str(site)],
            "modules": spec.modules,
            "limits": _limits(spec),
            "cwd": str(work),
            "preload": list(spec.preload),
            "forbidden": list(spec.forbidden),
        }
        argv = [_python(), "-I", "-S", "-c", BOOT.format(rt=str(rt)), str(fd), json.dumps(config)]
        return argv, env

    def _fork_from(self, zygote: ZygoteAddress, contestant_end: socket.socket) -> int | None:
        """Ask the zygote for a contestant; returns its host pid (the process that waits for
        the grade's namespaces), or ``None`` when the zygote cannot be reached (the caller
        then starts the sandbox cold)."""
        spec = self.spec
        files = {
            name: base64.b64encode(Path(path).read_bytes()).decode()
            for name, path in spec.files.items()
        }
        request = {"files": files, "serve": serve_config(spec), "env": dict(spec.env)}
        ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ctl.settimeout(60)
        try:
            ctl.connect(zygote.socket)
        except OSError:  # the zygote is gone: this sandbox starts cold
            ctl.close()
            return None
        data = json.dumps(request).encode()
        socket.send_fds(
            ctl, [struct.pack("!I", len(data))], [contestant_end.fileno(), self._out.fileno()]
        )
        ctl.sendall(data)
        head = _recv_exact(ctl, 4)
        reply = json.loads(_recv_exact(ctl, struct.unpack("!I", head)[0]))
        if "pid" not in reply:
            ctl.close()
            raise SandboxError(f"the zygote refused: {reply.get('error')}")
        self._ctl = ctl
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            host = _host_pid(zygote.pid, int(reply["pid"]))
            if host is not None:
                return host
            time.sleep(0.005)
        raise SandboxError("the zygote's child could not be found")

    # -- watching ------------------------------------------------------------------------

    def pids(self) -> list[int]:
        """Every process of the sandbox (the bwrap monitor and all it started), read from
        ``/proc/PID/task/TID/children`` (cheap: no scan of every process on the machine)."""
        if self._root is None:
            return []
        out, todo = [], [self._root]
        while todo:
            pid = todo.pop()
            out.append(pid)
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tasks:
                try:
                    with open(f"/proc/{pid}/task/{tid}/children") as fh:
                        todo.extend(int(c) for c in fh.read().split())
                except (OSError, ValueError):
                    pass
        return out

    def processes(self) -> list[psutil.Process]:
        """:meth:`pids` as ``psutil.Process`` objects."""
        procs = []
        for pid in self.pids():
            try:
                procs.append(psutil.Process(pid))
            except psutil.Error:
                pass
        return procs

    def rss(self) -> int:
        """Resident memory of the whole sandbox, in bytes (from ``/proc/PID/statm``)."""
        total = 0
        page = os.sysconf("SC_PAGE_SIZE")
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/statm") as fh:
                    total += int(fh.read().split()[1]) * page
            except (OSError, ValueError, IndexError):
                pass
        return total

    def _running(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        try:
            return psutil.Process(self._root).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def _watchdog(self) -> None:
        limit = self.spec.memory_mb * 2**20
        while self._running():
            if not self._frozen:
                if len(self.pids()) > self.spec.max_procs + 2:
                    self._kill("procs")
                    return
                if self.rss() > limit:
                    self._kill("oom")
                    return
            time.sleep(0.05)

    def _kill(self, why: str) -> None:
        if not self.killed:
            self.killed = why
        self.stop()

    @property
    def alive(self) -> bool:
        """Whether the process is still running and its channel open."""
        return self._running() and not self.endpoint.closed

    def status(self) -> str:
        """``"running"``, ``"oom"``, ``"procs"`` (too many processes), or ``"exited"``."""
        if self.killed:
            return self.killed
        return "running" if self.alive else "exited"

    # -- freezing ------------------------------------------------------------------------

    def freeze(self) -> None:
        """Stop every process of the sandbox (SIGSTOP), repeating until no new one appears."""
        with self._lock:
            self._frozen = True
            stopped: set[int] = set()
            for _ in range(50):
                fresh = [p for p in self.processes() if p.pid not in stopped]
                if not fresh:
                    break
                for proc in fresh:
                    try:
                        proc.send_signal(signal.SIGSTOP)
                    except psutil.Error:
                        pass
                    stopped.add(proc.pid)
            deadline = time.monotonic() + 1.0  # until every one has actually stopped
            while time.monotonic() < deadline:
                states = []
                for proc in self.processes():
                    try:
                        states.append(proc.status())
                    except psutil.Error:
                        pass
                if all(
                    s in (psutil.STATUS_STOPPED, psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
                    for s in states
                ):
                    return
                time.sleep(0.001)

    def _thaw_for_call(self) -> Callable[[], None] | None:
        """A call into a frozen sandbox (say, an input built in the baseline's sandbox while the
        candidate's side is timed) thaws it for the call; the returned callable freezes it
        again after the reply."""
        if not self._frozen:
            return None
        self.thaw()
        return self.freeze

    def thaw(self) -> None:
        """Resume every process of the sandbox (SIGCONT)."""
        with self._lock:
            for proc in self.processes():
                try:
                    proc.send_signal(signal.SIGCONT)
                except psutil.Error:
                    pass
            self._frozen = False

    # -- output and stopping --------------------------------------------------------------

    def output_since(self, offset: int, limit: int = 4000) -> tuple[str, int]:
        """What the sandbox printed after byte ``offset`` (its tail, at most ``limit``
        characters), and the new offset."""
        try:
            size = self.output_path.stat().st_size
        except OSError:
            return "", offset
        if size <= offset:
            return "", size
        with open(self.output_path, "rb") as fh:
            fh.seek(max(offset, size - limit * 4))
            text = fh.read().decode("utf-8", "replace")
        return text[-limit:], size

    def stop(self) -> None:
        """Kill the sandbox (every process in it) and close the channel. Idempotent."""
        try:
            if self._running():
                for proc in reversed(self.processes()):
                    try:
                        proc.send_signal(signal.SIGKILL)
                    except psutil.Error:
                        pass
                if self.proc is not None:
                    try:
                        self.proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        pass
        finally:
            self.endpoint.close()
            if self._ctl is not None:
                self._ctl.close()
            try:
                self._out.close()
            except OSError:
                pass
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise SandboxError("the zygote closed the connection")
        data += chunk
    return data


def _host_pid(root: int, inner: int) -> int | None:
    """The host pid of the descendant of ``root`` (a zygote's bubblewrap) whose pid in the
    zygote's namespace is ``inner``."""
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("NSpid:"):
                        ids = line.split()[1:]
                        if len(ids) == 2 and ids[1] == str(inner):
                            return pid
                        break
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return None


@dataclass(frozen=True)
class ZygoteAddress:
    """How a judge reaches a zygote: its control socket and the host pid of its bubblewrap."""

    socket: str
    pid: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ZygoteAddress:
        return cls(**json.loads(text))


class Zygote:
    """A warm sandbox that forks contestants (:mod:`graders.bridge.zygote`): started once for
    a kata and a worker slot, it has imported the kata's packages, so each grade's sandbox
    starts in milliseconds. Only on CPU, and only with bubblewrap.

    Raises:
        SandboxError: it could not be started.
    """

    def __init__(self, spec: SandboxSpec, preload: list[str], output_dir: Path) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kata-zygote-"))
        self.dir.chmod(0o755)
        (self.dir / "ctl").mkdir(mode=0o777)
        (self.dir / "ctl").chmod(0o777)
        spec = SandboxSpec(**{**spec.__dict__, "files": {}})
        argv = bwrap_argv(spec, files={}, ctl_dir=self.dir / "ctl")
        config = {
            "path": ["/kata/work", "/kata/inside", "/kata/site"],
            "preload": preload,
            "socket": "/kata/ctl/zygote.sock",
            "tmp_bytes": spec.tmp_mb * 2**20,
        }
        boot = "import sys; sys.path.insert(0, '/kata/rt'); from kata_bridge.zygote import main; main()"
        argv += [_python(), "-I", "-S", "-c", boot, json.dumps(config)]
        self.log = Path(output_dir) / f"{self.dir.name}.log"  # unique: a fresh log per zygote
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(argv, env=sandbox_env(spec), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT, close_fds=True)  # fmt: skip
        deadline = time.monotonic() + 120
        sock = self.dir / "ctl" / "zygote.sock"
        # the socket file appears at bind(), before listen(): a connect in between is refused,
        # so wait for the line the zygote prints once it listens
        while b"zygote: ready" not in self.log.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                text = self.log.read_text(errors="replace")[-2000:]
                self.stop()
                raise SandboxError(f"the zygote did not start: {text}")
            time.sleep(0.02)
        self.address = ZygoteAddress(str(sock), self.proc.pid)

    def stop(self) -> None:
        """Kill the zygote (and any contestant it still has)."""
        if self.proc.poll() is None:
            try:
                for proc in reversed(
                    [
                        psutil.Process(self.proc.pid),
                        *psutil.Process(self.proc.pid).children(recursive=True),
                    ]
                ):
                    proc.send_signal(signal.SIGKILL)
            except psutil.Error:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


def _service_encoder(obj: object) -> list | None:
    """A judge-side service client sent into the sandbox becomes a connection spec there."""
    spec = getattr(obj, "__kata_service__", None)
    if spec is not None and callable(spec):
        return list(spec())
    return None
