"""The contestant sandbox (graders.sandbox): what candidate code can see and do, started cold
and forked from a zygote, and the judge's controls (memory, processes, freezing, stopping)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import psutil
import pytest

from graders import paths
from graders.bridge.frames import PeerClosed
from graders.sandbox import Sandbox, SandboxSpec, Zygote, bwrap_problem, isolation

PROBE = """
import os, socket, sys, time

def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return f"error: {exc.strerror}"

def write(path, data="x"):
    try:
        with open(path, "w") as fh:
            fh.write(data)
        return "written"
    except OSError as exc:
        return f"error: {exc.strerror}"

def read(path):
    try:
        with open(path) as fh:
            return fh.read(200)
    except OSError as exc:
        return f"error: {exc.strerror}"

def connect_unix(path):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        return "connected"
    except OSError as exc:
        return f"error: {exc.strerror}"

def connect_tcp(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2)
        return "connected"
    except OSError as exc:
        return f"error: {exc.strerror}"

def caps():
    with open("/proc/self/status") as fh:
        return [l.split()[1] for l in fh if l.startswith("CapEff")][0]

def ids():
    return os.getuid(), os.getpid()

def spawn_sleeper():
    import subprocess
    return subprocess.Popen(["sleep", "777.25"], start_new_session=True).pid

def allocate(mb):
    global HOLD
    HOLD = bytearray(mb * 2**20)
    for i in range(0, len(HOLD), 4096):
        HOLD[i] = 1
    return len(HOLD)

def fork_many(n):
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        pids.append(pid)
    return len(pids)

def fill(path, mb):
    try:
        with open(path, "w") as fh:
            for _ in range(mb):
                fh.write("x" * 2**20)
        return "written"
    except OSError as exc:
        return f"error: {exc.strerror}"

def np_sum(xs):
    import numpy
    return float(numpy.sum(xs))

def spin():
    import threading
    def loop():
        while True:
            pass
    threading.Thread(target=loop, daemon=True).start()
    return True

def count():
    global N
    N = globals().get("N", 0) + 1
    return N
"""

pytestmark = pytest.mark.skipif(
    isolation() != "bwrap", reason=f"no sandbox here: {bwrap_problem() or 'KATA_ISOLATION=none'}"
)


@pytest.fixture(scope="module")
def probe_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("probe")
    folder.chmod(0o755)
    path = folder / "probe.py"
    path.write_text(PROBE)
    path.chmod(0o644)
    return path


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    spec = SandboxSpec("zygote", {}, [], ["numpy"])
    z = Zygote(spec, ["numpy"], tmp_path_factory.mktemp("zlog"))
    yield z.address
    z.stop()


@pytest.fixture(params=["cold", "zygote"])
def box(request, probe_file, tmp_path):
    """A sandbox holding the probe module, started cold or forked from a zygote."""
    spec = SandboxSpec("contestant", {"probe.py": probe_file}, ["probe"], ["numpy"], memory_mb=512)
    address = request.getfixturevalue("zygote") if request.param == "zygote" else None
    sandbox = Sandbox(spec, output_dir=tmp_path, zygote=address)
    yield sandbox
    sandbox.stop()


def probe(box):
    return box.endpoint.root("probe")


def test_the_sandbox_sees_only_the_runtime_and_its_files(box):
    """The kit's hidden suites, references, caches and the grader's home are not there; the
    submitted file is, read-only; the root is read-only; no capabilities, uid 65534."""
    p = probe(box)
    assert p.listing("/kata/work") == ["probe.py"]
    for secret in (
        str(paths.kit_root()),
        str(paths.suites_dir()),
        str(paths.cache_dir()),
        "/root/.cache",
        "/work",
    ):
        assert isinstance(p.listing(secret), str), f"{secret} is visible"
    assert p.write("/kata/work/probe.py").startswith("error")
    assert p.write("/usr/evil").startswith("error")
    assert p.caps() == "0000000000000000"
    assert p.ids()[0] == 65534


def test_tmp_is_private_and_limited(box):
    """/tmp is writable, small, and holds nothing of other runs."""
    p = probe(box)
    assert p.listing("/tmp") == []
    assert p.write("/tmp/x") == "written"
    assert p.fill("/tmp/big", 300).startswith("error")


def test_no_network_and_no_host_sockets(box, tmp_path):
    """Neither 127.0.0.1 of the host nor a Unix socket on its file system is reachable."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    path = Path(f"/tmp/sbx-{id(box)}.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(path))
    unix.listen(1)
    try:
        p = probe(box)
        assert p.connect_tcp(server.getsockname()[1]).startswith("error")
        assert p.connect_unix(str(path)).startswith("error")
    finally:
        server.close()
        unix.close()
        path.unlink(missing_ok=True)


def test_zygote_children_cannot_reach_the_zygote(zygote, probe_file, tmp_path):
    """A forked contestant sees no control socket, and two grades forked one after the other
    share neither /tmp nor module state."""
    spec = SandboxSpec("contestant", {"probe.py": probe_file}, ["probe"], ["numpy"], memory_mb=512)
    first = Sandbox(spec, output_dir=tmp_path, zygote=zygote)
    try:
        p = probe(first)
        assert p.listing("/kata/ctl") == []
        assert p.connect_unix("/kata/ctl/zygote.sock").startswith("error")
        assert p.write("/tmp/left-behind") == "written" and p.count() == 1
        assert p.ids()[1] == 1  # the first process of its own PID namespace
    finally:
        first.stop()
    second = Sandbox(spec, output_dir=tmp_path, zygote=zygote)
    try:
        p = probe(second)
        assert p.listing("/tmp") == [] and p.count() == 1
    finally:
        second.stop()


