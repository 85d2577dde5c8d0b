"""Warm processes shared by many grades (issue 12): a judge fork server and contestant zygotes.

A grade's fixed cost is mostly imports: pytest and torch in the judge, torch again in each
sandbox. :func:`warm_processes` keeps, for the duration of a ``kata verify`` or ``kata cohort``
run, one judge fork server (:mod:`graders.forkserver`) and, per kata and worker slot, one
zygote (:class:`graders.sandbox.Zygote`) that forks each grade's sandboxes. A zygote serves one
grade at a time (a slot), so two submissions are never children of the same zygote at once.

Only on CPU with bubblewrap; elsewhere grading starts its processes cold, as a single
``kata grade`` does. ``KATA_WARM=off`` turns warm processes off.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from .catalog import Kata
from .forkserver import ForkServer
from .process import child_env
from .sandbox import SandboxSpec, Zygote, ZygoteAddress, isolation

_CURRENT: Warm | None = None
_CURRENT_LOCK = threading.Lock()


class Warm:
    """A judge fork server and zygotes per (kata, slot).

    Args:
        katas: the katas to preload for (their ``requires`` in the judge).
        slots: how many grades may run at once (a zygote per kata and slot).
    """

    def __init__(self, katas: list[Kata], slots: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kata-warm-"))
        preload = sorted({m for k in katas for m in k.meta.requires})
        self.server = ForkServer(tuple(preload), child_env(self.dir))
        self.slots = max(1, slots)
        self._zygotes: dict[tuple[str, int], Zygote] = {}
        self._busy: set[tuple[str, int]] = set()
        self._lock = threading.Condition()

    @contextlib.contextmanager
    def lease(self, kata: Kata) -> Iterator[ZygoteAddress | None]:
        """A zygote of ``kata`` for one grade (started on first use); ``None`` if it cannot
        be started (the grade then starts its sandboxes cold)."""
        with self._lock:
            while True:
                free = [s for s in range(self.slots) if (kata.id, s) not in self._busy]
                if free:
                    key = (kata.id, free[0])
                    self._busy.add(key)
                    break
                self._lock.wait()
        try:
            zygote = self._zygotes.get(key)
            if zygote is not None and zygote.proc.poll() is not None:
                zygote.stop()
                zygote = None
            if zygote is None:
                try:
                    zygote = Zygote(_zygote_spec(kata), _preload(kata), self.dir)
                except Exception:  # noqa: BLE001 - grade cold instead
                    zygote = None
                if zygote is not None:
                    self._zygotes[key] = zygote
            yield zygote.address if zygote is not None else None
        finally:
            with self._lock:
                self._busy.discard(key)
                self._lock.notify_all()

    def retire(self, kata: Kata) -> None:
        """Stop the zygotes of ``kata`` (a verify run moves on to the next kata)."""
        with self._lock:
            for key in [k for k in self._zygotes if k[0] == kata.id]:
                self._zygotes.pop(key).stop()

    def close(self) -> None:
        for zygote in self._zygotes.values():
            zygote.stop()
        self._zygotes.clear()
        self.server.close()
        import shutil

        shutil.rmtree(self.dir, ignore_errors=True)


def _zygote_spec(kata: Kata) -> SandboxSpec:
    inside = kata.suite_dir / "inside.py"
    return SandboxSpec(
        label="zygote", files={}, modules=[],
        packages=[*kata.meta.imports, *kata.meta.sandbox_packages],
        inside=inside if inside.is_file() else None, memory_mb=kata.meta.memory_mb,
    )  # fmt: skip


def _preload(kata: Kata) -> list[str]:
    return [m for m in dict.fromkeys([*kata.meta.imports, *kata.meta.sandbox_packages])]


def current() -> Warm | None:
    """The warm processes of the run in progress, if any."""
    return _CURRENT


def enabled(device: str) -> bool:
    """Whether warm processes may be used: on CPU, with bubblewrap, unless KATA_WARM=off."""
    if device != "cpu" or os.environ.get("KATA_WARM", "on").lower() in ("off", "0", "no"):
        return False
    try:
        return isolation() == "bwrap"
    except Exception:  # noqa: BLE001
        return False


@contextlib.contextmanager
def warm_processes(katas: list[Kata], slots: int, device: str = "cpu") -> Iterator[Warm | None]:
    """Keep warm processes for the grades run inside the block (nothing when not
    :func:`enabled`, or when a block is already active)."""
    global _CURRENT
    with _CURRENT_LOCK:
        if _CURRENT is not None or not enabled(device):
            warm = None
        else:
            try:
                warm = _CURRENT = Warm(katas, slots)
            except Exception:  # noqa: BLE001 - grading works cold too
                warm = None
    try:
        yield warm
    finally:
        if warm is not None:
            with _CURRENT_LOCK:
                _CURRENT = None
            warm.close()
