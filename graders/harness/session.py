"""The judge's view of one grading run's sandboxes (used by the harness plugin).

Two kinds of sandboxed process serve a hidden suite:

- the **contestant** runs the submitted files (``sol``, ``candidate(name)``);
- the **baseline** runs the kit's reference files and the suite's baselines (``ref``,
  ``reference(name)``), under exactly the same conditions, so a performance gate compares like
  with like.

Each is started on first use. A sandbox that dies (a crash, a kill for memory or for too many
processes) or whose channel broke (a test timed out in the middle of a call) is recorded as an
event of the test that was running and replaced by a fresh one before the next test, at most
``MAX_RESTARTS`` times. :class:`ModuleHandle` is what tests hold: it always reaches the module in
the current sandbox, so a module-scoped ``sol`` outlives a restart (objects built in a sandbox
that has gone do not: using one raises :class:`graders.bridge.proxy.StaleHandle`).
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bridge.proxy import RemoteModule
from ..sandbox import Sandbox, SandboxSpec, ZygoteAddress, isolation

MAX_RESTARTS = 5
#: Packages worth importing in a sandbox before it serves (seconds of import each).
PRELOAD = frozenset({"torch", "numpy", "pandas", "scipy", "sklearn", "xgboost", "redis"})
ROLES = ("contestant", "baseline")


@dataclass
class SessionConfig:
    """What the harness plugin was told on its command line."""

    modules: list[str]
    imports: list[str]
    candidate_dir: Path | None
    reference_dir: Path | None
    inside: Path | None
    memory_mb: int
    device: str
    services: list[str] = field(default_factory=list)
    redis_url: str | None = None
    isolation: str | None = None
    baseline: Path | None = None
    zygote: ZygoteAddress | None = None
    forbidden: list[str] = field(default_factory=list)


class ImportFailed(RuntimeError):
    """A module of the submission could not be imported in the sandbox."""


class SandboxGone(RuntimeError):
    """A sandbox could not be (re)started, or was restarted too often."""


class Session:
    """The sandboxes and services of one grading run."""

    def __init__(self, config: SessionConfig) -> None:
        self.config = config
        self.isolation = config.isolation or isolation()
        self._dir = Path(tempfile.mkdtemp(prefix="kata-judge-"))
        self._zygote = config.zygote
        self._sandboxes: dict[str, Sandbox | None] = dict.fromkeys(ROLES)
        self._modules: dict[tuple[str, str], RemoteModule] = {}
        self._restarts = 0
        self._lock = threading.RLock()
        self.redis = None
        self.extra: list[Sandbox] = []

    # -- sandboxes -----------------------------------------------------------------------

    def _files(self, role: str) -> dict[str, Path]:
        folder = self.config.candidate_dir if role == "contestant" else self.config.reference_dir
        if folder is None:
            raise SandboxGone(f"this grading run has no {role} files")
        files = {
            f"{m}.py": folder / f"{m}.py"
            for m in self.config.modules
            if (folder / f"{m}.py").exists()
        }
        if role == "baseline" and self.config.baseline is not None:
            files["baseline.py"] = self.config.baseline  # never shown to the contestant
        return files

    def spec(self, role: str, env: dict[str, str] | None = None) -> SandboxSpec:
        """The sandbox of ``role`` as this run configures it."""
        modules = list(self.config.modules) + (["inside"] if self.config.inside else [])
        if role == "baseline" and self.config.baseline is not None:
            modules.append("baseline")
        return SandboxSpec(
            label=role, files=self._files(role), modules=modules,
            packages=list(self.config.imports), inside=self.config.inside,
            memory_mb=self.config.memory_mb, device=self.config.device,
            env=dict(env or {}),
            preload=[m for m in self.config.imports if m in PRELOAD],
            forbidden=list(self.config.forbidden) if role == "contestant" else [],
        )  # fmt: skip

    def sandbox(self, role: str) -> Sandbox:
        """The running sandbox of ``role``, started (or restarted) if needed.

        Raises:
            SandboxGone: it was restarted too often already.
        """
        with self._lock:
            box = self._sandboxes[role]
            if box is not None and box.alive and not box.endpoint.broken:
                return box
            if box is not None:
                box.stop()
                self._restarts += 1
                self._modules = {k: v for k, v in self._modules.items() if k[0] != role}
                if self._restarts > MAX_RESTARTS:
                    raise SandboxGone(
                        f"the {role} process had to be restarted {MAX_RESTARTS} times "
                        f"(crashes, memory or timeouts): no further test is run in it"
                    )
            self.ensure_services()
            box = Sandbox(
                self.spec(role), mode=self.isolation, output_dir=self._dir, zygote=self._zygote
            )
            self._sandboxes[role] = box
            return box

    def prestart(self, roles: list[str]) -> None:
        """Start the sandboxes of ``roles`` now (they import their packages while the judge
        goes on); a failure here is left for the first test that needs the sandbox."""
        for role in roles:
            try:
                self.sandbox(role)
            except Exception:  # noqa: BLE001, S110 - reported by the test that uses it
                pass

    def spawn(self, role: str = "contestant", env: dict[str, str] | None = None) -> Sandbox:
        """An extra sandbox of ``role`` (a second contestant with another ``PYTHONHASHSEED``,
        say), stopped with the session."""
        box = Sandbox(self.spec(role, env), mode=self.isolation, output_dir=self._dir)
        self.extra.append(box)
        return box

    def current(self, role: str) -> Sandbox | None:
        """The sandbox of ``role`` if one was started (without starting one)."""
        return self._sandboxes[role]

    def live(self) -> list[Sandbox]:
        """Every sandbox currently running."""
        boxes = [b for b in self._sandboxes.values() if b is not None] + self.extra
        return [b for b in boxes if b.alive]

    def module(self, role: str, name: str) -> RemoteModule:
        """``name`` imported in the current sandbox of ``role`` (cached per sandbox, and so is
        a failure to import it, which is raised again as :class:`ImportFailed`)."""
        with self._lock:
            box = self.sandbox(role)
            key = (role, name)
            if key not in self._modules:
                try:
                    self._modules[key] = box.endpoint.root(name)
                except Exception as exc:  # noqa: BLE001 - replayed for every test
                    if not box.alive or box.endpoint.broken:
                        raise
                    self._modules[key] = ImportFailed(
                        f"importing {name}.py failed: {type(exc).__name__}: {exc}"
                    )
            value = self._modules[key]
            if isinstance(value, ImportFailed):
                raise ImportFailed(str(value))
            return value

    # -- services ------------------------------------------------------------------------

    def ensure_services(self) -> None:
        """Start the kata's services (Redis) before the first sandbox needs them."""
        if "redis" in self.config.services and self.redis is None:
            from ..services import RedisService

            self.redis = RedisService(self.config.redis_url)

    # -- events --------------------------------------------------------------------------

    def health(self, role: str = "contestant") -> str:
        """``""`` when the sandbox of ``role`` is fine (or not started), else what happened:
        ``"oom"``, ``"procs"``, ``"crashed"`` or ``"broken"``."""
        box = self._sandboxes[role]
        if box is None:
            return ""
        if box.killed:
            return box.killed
        if box.endpoint.broken:
            return "broken"
        if not box.alive:
            return "crashed"
        return ""

    def close(self) -> None:
        """Stop every sandbox and service (again: a no-op)."""
        for box in [*self._sandboxes.values(), *self.extra]:
            if box is not None:
                box.stop()
        if self.redis is not None:
            self.redis.close()
            self.redis = None
        import shutil

        shutil.rmtree(self._dir, ignore_errors=True)


class ModuleHandle:
    """A module of the kata in a sandbox, as a hidden test holds it (``sol``, ``ref``).

    Every attribute access reaches the module in the *current* sandbox of its role.
    """

    __slots__ = ("_session", "_role", "_name")

    def __init__(self, session: Session, role: str, name: str) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_role", role)
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attr: str) -> Any:
        if attr == "__name__":
            return self._name
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return getattr(self._session.module(self._role, self._name), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._session.module(self._role, self._name), attr, value)

    def __repr__(self) -> str:
        return f"<{self._name} in the {self._role} sandbox>"


def role_of(handle: Any) -> str:
    """The role (``"contestant"`` or ``"baseline"``) of a :class:`ModuleHandle`."""
    if isinstance(handle, ModuleHandle):
        return object.__getattribute__(handle, "_role")
    raise TypeError(f"expected sol or ref (a sandboxed module), got {type(handle).__name__}")
