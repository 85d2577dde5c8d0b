"""Which installed files a sandbox may see: the distributions that provide a kata's imports,
with everything they require.

A kata's ``imports`` name modules (``torch``, ``pandas``, ``redis``); each is provided by an
installed distribution (``importlib.metadata.packages_distributions``), which requires others
(``pandas`` needs ``numpy``, ``python-dateutil``, ``tzdata`` ...). The closure of those
distributions, read from their metadata, is what the sandbox binds read-only under
``/kata/site``: each top-level entry (package folder, single-file module, vendored ``.libs``
folder, ``.dist-info``) the distribution's ``RECORD`` lists. Standard-library modules need no
distribution.
"""

from __future__ import annotations

import importlib.metadata as md
import re
from functools import cache
from pathlib import Path

from packaging.markers import InvalidMarker
from packaging.requirements import InvalidRequirement, Requirement

_NORMALIZE = re.compile(r"[-_.]+")


def _norm(name: str) -> str:
    return _NORMALIZE.sub("-", name).lower()


@cache
def _top_level_map() -> dict[str, list[str]]:
    return {k: list(v) for k, v in md.packages_distributions().items()}


def _requirements(dist: md.Distribution) -> list[str]:
    names = []
    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is not None:
            try:
                if not req.marker.evaluate({"extra": ""}):
                    continue
            except (InvalidMarker, ValueError, KeyError):
                continue
        names.append(req.name)
    return names


@cache
def distributions(import_names: tuple[str, ...]) -> tuple[md.Distribution, ...]:
    """The installed distributions that provide ``import_names``, and all they require."""
    by_top = _top_level_map()
    todo = [d for name in import_names for d in by_top.get(name.split(".")[0], [])]
    seen: dict[str, md.Distribution] = {}
    while todo:
        name = _norm(todo.pop())
        if name in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen[name] = dist
        todo.extend(_requirements(dist))
    return tuple(seen[k] for k in sorted(seen))


@cache
def site_entries(import_names: tuple[str, ...]) -> tuple[tuple[Path, str], ...]:
    """``(host path, name)`` of every top-level file or folder the sandbox needs under its
    site folder for ``import_names``; ``.pth`` files and scripts outside site-packages are
    left out."""
    entries: dict[str, Path] = {}
    for dist in distributions(import_names):
        for file in dist.files or []:
            parts = Path(str(file)).parts
            if not parts or parts[0] in ("..", "/") or parts[0].endswith(".pth"):
                continue
            top = parts[0]
            if top in entries or top == "__pycache__":
                continue
            path = Path(str(dist.locate_file(top)))
            if path.exists():
                entries[top] = path
    return tuple((path, name) for name, path in sorted(entries.items()))
