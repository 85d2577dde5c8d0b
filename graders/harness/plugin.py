"""The pytest plugin of the judge process (``-p graders.harness.plugin``).

The judge runs pytest, the hidden tests, their oracles and the clock; it never imports candidate
code. The plugin gives hidden suites their fixtures: ``sol``/``candidate(name)`` (the submitted
modules, served from the contestant sandbox), ``ref``/``reference(name)`` (the reference, served
from the baseline sandbox), ``inside(sol)``/``inside(ref)`` (the suite's ``inside.py`` in that
sandbox), ``kata_seed``, ``rng``, ``torch_gen``, ``device``, ``perf``, ``kata_redis`` and
``kata_session``. It registers the markers (``perf``, ``gpu``, ``weight``, ``hidden_detail``,
``real_redis``) and streams one JSON line per test to the report file the parent reads (a path
no sandbox can see). Lines are flushed as they are written, so a run killed half-way still leaves
the results of every test that finished.

What a sandbox printed during a test is attached to that test's output; a sandbox killed for
memory or for starting too many processes marks the test that was running ``oom``, and is
replaced before the next test (see :mod:`graders.harness.session`).

The parent never trusts this report alone: it compares it with the test ids it collected itself
(:mod:`graders.collect`) and counts a missing test as failed.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import zlib
from pathlib import Path

import pytest

_MAX_TEXT = 4000  # characters of message / output kept per test

OOM_MARKERS = (
    "MemoryError",
    "can't allocate memory",
    "CUDA out of memory",
    "Cannot allocate memory",
)
TIMEOUT_MARKER = "Timeout (>"
SANDBOX_EVENTS = {
    "oom": "the submission's process used more memory than the kata allows and was killed",
    "procs": "the submission's process started too many processes and was killed",
    "crashed": "the submission's process ended during this test (a crash or an exit)",
    "broken": "this test was stopped in the middle of a call into the submission",
    "unstartable": "the grading machine could not start a sandbox (not the submission's fault)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kata", "kata-kit grading harness")
    group.addoption("--kata-report", default=None, help="JSON-lines report file to write")
    group.addoption("--kata-seed", type=int, default=0, help="grading seed")
    group.addoption("--kata-device", default="cpu", choices=["cpu", "cuda"])
    group.addoption("--kata-reference", default=None, help="folder of the reference solution")
    group.addoption("--kata-candidate", default=None, help="folder of the submitted files")
    group.addoption("--kata-modules", default="", help="comma-separated candidate modules")
    group.addoption("--kata-imports", default="", help="packages the sandboxes may import")
    group.addoption("--kata-memory-mb", type=int, default=4096, help="memory of a sandbox")
    group.addoption("--kata-services", default="", help="comma-separated services (redis)")
    group.addoption(
        "--kata-forbidden", default="", help="dotted names that raise in the contestant"
    )
    group.addoption("--kata-redis-url", default=None, help="a Redis server for Redis katas")
    group.addoption("--kata-isolation", default=None, choices=["bwrap", "none"])
    group.addoption("--kata-zygote", default=None, help="a warm zygote's address (JSON)")


# -- markers and configuration ---------------------------------------------------------------

MARKERS = (
    "perf: a performance gate (ratio against a baseline or between two sizes)",
    "gpu: needs CUDA; skipped with a reason under --kata-device cpu",
    "weight(n): points of this test inside its part (default 1)",
    "hidden_detail: inputs and outputs withheld from candidate-facing reports",
    "real_redis: needs a real Redis server; skipped and not graded under fakeredis",
    "rules(*ids): the statement's numbered rules this test checks (rules('R1', 'R3'))",
)


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
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
    from graders.services import real_redis_available

    if not real_redis_available(config.getoption("--kata-redis-url")):
        skip = pytest.mark.skip(reason="needs a real Redis server (--redis-url or redis-server)")
        for item in items:
            if item.get_closest_marker("real_redis"):
                item.add_marker(skip)


def item_info(item: pytest.Item) -> dict:
    """What the parent needs to know of a collected test: id, docstring, markers, weight."""
    func = getattr(item, "function", None)
    doc = (getattr(func, "__doc__", None) or "").strip().splitlines()
    weight = item.get_closest_marker("weight")
    ignored = {"parametrize", "skip", "skipif", "usefixtures", "filterwarnings", "timeout", "rules"}
    rules = sorted({str(r) for m in item.iter_markers("rules") for r in m.args})
    return {
        "nodeid": item.nodeid,
        "doc": doc[0].strip() if doc else "",
        "perf": item.get_closest_marker("perf") is not None,
        "gpu": item.get_closest_marker("gpu") is not None,
        "hidden_detail": item.get_closest_marker("hidden_detail") is not None,
        "weight": float(weight.args[0]) if weight and weight.args else 1.0,
        "tags": sorted({m.name for m in item.iter_markers()} - ignored),
        "rules": rules,
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


_HIDDEN_NAMES = re.compile(r"\b(?:hidden|graders)\.[\w.]*\.(?=\w)")
_GRADING_PATHS = re.compile(r"(?:/tmp/kata-[^\s'\"():,]*|/kata/(?:rt|site|inside)/[^\s'\"():,]*)")
_FIXTURE_ARG = re.compile(
    r"^\s+\w+=.*(?:<class |<function |namespace\(|<module |<graders\.|object at 0x).*$", re.M
)


def for_candidate(text: str) -> str:
    """A message as a candidate may see it: no module names or paths of the hidden suite and
    the grader, no fixture arguments of a hypothesis example (its data arguments stay)."""
    text = _FIXTURE_ARG.sub("", text)
    text = _HIDDEN_NAMES.sub("", text)
    text = _GRADING_PATHS.sub("<grader>", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
             "output": "", "reviewer": "", "duration_s": 0.0, "properties": {}},
        )  # fmt: skip
        entry["duration_s"] += report.duration
        for name, value in report.user_properties:
            entry["properties"][name] = value
        status = _classify(report)
        event = entry["properties"].get("sandbox_event")
        if event and status not in ("passed", "skipped"):
            entry["status"] = "oom" if event == "oom" else status
            entry["message"] = (
                SANDBOX_EVENTS.get(event, event) + f" ({for_candidate(_message(report))[:500]})"
            )
            entry["reviewer"] = (report.longreprtext or "")[-_MAX_TEXT:]
        elif entry["status"] == "passed" and status != "passed":
            entry["status"] = status
            entry["message"] = for_candidate(_message(report))
            entry["reviewer"] = (report.longreprtext or "")[-_MAX_TEXT:]
        captured = (report.capstdout or "") + (report.capstderr or "")
        if captured and report.when != "teardown":  # the hidden test's own prints: reviewers'
            entry["reviewer"] = (entry["reviewer"] + "\n--- captured output ---\n" + captured)[
                -_MAX_TEXT:
            ]
        sandbox = entry["properties"].pop("sandbox_output", "")
        if sandbox:  # what the submission printed: the candidate's own
            entry["output"] = for_candidate(sandbox)[-_MAX_TEXT:]
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


@pytest.fixture(scope="session")
def kata_session(request: pytest.FixtureRequest):
    """The grading run's sandboxes and services (:class:`graders.harness.session.Session`)."""
    session = getattr(request.config, "_kata_session", None) or _make_session(request.config)
    yield session
    session.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the sandboxes the collected tests will need as soon as collection ends, so their
    imports overlap the judge's."""
    config = session.config
    if config.getoption("collectonly") or not config.getoption("--kata-report"):
        return
    if not config.getoption("--kata-candidate") or not session.items:
        return
    names = {n for item in session.items for n in getattr(item, "fixturenames", ())}
    roles = ["contestant"] if names & {"sol", "candidate", "inside", "perf"} else []
    if names & {"ref", "reference", "baseline"}:
        roles.append("baseline")
    if roles:
        _make_session(config).prestart(roles)


