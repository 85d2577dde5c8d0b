"""The public tests of a kata, run against a submission in a sandbox (for ``kata verify``).

A mutant must pass the public tests unless its header says otherwise (KATA_SPEC section 2).
Public tests import the candidate's module directly, so they run where candidate code may run:
in a sandbox (:mod:`graders.sandbox`) holding the submitted files and the kata's ``tests/``,
with pytest and the packages the kata ``requires``. What they report is informational: it never
decides a grade.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from .catalog import Kata
from .sandbox import Sandbox, SandboxSpec

PUBLIC_PACKAGES = ("pytest",)


def run_public_tests(kata: Kata, files: dict[str, bytes], mode: str) -> dict[str, str]:
    """``{test name: outcome}`` of the public tests against ``files`` (``passed``, ``failed``,
    ``skipped``); ``{"(public tests)": "error: ..."}`` when they could not run."""
    tests = kata.public_tests_dir
    if not tests.is_dir():
        return {}
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
