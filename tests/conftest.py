"""Fixtures of the kit's own tests: the toy kata, submissions on disk, a busy core."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from graders.catalog import Kata
from graders.load import busy_cores

TOY = Path(__file__).parent / "toy"


@pytest.fixture(scope="session")
def toy_root(tmp_path_factory) -> Path:
    """A kit root (katas/, reference/, graders/suites/) holding only the toy kata; point
    ``KATA_KIT_ROOT`` at it to drive the ``kata`` command."""
    root = tmp_path_factory.mktemp("toykit")
    shutil.copytree(TOY, root, dirs_exist_ok=True)
    return root


@pytest.fixture(scope="session")
def toy_kata(toy_root) -> Kata:
    """A tiny kata (add, total) with small timeouts, for exercising the engine quickly."""
    root = toy_root
    return Kata(
        id="toy",
        candidate_dir=root / "katas" / "toy",
        reference_dir=root / "reference" / "toy",
        suite_dir=root / "graders" / "suites" / "toy",
    )


@pytest.fixture
def submit(tmp_path):
    """``submit({"toy.py": "..."})`` writes a submission folder and returns its path."""

    def make(files: dict[str, str], name: str = "sub") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for rel, text in files.items():
            (folder / rel).write_text(text)
        return folder

    return make


@pytest.fixture(scope="session")
def toy_reference() -> str:
    return (TOY / "reference" / "toy" / "toy.py").read_text()


@pytest.fixture
def busy_core():
    """Another process keeps one core busy for the duration of the test."""
    with busy_cores(1):
        yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def real_redis_url(tmp_path_factory):
    """A real Redis server: $KATA_REDIS_URL if set, else a private redis-server started for
    this session (when the binary is installed), else the test is skipped."""
    if os.environ.get("KATA_REDIS_URL"):
        yield os.environ["KATA_REDIS_URL"]
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("no real Redis: set KATA_REDIS_URL or install redis-server")
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["fakeredis", "real"])
def redis_url(request):
    """Each Redis test runs twice: on fakeredis (None) and on a real server."""
    if request.param == "fakeredis":
        return None
    return request.getfixturevalue("real_redis_url")


# -- the CI budget (issue 12) -------------------------------------------------------------------

#: One kata's `kata verify` may take this long; 100 katas must fit CI's 40 minutes.
MAX_KATA_S = float(os.environ.get("KATA_MAX_VERIFY_S", "90"))
BUDGET_S = 40 * 60
PROJECTED_KATAS = 100


def pytest_configure(config):
    """A file every worker (pytest-xdist) appends its katas' verification times to."""
    if not os.environ.get("KATA_BUDGET_FILE"):
        import tempfile

        path = Path(tempfile.gettempdir()) / f"kata-budget-{os.getpid()}-{int(time.time())}.jsonl"
        os.environ["KATA_BUDGET_FILE"] = str(path)
        config._kata_budget_owner = True
        config._kata_started = time.monotonic()


@pytest.fixture
def verify_budget():
    """``verify_budget(kata_id, seconds, phases)`` records one kata's verification time."""
    import json

    def record(kata_id: str, seconds: float, phases: dict) -> None:
        with open(os.environ["KATA_BUDGET_FILE"], "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"kata": kata_id, "s": seconds, "phases": phases}) + "\n")

    return record


def _budget_rows() -> list[dict]:
    import json

    path = Path(os.environ.get("KATA_BUDGET_FILE", ""))
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _workers(config) -> int:
    n = getattr(config.option, "numprocesses", None)
    return max(1, int(n)) if isinstance(n, int) else 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The slowest katas, each kata's phases, and the projection for 100 katas."""
    if not getattr(config, "_kata_budget_owner", False):
        return
    rows = _budget_rows()
    if not rows:
        return
    tr = terminalreporter
    tr.section("verification budget")
    for row in sorted(rows, key=lambda r: -r["s"])[:15]:
        phases = ", ".join(f"{k} {v:.0f} s" for k, v in row["phases"].items())
        flag = "  OVER" if row["s"] > MAX_KATA_S else ""
        tr.write_line(f"{row['kata']:28s} {row['s']:6.1f} s  ({phases}){flag}")
    wall = time.monotonic() - config._kata_started
    workers = _workers(config)
    kata_wall = sum(r["s"] for r in rows) / workers
    projected = max(0.0, wall - kata_wall) + kata_wall * PROJECTED_KATAS / len(rows)
    tr.write_line(
        f"{len(rows)} katas verified in {kata_wall / 60:.1f} min of wall time ({workers} worker(s)); "
        f"projected for {PROJECTED_KATAS} katas: {projected / 60:.1f} min (budget {BUDGET_S / 60:.0f} min)"
    )
    if projected > BUDGET_S or any(r["s"] > MAX_KATA_S for r in rows):
        tr.write_line(
            "OVER BUDGET: "
            + (
                "this fails the run"
                if ENFORCE_BUDGET
                else "reported only (KATA_BUDGET_ENFORCE=1 fails the run)"
            )
        )
    config._kata_over = [r["kata"] for r in rows if r["s"] > MAX_KATA_S]
    config._kata_projected = projected


#: Whether the budget fails the run (KATA_BUDGET_ENFORCE=1) or is only reported. CI reports it:
#: today's katas do not fit it yet (issue 12), and a red CI would land nothing.
ENFORCE_BUDGET = os.environ.get("KATA_BUDGET_ENFORCE", "0") == "1"


def pytest_sessionfinish(session, exitstatus):
    """With KATA_BUDGET_ENFORCE=1, fail the run when a kata's verification is over MAX_KATA_S or
    the projection is over budget (only when every kata was verified in this run)."""
    config = session.config
    if not getattr(config, "_kata_budget_owner", False) or not ENFORCE_BUDGET:
        return
    rows = _budget_rows()
    from graders.catalog import kata_ids

    if rows and len({r["kata"] for r in rows}) == len(kata_ids()) and exitstatus == 0:
        wall = time.monotonic() - config._kata_started
        kata_wall = sum(r["s"] for r in rows) / _workers(config)
        projected = max(0.0, wall - kata_wall) + kata_wall * PROJECTED_KATAS / len(rows)
        over = [r["kata"] for r in rows if r["s"] > MAX_KATA_S]
        if over or projected > BUDGET_S:
            session.exitstatus = 1
