"""The candidate view of a kata: statement, metadata, stubs, public tests, a pytest config.

``kata start`` writes it to a folder; take-home bundles pack it. It never holds anything from
``reference/`` or ``graders/``.
"""

from __future__ import annotations

from pathlib import Path

from .catalog import Kata
from .errors import UsageError

CANDIDATE_PYTEST_INI = """\
[pytest]
testpaths = tests
pythonpath = .
addopts = -q -p no:cacheprovider
"""


def imports_note(kata: Kata) -> str:
    """The paragraph appended to the candidate's statement: which modules a submission may
    import (the kata's ``imports`` and the standard-library modules every kata allows,
    :data:`graders.policy.BASELINE_MODULES`)."""
    from .policy import BASELINE_MODULES

    own = ", ".join(f"`{m}`" for m in kata.meta.imports) or "no third-party package"
    extra = ("__future__", "typing_extensions")
    std = ", ".join(f"`{m}`" for m in sorted(BASELINE_MODULES) if m not in extra)
    return (
        "\n\n---\n\n**Imports.** Your files may import "
        f"{own}, and from the standard library {std} (and `__future__`, `typing_extensions`). "
        "The grader's policy "
        "check flags any other import, as it flags dynamic code, file and network access, and "
        "reaching into the interpreter or the tests.\n"
    )


def candidate_files(kata: Kata) -> dict[str, bytes]:
    """``{relative path: bytes}`` of the candidate view of ``kata``: the statement (with
    :func:`imports_note` appended), ``kata.toml``, a ``pytest.ini``, the stubs and the public
    tests."""
    src = kata.candidate_dir
    statement = kata.statement.read_text(encoding="utf-8").rstrip("\n") + imports_note(kata)
    files: dict[str, bytes] = {
        "README.md": statement.encode("utf-8"),
        "kata.toml": (src / "kata.toml").read_bytes(),
        "pytest.ini": CANDIDATE_PYTEST_INI.encode(),
    }
    for name in kata.meta.files:
        files[name] = (src / name).read_bytes()
    if kata.public_tests_dir.is_dir():
        for path in sorted(kata.public_tests_dir.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files[str(path.relative_to(src))] = path.read_bytes()
    return files


def write_candidate_view(kata: Kata, dest: Path) -> list[Path]:
    """Write the candidate view into ``dest`` (created if missing).

    Raises:
        UsageError: ``dest`` exists and is not an empty folder.
    """
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(f"{dest} is not empty; choose a new folder")
    written = []
    for rel, data in candidate_files(kata).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def kata_id_of(folder: Path) -> str:
    """The id of the kata a candidate folder was started from (its ``kata.toml``).

    Raises:
        UsageError: ``folder`` does not exist or holds no ``kata.toml`` with an id.
    """
    import tomllib

    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    meta = folder / "kata.toml"
    try:
        return str(tomllib.loads(meta.read_text(encoding="utf-8"))["id"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        raise UsageError(
            f"{folder} has no kata.toml with an id (was it made by `kata start`?)"
        ) from None
