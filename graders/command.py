"""The pytest command line of a grading child (grading and collection share it)."""

from __future__ import annotations

from .catalog import Kata
from .workdir import HIDDEN, WorkDir


def pytest_argv(
    kata: Kata,
    wd: WorkDir,
    *,
    seed: int,
    device: str = "cpu",
    markers: str | None = None,
    select: list[str] | None = None,
    redis_url: str | None = None,
    isolation: str | None = None,
    zygote: str | None = None,
    collect_only: bool = False,
    extra: list[str] | None = None,
) -> list[str]:
    """``python -I -m pytest ...``: the judge of one run in ``wd``.

    ``select`` holds hidden-suite test ids as the result shows them
    (``test_x.py::test_y``); ``None`` runs the whole suite.
    """
    argv = [
        "python", "-I", "-m", "pytest",
        "-c", str(wd.work / "pytest.ini"), "--rootdir", str(wd.work),
        "--kata-report", str(wd.report),
        "--kata-seed", str(seed),
        "--kata-device", device,
        "--kata-reference", str(kata.reference_dir),
        "--kata-candidate", str(wd.candidate),
        "--kata-modules", ",".join(kata.meta.modules),
        "--kata-imports", ",".join([*kata.meta.imports, *kata.meta.sandbox_packages]),
        "--kata-memory-mb", str(kata.meta.memory_mb),
        "--hypothesis-seed", str(seed),
        "-q", "--tb=short", "--no-header", "-rN",
    ]  # fmt: skip
    if kata.meta.forbidden:
        argv += ["--kata-forbidden", ",".join(kata.meta.forbidden)]
    if kata.meta.services:
        argv += ["--kata-services", ",".join(kata.meta.services)]
    if isolation:
        argv += ["--kata-isolation", isolation]
    if zygote:
        argv += ["--kata-zygote", zygote]
    if redis_url:
        argv += ["--kata-redis-url", redis_url]
    if markers:
        argv += ["-m", markers]
    if collect_only:
        argv.append("--collect-only")
    argv += extra or []
    if select is None:
        argv.append(HIDDEN)
    else:
        argv += [f"{HIDDEN}/{test}" for test in select]
    return argv


def display_name(nodeid: str) -> str:
    """A test's name as results show it: the node id inside the hidden suite."""
    prefix = f"{HIDDEN}/"
    return nodeid[len(prefix) :] if nodeid.startswith(prefix) else nodeid
