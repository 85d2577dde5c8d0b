"""Assembling the fresh working folder of one grading run (KATA_SPEC section 4, step 1).

Layout (``root`` is a private temporary folder)::

    root/report.jsonl      written by the judge's harness plugin, read by the parent
    root/tmp/              the judge's HOME and TMPDIR
    root/work/pytest.ini   the kit's, never the submission's
    root/work/conftest.py  the kit's: puts the kit on sys.path and loads the harness plugin
    root/work/hidden/      the hidden suite (tests, its conftest, helper modules, inside.py),
                           copied from the kit; on the judge's sys.path, so a suite's tests can
                           import its helper modules
    root/candidate/<files> the submission's allowlisted files, and nothing else of it: the judge
                           never imports them; they are bound read-only into the contestant
                           sandbox (:mod:`graders.sandbox`)

No sandbox sees any of these folders except the submitted files.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .catalog import Kata

PYTEST_INI = """\
[pytest]
pythonpath = hidden
python_files = test_*.py
addopts = -p no:cacheprovider -p no:randomly --import-mode=importlib
timeout = {test_timeout}
timeout_method = signal
console_output_style = classic
"""

ROOT_CONFTEST = """\
# Written by the grading engine; a submission's conftest.py is never copied.
import sys

if {kit!r} not in sys.path:
    sys.path.append({kit!r})
pytest_plugins = ["graders.harness.plugin"]
"""

HIDDEN = "hidden"


@dataclass
class WorkDir:
    """A grading run's private folders; remove with :meth:`cleanup`."""

    root: Path

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def report(self) -> Path:
        return self.root / "report.jsonl"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def candidate(self) -> Path:
        return self.root / "candidate"

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _copy_tree(src: Path, dst: Path, files: list[Path]) -> None:
    for path in files:
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def assemble(kata: Kata, files: dict[str, bytes] | None) -> WorkDir:
    """Create the working folder for grading ``files`` (``None``: collection only, no
    candidate code at all) against ``kata``'s hidden suite."""
    wd = WorkDir(Path(tempfile.mkdtemp(prefix=f"kata-{kata.id}-")))
    wd.work.mkdir()
    wd.tmp.mkdir()
    wd.candidate.mkdir()
    wd.root.chmod(0o755)  # the sandbox user reads the submitted files through a bind mount
    (wd.work / "pytest.ini").write_text(
        PYTEST_INI.format(test_timeout=kata.meta.test_timeout_s), encoding="utf-8"
    )
    (wd.work / "conftest.py").write_text(
        ROOT_CONFTEST.format(kit=str(paths.PACKAGE_DIR.parent)), encoding="utf-8"
    )
    for name, data in (files or {}).items():
        (wd.candidate / name).write_bytes(data)
        (wd.candidate / name).chmod(0o644)
    _copy_tree(kata.suite_dir, wd.work / HIDDEN, kata.hidden_test_files())
    return wd
