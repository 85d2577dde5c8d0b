"""Background CPU load: the "other core busy" condition every performance gate must survive."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator
from contextlib import contextmanager


def _spin() -> None:  # pragma: no cover - runs in the child
    x = 0
    while True:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF


@contextmanager
def busy_cores(n: int = 1) -> Iterator[list[mp.Process]]:
    """Keep ``n`` cores busy with spinning processes for the duration of the block."""
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_spin, daemon=True) for _ in range(max(0, n))]
    for p in procs:
        p.start()
    try:
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.join(timeout=5)
