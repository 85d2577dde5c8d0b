"""Reading a submission: only the kata's allowlisted files, as bytes, with clear errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SubmissionError, UsageError
from .metadata import KataMeta

MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Submission:
    """The allowlisted files of one submission (``{name: bytes}``) and where they came from."""

    origin: Path
    files: dict[str, bytes]
    ignored: tuple[str, ...] = field(default=())  # other files present; never used

    def texts(self) -> dict[str, str]:
        """``{name: text}``; raises :class:`SubmissionError` for a file that is not UTF-8."""
        out = {}
        for name, data in self.files.items():
            try:
                out[name] = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SubmissionError(f"{name} is not UTF-8 text (byte {exc.start})") from None
        return out

    def digest(self) -> str:
        """SHA-256 over the sorted (name, content) pairs: the submission's identity."""
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return h.hexdigest()


def _locate(folder: Path, names: list[str]) -> Path:
    """The folder itself, or its single subfolder when the files sit one level down (an
    archive that wraps everything in one top folder)."""
    if any((folder / n).exists() or (folder / n).is_symlink() for n in names):
        return folder
    subdirs = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
    if len(subdirs) == 1 and any((subdirs[0] / n).exists() for n in names):
        return subdirs[0]
    return folder


def read_submission(folder: Path, meta: KataMeta, max_bytes: int = MAX_FILE_BYTES) -> Submission:
    """Read the files ``meta.files`` from ``folder``.

    Raises:
        UsageError: ``folder`` does not exist or is not a folder.
        SubmissionError: an allowlisted file is missing, is a symlink or not a regular file,
            or is larger than ``max_bytes``.
    """
    folder = Path(folder)
    if not folder.exists():
        raise UsageError(f"submission folder {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"submission {folder} is not a folder")
    base = _locate(folder, meta.files)
    files: dict[str, bytes] = {}
    for name in meta.files:
        path = base / name
        if path.is_symlink():
            raise SubmissionError(f"{name} is a symbolic link; submit the file itself")
        if not path.exists():
            raise SubmissionError(f"{name} is missing from {folder}")
        if not path.is_file():
            raise SubmissionError(f"{name} in {folder} is not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise SubmissionError(f"{name} is {size} bytes, over the {max_bytes}-byte limit")
        files[name] = path.read_bytes()
    ignored = tuple(
        sorted(
            str(p.relative_to(base))
            for p in base.rglob("*")
            if p.is_file() and p.name not in meta.files and "__pycache__" not in p.parts
        )[:50]
    )
    return Submission(origin=folder, files=files, ignored=ignored)
