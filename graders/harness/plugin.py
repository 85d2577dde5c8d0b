"""The pytest plugin loaded into every grading child (``-p graders.harness.plugin``).

It gives hidden suites their fixtures (``candidate``, ``reference``, ``kata_seed``, ``rng``,
``device``, ``perf``, ``redis_client``), registers the markers (``perf``, ``gpu``, ``weight``,
``hidden_detail``), installs the socket guard, and streams one JSON line per test to the report
file the parent reads. Lines are flushed as they are written, so a run killed half-way still
leaves the results of every test that finished.

The parent never trusts this report alone: it compares it with the test ids it collected itself
(:mod:`graders.collect`) and counts a missing test as failed.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import zlib
from pathlib import Path

import pytest

from . import guard

_MAX_TEXT = 4000  # characters of message / output kept per test

OOM_MARKERS = (
    "MemoryError",
    "can't allocate memory",
    "CUDA out of memory",
    "Cannot allocate memory",
)
TIMEOUT_MARKER = "Timeout (>"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kata", "kata-kit grading harness")
    group.addoption("--kata-report", default=None, help="JSON-lines report file to write")
    group.addoption("--kata-seed", type=int, default=0, help="grading seed")
    group.addoption("--kata-device", default="cpu", choices=["cpu", "cuda"])
    group.addoption("--kata-reference", default=None, help="folder of the reference solution")
    group.addoption("--kata-modules", default="", help="comma-separated candidate modules")
    group.addoption("--kata-net-allow", default="", help="comma-separated socket allowlist")
    group.addoption("--kata-redis-url", default=None, help="real Redis server for Redis katas")
    group.addoption("--kata-guard", default="on", choices=["on", "off"])


# -- markers and configuration ---------------------------------------------------------------

MARKERS = (
    "perf: a performance gate (ratio against a baseline or between two sizes)",
    "gpu: needs CUDA; skipped with a reason under --kata-device cpu",
    "weight(n): points of this test inside its part (default 1)",
    "hidden_detail: inputs and outputs withheld from candidate-facing reports",
    "real_redis: needs a real Redis server (--redis-url); skipped and not graded under fakeredis",
)


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    allow = [a for a in config.getoption("--kata-net-allow").split(",") if a]
    if config.getoption("--kata-report") and config.getoption("--kata-guard") == "on":
        guard.install(allow)
    config.pluginmanager.register(_Recorder(config), "kata-recorder")
    try:  # hypothesis: no deadline (machines are shared), no example database on disk
        from hypothesis import settings

        settings.register_profile("kata", deadline=None, database=None, print_blob=True)
        settings.load_profile("kata")
    except ImportError:  # pragma: no cover - hypothesis is a dependency of the kit
        pass


#: Per-test timeout floor of performance gates: two measurements of up to ~10 s each, on a
#: machine that may be busy, must never end as a timeout.
PERF_TIMEOUT_FLOOR_S = 90.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        ini_timeout = float(config.getini("timeout") or 0)
    except (ValueError, KeyError):
        ini_timeout = 0.0
    for item in items:
        if item.get_closest_marker("perf") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(max(ini_timeout, PERF_TIMEOUT_FLOOR_S)))
    if config.getoption("--kata-device") != "cuda":
        skip = pytest.mark.skip(reason="needs CUDA: graded with --device cpu")
        for item in items:
            if item.get_closest_marker("gpu"):
                item.add_marker(skip)
    if not config.getoption("--kata-redis-url"):
        skip = pytest.mark.skip(reason="needs a real Redis server: graded without --redis-url")
        for item in items:
            if item.get_closest_marker("real_redis"):
                item.add_marker(skip)


def item_info(item: pytest.Item) -> dict:
    """What the parent needs to know of a collected test: id, docstring, markers, weight."""
    func = getattr(item, "function", None)
    doc = (getattr(func, "__doc__", None) or "").strip().splitlines()
    weight = item.get_closest_marker("weight")
    ignored = {"parametrize", "skip", "skipif", "usefixtures", "filterwarnings", "timeout"}
    return {
        "nodeid": item.nodeid,
        "doc": doc[0].strip() if doc else "",
        "perf": item.get_closest_marker("perf") is not None,
        "gpu": item.get_closest_marker("gpu") is not None,
        "hidden_detail": item.get_closest_marker("hidden_detail") is not None,
        "weight": float(weight.args[0]) if weight and weight.args else 1.0,
        "tags": sorted({m.name for m in item.iter_markers()} - ignored),
    }


def machine_info(config: pytest.Config) -> dict:
    """CPU model, cores, library versions and (on CUDA) the device name."""
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "device": config.getoption("--kata-device"),
    }
    for lib in ("numpy", "torch", "pandas", "scipy"):
        module = sys.modules.get(lib)
        if module is not None:
            info[lib] = getattr(module, "__version__", "?")
    if info["device"] == "cuda" and "torch" in sys.modules:
        torch = sys.modules["torch"]
        if torch.cuda.is_available():
            info["device_name"] = torch.cuda.get_device_name()
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _classify(report: pytest.TestReport) -> str:
    if report.passed:
        return "passed"
    if report.skipped:
        return "skipped"
    text = report.longreprtext or ""
    if TIMEOUT_MARKER in text:
        return "timeout"
    if any(marker in text for marker in OOM_MARKERS):
        return "oom"
    return "failed" if report.when == "call" else "error"


def _message(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message[:_MAX_TEXT]
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # skip: (file, line, reason)
        return str(longrepr[2])[:_MAX_TEXT]
    return str(longrepr)[:_MAX_TEXT] if longrepr else ""


class _Recorder:
    """Streams collection, machine and per-test records to the report file."""

    def __init__(self, config: pytest.Config):
        path = config.getoption("--kata-report")
        self._fh = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115
        self._config = config
        self._partial: dict[str, dict] = {}

    def _write(self, record: dict) -> None:
        if self._fh is not None:
            self._fh.write(json.dumps(record, default=str) + "\n")
            self._fh.flush()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._write({"kind": "collected", "items": [item_info(i) for i in session.items]})

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        # after collection, so the libraries the suite imports are loaded and their versions known
        self._write({"kind": "machine", "machine": machine_info(self._config)})

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self._partial.setdefault(
            report.nodeid,
            {"kind": "test", "nodeid": report.nodeid, "status": "passed", "message": "",
             "output": "", "duration_s": 0.0, "properties": {}},
        )  # fmt: skip
        entry["duration_s"] += report.duration
        for name, value in report.user_properties:
            entry["properties"][name] = value
        status = _classify(report)
        if entry["status"] == "passed" and status != "passed":
            entry["status"] = status
            entry["message"] = _message(report)
            entry["output"] = (report.longreprtext or "")[-_MAX_TEXT:]
        captured = (report.capstdout or "") + (report.capstderr or "")
        if captured and report.when != "teardown":
            entry["output"] = (entry["output"] + "\n--- captured output ---\n" + captured)[
                -_MAX_TEXT:
            ]
        if report.when == "teardown":
            self._write(self._partial.pop(report.nodeid))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        for entry in self._partial.values():
            self._write(entry)  # tests whose teardown never reported
        self._partial.clear()
        self._write({"kind": "finish", "exitstatus": int(exitstatus)})
        if self._fh is not None:
            self._fh.close()
            self._fh = None


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kata_seed(request: pytest.FixtureRequest) -> int:
    """The grading seed (secret during grading, recorded in the result)."""
    return int(request.config.getoption("--kata-seed"))


def _stream_seed(seed: int, nodeid: str) -> list[int]:
    return [seed, zlib.crc32(nodeid.encode())]


@pytest.fixture
def rng(request: pytest.FixtureRequest, kata_seed: int):
    """A ``numpy.random.Generator`` seeded from the grading seed and this test's id."""
    import numpy as np

    return np.random.default_rng(_stream_seed(kata_seed, request.node.nodeid))