def _make_session(config: pytest.Config):
    from ..sandbox import ZygoteAddress
    from .session import Session, SessionConfig

    existing = getattr(config, "_kata_session", None)
    if existing is not None:
        return existing
    opt = config.getoption

    def split(name: str) -> list[str]:
        return [x for x in (opt(name) or "").split(",") if x]

    hidden = Path(str(config.rootpath)) / "hidden"
    inside, baseline = hidden / "inside.py", hidden / "baseline.py"
    session_config = SessionConfig(
        modules=split("--kata-modules"), imports=split("--kata-imports"),
        candidate_dir=Path(opt("--kata-candidate")) if opt("--kata-candidate") else None,
        reference_dir=Path(opt("--kata-reference")) if opt("--kata-reference") else None,
        inside=inside if inside.is_file() else None, memory_mb=opt("--kata-memory-mb"),
        baseline=baseline if baseline.is_file() else None,
        device=opt("--kata-device"), services=split("--kata-services"),
        forbidden=split("--kata-forbidden"),
        redis_url=opt("--kata-redis-url"), isolation=opt("--kata-isolation"),
        zygote=ZygoteAddress.from_json(opt("--kata-zygote")) if opt("--kata-zygote") else None,
    )  # fmt: skip
    session = Session(session_config)
    config._kata_session = session  # for the per-test hooks below
    return session


def _module_names(request: pytest.FixtureRequest) -> list[str]:
    return [m for m in request.config.getoption("--kata-modules").split(",") if m]


def _handle(session, role: str, allowed: list[str], name: str):
    from .session import ModuleHandle

    if name not in allowed:
        raise KeyError(f"{name!r} is not one of this kata's modules {allowed}")
    return ModuleHandle(session, role, name)


