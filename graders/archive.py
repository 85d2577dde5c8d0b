"""Safe extraction of submitted zip archives (cohort grading, returned take-homes).

Refuses, with a message naming the member, any archive that would write outside its folder
(absolute paths, ``..`` components: "zip-slip"), holds symbolic links or special files, or is too
large once unpacked (total size, member count, or a compression ratio typical of zip bombs).
Sizes are checked against the archive's directory before anything is written, and again while
writing, since a directory can lie.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .errors import SubmissionError

#: Folders of tools, not of the submission: skipped when reading an archive (not unpacked, not
#: counted against the limits, links inside them not refused). A take-home returned with its
#: virtual environment inside still grades.
IGNORED_DIRS = frozenset({".venv", "venv", "env", ".env", "__pycache__", ".pytest_cache", ".git",
                          "node_modules", ".mypy_cache", ".ruff_cache", ".hypothesis", ".tox",
                          ".nox", ".ipynb_checkpoints", ".idea", ".vscode", "__MACOSX"})  # fmt: skip

MAX_TOTAL_BYTES = 50 * 2**20
MAX_MEMBERS = 2000
MAX_RATIO = 200  # uncompressed / compressed, per member of at least 1 MB


def _check_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise SubmissionError(f"archive member {name!r} has an absolute path")
    if ".." in path.parts:
        raise SubmissionError(f"archive member {name!r} escapes the archive (zip-slip)")
    return path


def ignored(name: str) -> bool:
    """Whether an archive member lies in a tool folder (:data:`IGNORED_DIRS`)."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(p in IGNORED_DIRS for p in parts[:-1]) or (bool(parts) and parts[-1] in IGNORED_DIRS)


def safe_extract(archive: Path, dest: Path, *, max_total: int = MAX_TOTAL_BYTES,
                 max_members: int = MAX_MEMBERS) -> Path:  # fmt: skip
    """Unpack ``archive`` into ``dest`` (created) and return ``dest``; members inside tool
    folders (:data:`IGNORED_DIRS`) are skipped before any limit is counted.

    Raises:
        SubmissionError: not a zip file, or unsafe (see the module docstring); nothing is left
            in ``dest`` then.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(
            f"{Path(archive).name} is not a readable zip archive: {exc}"
        ) from None
    with zf:
        members = [m for m in zf.infolist() if not ignored(m.filename)]
        if len(members) > max_members:
            raise SubmissionError(
                f"{Path(archive).name} holds {len(members)} files (limit {max_members})"
            )
        total = 0
        for info in members:
            _check_name(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise SubmissionError(f"archive member {info.filename!r} is a symbolic link")
            kind = stat.S_IFMT(mode)  # 0 when the archiver recorded no type (Python's zipfile)
            if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
                raise SubmissionError(f"archive member {info.filename!r} is not a regular file")
            total += info.file_size
            if info.file_size >= 2**20 and info.file_size > MAX_RATIO * max(1, info.compress_size):
                raise SubmissionError(
                    f"archive member {info.filename!r} expands {info.file_size // max(1, info.compress_size)}x"
                    " (a zip bomb?)"
                )
        if total > max_total:
            raise SubmissionError(
                f"{Path(archive).name} unpacks to {total} bytes (limit {max_total})"
            )
        dest.mkdir(parents=True, exist_ok=True)
        written = 0
        try:
            for info in members:
                target = dest.joinpath(*_check_name(info.filename).parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 16):
                        written += len(chunk)
                        if written > max_total:
                            raise SubmissionError(
                                f"{Path(archive).name} unpacks to more than {max_total} bytes"
                            )
                        out.write(chunk)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
    return dest