@pytest.fixture
def torch_gen(request: pytest.FixtureRequest, kata_seed: int, device: str):
    """A ``torch.Generator`` on ``device`` seeded from the grading seed and this test's id."""
    import torch

    gen = torch.Generator(device=device)
    seed = _stream_seed(kata_seed, request.node.nodeid)
    gen.manual_seed(seed[0] * 2**32 + seed[1])
    return gen


@pytest.fixture(scope="session")
def device(request: pytest.FixtureRequest) -> str:
    """``"cpu"`` or ``"cuda"``: where tensors of this run live."""
    dev = request.config.getoption("--kata-device")
    if dev == "cuda":
        import torch

        if not torch.cuda.is_available():
            pytest.exit("--device cuda was asked for but CUDA is not available", returncode=4)
    return dev


class _Loader:
    """Imports modules once per session and replays an import failure for every test."""

    def __init__(self, allowed: list[str], load):
        self._allowed = allowed
        self._load = load
        self._cache: dict[str, object] = {}

    def __call__(self, name: str):
        if name not in self._allowed:
            raise KeyError(f"{name!r} is not one of this kata's modules {self._allowed}")
        if name not in self._cache:
            try:
                self._cache[name] = self._load(name)
            except BaseException as exc:  # noqa: BLE001 - replayed below, with its cause
                self._cache[name] = exc
        value = self._cache[name]
        if isinstance(value, BaseException):
            if TIMEOUT_MARKER in str(value):
                pytest.fail(f"importing {name}.py timed out: {value}", pytrace=False)
            pytest.fail(
                f"importing {name}.py failed: {type(value).__name__}: {value}", pytrace=False
            )
        return value