@pytest.fixture(scope="session")
def candidate(request: pytest.FixtureRequest, kata_session):
    """``candidate("module")``: the submitted module, served from the contestant sandbox."""
    allowed = _module_names(request)
    return lambda name: _handle(kata_session, "contestant", allowed, name)


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest, kata_session):
    """``reference("module")``: the kit's reference module, served from the baseline sandbox
    (the same conditions as the candidate's, so performance gates compare like with like)."""
    if not request.config.getoption("--kata-reference"):
        raise RuntimeError("the grading run was started without --kata-reference")
    allowed = _module_names(request)
    return lambda name: _handle(kata_session, "baseline", allowed, name)


@pytest.fixture(scope="session")
def baseline(kata_session):
    """The suite's ``baseline.py`` (plain solutions of the complexity the statement asks for,
    the bar of its performance gates), served from the baseline sandbox only: the contestant
    never sees it."""
    from .session import ModuleHandle

    if not kata_session.config.baseline:
        raise RuntimeError("this suite has no baseline.py")
    return ModuleHandle(kata_session, "baseline", "baseline")


@pytest.fixture(scope="session")
def inside(kata_session):
    """``inside(sol)`` / ``inside(ref)``: the suite's ``inside.py`` imported in the same sandbox
    as that module (drivers and baselines that must run next to the code they call)."""
    from .session import ModuleHandle, role_of

    if kata_session.config.inside is None:
        raise RuntimeError("this suite has no inside.py")
    return lambda of: ModuleHandle(kata_session, role_of(of), "inside")


def _only_module(request: pytest.FixtureRequest) -> str:
    modules = _module_names(request)
    if len(modules) != 1:
        raise RuntimeError(
            f"the sol/ref fixtures serve katas with one module, this one has {modules}: "
            "use candidate(name) and reference(name)"
        )
    return modules[0]


@pytest.fixture(scope="module")
def sol(candidate, request: pytest.FixtureRequest):
    """The submitted module of a one-module kata (``candidate(name)`` for the others).

    Raises:
        RuntimeError: the kata has several modules, or none.
    """
    return candidate(_only_module(request))


@pytest.fixture(scope="module")
def ref(reference, request: pytest.FixtureRequest):
    """The reference module of a one-module kata (``reference(name)`` for the others).

    Raises:
        RuntimeError: the kata has several modules, or none.
    """
    return reference(_only_module(request))


@pytest.fixture
def kata_redis(kata_session):
    """A :class:`graders.redis_support.KataRedis`: the judge's client, this test's key prefix,
    and the round trips the sandbox made (counted by the judge's tunnel, outside the sandbox).

    The server is the run's private ``redis-server`` (or ``--redis-url``, or fakeredis where
    neither exists); a server this run started is emptied before each test.
    """
    from graders.redis_support import open_redis

    kata_session.ensure_services()
    if kata_session.redis is None:
        raise RuntimeError("this kata declares no redis service")
    handle = open_redis(kata_session.redis)
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def perf(request: pytest.FixtureRequest, device: str, record_property, kata_session):
    """The performance-gate helper (:class:`graders.perf.Perf`) bound to this test: it times
    calls into the sandboxes with the judge's clock and freezes the sandboxes that are not being
    timed."""
    from graders.perf import Perf

    return Perf(device=device, record=record_property, sandboxes=kata_session.live)


# -- sandbox health and output, per test --------------------------------------------------------


def pytest_runtest_setup(item: pytest.Item) -> None:
    session = getattr(item.config, "_kata_session", None)
    box = session.current("contestant") if session is not None else None
    item._kata_offset = (box, box.output_since(0, 0)[1]) if box is not None else (None, 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    session = getattr(item.config, "_kata_session", None)
    if session is None:
        return
    report = outcome.get_result()
    if call.excinfo is not None:
        from graders.sandbox import SandboxError

        if call.excinfo.errisinstance(SandboxError):  # the machine's problem: the grade errs
            report.user_properties.append(("sandbox_event", "unstartable"))
            return
    if call.when != "call":
        return
    box = session.current("contestant")
    if box is not None:
        before, offset = getattr(item, "_kata_offset", (None, 0))
        text, _ = box.output_since(offset if before is box else 0)
        if text.strip():
            report.sections.append(("sandbox output", text))
            report.user_properties.append(("sandbox_output", text))
    event = session.health("contestant")
    if event:
        report.user_properties.append(("sandbox_event", event))


def pytest_unconfigure(config: pytest.Config) -> None:
    session = getattr(config, "_kata_session", None)
    if session is not None:
        session.close()


def pytest_report_header(config: pytest.Config) -> str:
    return f"kata harness: seed={config.getoption('--kata-seed')}"
