"""The public tests of a kata, run against a submission in a sandbox (for ``kata verify``).

A mutant must pass the public tests unless its header says otherwise (KATA_SPEC section 2).
Public tests import the candidate's module directly, so they run where candidate code may run:
in a sandbox (:mod:`graders.sandbox`) holding the submitted files and the kata's ``tests/``,
with pytest and the packages the kata ``requires``. What they report is informational: it never
decides a grade.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

from . import paths
from .catalog import Kata
from .sandbox import Sandbox, SandboxSpec

PUBLIC_PACKAGES = ("pytest",)


def _cache_key(kata: Kata, files: dict[str, bytes], mode: str) -> str:
    from . import __version__

    h = hashlib.sha256(f"{__version__}|{kata.id}|{mode}".encode())
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name] + b"\0")
    for path in sorted(kata.public_tests_dir.rglob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    h.update((kata.candidate_dir / "kata.toml").read_bytes())
    return h.hexdigest()


def run_public_tests(kata: Kata, files: dict[str, bytes], mode: str) -> dict[str, str]:
    """``{test name: outcome}`` of the public tests against ``files`` (``passed``, ``failed``,
    ``skipped``); ``{"(public tests)": "error: ..."}`` when they could not run. Outcomes are
    cached by the content of the files, the public tests and the kit (in the user's cache,
    which no sandbox sees), so ``kata verify`` runs each mutant's public tests once."""
    tests = kata.public_tests_dir
    if not tests.is_dir():
        return {}
    cache = paths.cache_dir() / "public" / f"{kata.id}-{_cache_key(kata, files, mode)[:32]}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    outcomes = _run(kata, files, mode)
    if not any(v.startswith("error") for v in outcomes.values()):
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(outcomes), encoding="utf-8")
        tmp.replace(cache)
    return outcomes


def _run(kata: Kata, files: dict[str, bytes], mode: str) -> dict[str, str]:
    tests = kata.public_tests_dir
    with tempfile.TemporaryDirectory(prefix=f"kata-public-{kata.id}-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        bound: dict[str, Path] = {}
        for name, data in files.items():
            (folder / name).write_bytes(data)
            (folder / name).chmod(0o644)
            bound[name] = folder / name
        for path in sorted(tests.rglob("*.py")):
            if "__pycache__" not in path.parts:
                bound[f"tests/{path.relative_to(tests)}"] = path
        spec = SandboxSpec(
            label="public", files=bound, modules=[],
            packages=sorted({*kata.meta.imports, *kata.meta.requires, *PUBLIC_PACKAGES}),
            memory_mb=kata.meta.memory_mb,
        )  # fmt: skip
        box = Sandbox(spec, mode=mode, output_dir=folder)
        answer: dict = {}

        def run() -> None:
            try:
                answer["value"] = box.endpoint.request(0, "callm", (
                    "run_pytest",
                    (["-q", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", ".", "tests"],),
                    {},
                ))  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - reported, never raised
                answer["error"] = f"{type(exc).__name__}: {exc}"

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(kata.meta.timeout_s)
        box.stop()
    if "value" not in answer:
        return {"(public tests)": "error: " + answer.get("error", "timed out")}
    return {
        name.removeprefix("tests/"): outcome for name, outcome in answer["value"]["tests"].items()
    }