@pytest.fixture(scope="session")
def candidate(request: pytest.FixtureRequest) -> _Loader:
    """``candidate("module")``: the submitted module (imported once, failure replayed)."""
    modules = [m for m in request.config.getoption("--kata-modules").split(",") if m]
    return _Loader(modules, importlib.import_module)


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest) -> _Loader:
    """``reference("module")``: the kit's reference solution, isolated from the candidate's."""
    folder = request.config.getoption("--kata-reference")
    modules = [m for m in request.config.getoption("--kata-modules").split(",") if m]
    if not folder:
        raise RuntimeError("the grading run was started without --kata-reference")
    return _Loader(modules, lambda name: _import_isolated(Path(folder), name, modules))


def _only_module(request: pytest.FixtureRequest) -> str:
    modules = [m for m in request.config.getoption("--kata-modules").split(",") if m]
    if len(modules) != 1:
        raise RuntimeError(
            f"the sol/ref fixtures serve katas with one module, this one has {modules}: "
            "use candidate(name) and reference(name)"
        )
    return modules[0]


@pytest.fixture(scope="module")
def sol(candidate: _Loader, request: pytest.FixtureRequest):
    """The submitted module of a one-module kata (``candidate(name)`` for the others).

    Raises:
        RuntimeError: the kata has several modules, or none.
    """
    return candidate(_only_module(request))


@pytest.fixture(scope="module")
def ref(reference: _Loader, request: pytest.FixtureRequest):
    """The reference module of a one-module kata (``reference(name)`` for the others).

    Raises:
        RuntimeError: the kata has several modules, or none.
    """
    return reference(_only_module(request))


def _import_isolated(folder: Path, name: str, siblings: list[str]):
    """Import ``folder/name.py`` as ``_kata_reference.name`` without touching the candidate's
    modules of the same names (siblings resolve to the reference's own files)."""
    saved = {m: sys.modules.pop(m) for m in siblings if m in sys.modules}
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(name)
        for m in siblings:
            if m in sys.modules:
                sys.modules[f"_kata_reference.{m}"] = sys.modules.pop(m)
        return module
    finally:
        sys.path.remove(str(folder))
        for m in siblings:
            sys.modules.pop(m, None)
        sys.modules.update(saved)


@pytest.fixture
def kata_redis(request: pytest.FixtureRequest):
    """A :class:`graders.redis_support.KataRedis`: client, key prefix, round-trip counter.

    fakeredis (a fresh server per test) unless the run was given ``--redis-url``; with a real
    server only this test's prefixed keys are deleted afterwards.
    """
    from graders.redis_support import open_redis

    handle = open_redis(request.config.getoption("--kata-redis-url"))
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def perf(request: pytest.FixtureRequest, device: str, record_property):
    """The performance-gate helper (:class:`graders.perf.Perf`) bound to this test."""
    from graders.perf import Perf

    return Perf(device=device, record=record_property)


def pytest_report_header(config: pytest.Config) -> str:
    return f"kata harness: seed={config.getoption('--kata-seed')}"