def test_stop_ends_every_process(box):
    """A process started in its own session inside the sandbox dies when the sandbox stops."""
    probe(box).spawn_sleeper()
    time.sleep(0.3)
    assert any("777.25" in " ".join(p.cmdline()) for p in box.processes())
    box.stop()
    time.sleep(0.3)
    alive = [
        p for p in psutil.process_iter(["cmdline"]) if "777.25" in " ".join(p.info["cmdline"] or [])
    ]
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def test_memory_beyond_the_limit_is_refused_or_killed(box):
    """2 GB in a 512 MB sandbox: the data-segment limit refuses it (MemoryError), or the
    watchdog ends the sandbox, marked oom; either way the call fails."""
    with pytest.raises((PeerClosed, MemoryError, OSError)):
        probe(box).allocate(2000)
    time.sleep(0.2)
    assert box.status() in ("oom", "running")


@pytest.mark.parametrize("mode", ["cold", "zygote"])
def test_too_many_processes_are_killed(mode, probe_file, tmp_path, request):
    """More processes than max_procs end the sandbox, marked procs."""
    spec = SandboxSpec("contestant", {"probe.py": probe_file}, ["probe"], ["numpy"], memory_mb=8192)
    address = request.getfixturevalue("zygote") if mode == "zygote" else None
    box = Sandbox(spec, output_dir=tmp_path, zygote=address)
    request.addfinalizer(box.stop)
    try:
        probe(box).fork_many(100)
    except Exception:  # noqa: BLE001 - the kill may cut the call short
        pass
    deadline = time.monotonic() + 5
    while box.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    assert box.status() == "procs"


def test_freeze_stops_everything(box):
    """freeze() stops every process of the sandbox; thaw() resumes them."""
    p = probe(box)
    p.count()
    box.freeze()
    assert {pr.status() for pr in box.processes()} == {psutil.STATUS_STOPPED}
    box.thaw()
    assert p.count() == 2


def test_a_call_into_a_frozen_sandbox_thaws_it_for_the_call(box):
    """A gate's input built in the other side's sandbox while it is frozen (the candidate's
    side being timed) is answered, not a deadlock; the sandbox is frozen again after."""
    p = probe(box)
    p.count()
    box.freeze()
    assert p.count() == 2
    assert {pr.status() for pr in box.processes()} == {psutil.STATUS_STOPPED}
    box.thaw()
    assert p.count() == 3


def test_forbidden_names_raise_in_the_contestant(probe_file, tmp_path):
    """A name the kata forbids (here numpy.sum) raises inside the contestant's sandbox, with
    a message saying why."""
    spec = SandboxSpec("contestant", {"probe.py": probe_file}, ["probe"], ["numpy"],
                       forbidden=["numpy.sum"])  # fmt: skip
    box = Sandbox(spec, output_dir=tmp_path)
    try:
        with pytest.raises(RuntimeError, match="numpy.sum is not allowed in this kata"):
            probe(box).np_sum([1.0, 2.0])
    finally:
        box.stop()


def test_a_zygote_is_ready_when_it_listens_and_a_lost_one_means_a_cold_start(probe_file, tmp_path):
    """``Zygote`` returns only once its socket accepts connections (the file exists from
    ``bind()``, before ``listen()``: CI once saw every sandbox of a grade refused there), and a
    sandbox whose zygote cannot be reached starts cold instead of failing the grade."""
    z = Zygote(SandboxSpec("zygote", {}, [], ["numpy"]), ["numpy"], tmp_path)
    try:
        conn = socket.socket(socket.AF_UNIX)
        conn.connect(z.address.socket)  # refused if it were not yet listening
        conn.close()
        address = z.address
    finally:
        z.stop()
    spec = SandboxSpec("contestant", {"probe.py": probe_file}, ["probe"], ["numpy"], memory_mb=512)
    sandbox = Sandbox(spec, output_dir=tmp_path, zygote=address)
    try:
        assert sandbox.proc is not None  # started cold: the zygote is gone
        assert probe(sandbox).np_sum([1, 2]) == 3.0
    finally:
        sandbox.stop()


def test_a_contestant_dies_with_its_judge_s_connection(zygote, probe_file, tmp_path):
    """A judge killed at its grade's timeout never runs ``stop()``: the zygote sees the control
    connection close and kills the contestants it forked for it, even one spinning in a loop
    (a cohort once kept such orphans burning a core for the rest of the run)."""
    spec = SandboxSpec("contestant", {"probe.py": probe_file}, ["probe"], ["numpy"], memory_mb=512)
    sandbox = Sandbox(spec, output_dir=tmp_path, zygote=zygote)
    try:
        assert probe(sandbox).spin() is True
        procs = [psutil.Process(pid) for pid in sandbox.pids()]
        assert len(procs) >= 2  # the zygote's child and the grandchild that serves
        sandbox._ctl.close()  # what the judge's death does to its end of the connection
        gone, alive = psutil.wait_procs(procs, timeout=15)
        assert not alive, f"still running after the judge went away: {alive}"
    finally:
        sandbox.stop()
