"""Fixtures of the kit's own tests: the toy kata, submissions on disk, a busy core."""

from __future__ import annotations

import shutil
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
