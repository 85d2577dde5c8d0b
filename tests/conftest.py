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
