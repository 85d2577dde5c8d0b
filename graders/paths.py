"""Where the kit's katas, references and hidden suites live.

In a source checkout (or an editable install) they are the folders next to the ``graders``
package; in a wheel they are packaged under ``graders/_kit``. ``KATA_KIT_ROOT`` overrides both.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def kit_root() -> Path:
    """Folder that holds ``katas/`` and ``reference/``.

    Raises:
        FileNotFoundError: no ``katas/`` folder is found in any of the candidate places.
    """
    env = os.environ.get("KATA_KIT_ROOT")
    candidates = [Path(env)] if env else []
    candidates += [PACKAGE_DIR.parent, PACKAGE_DIR / "_kit"]
    for root in candidates:
        if (root / "katas").is_dir():
            return root.resolve()
    raise FileNotFoundError(
        "cannot find the kit's katas/ folder (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); set KATA_KIT_ROOT"
    )


def katas_dir() -> Path:
    """``katas/``: one folder per kata with the candidate view."""
    return kit_root() / "katas"


def reference_dir() -> Path:
    """``reference/``: one folder per kata with the reference solution."""
    return kit_root() / "reference"


def suites_dir() -> Path:
    """``graders/suites/``: one folder per kata with the hidden tests and ``mutants/`` (under
    the kit root when it has one, as a source checkout or ``KATA_KIT_ROOT`` does; else in the
    installed package)."""
    beside = kit_root() / "graders" / "suites"
    return beside if beside.is_dir() else PACKAGE_DIR / "suites"


def harness_dir() -> Path:
    """``graders/harness/``: files copied into every grading working folder."""
    return PACKAGE_DIR / "harness"


def cache_dir() -> Path:
    """Per-user cache (collected test ids); ``KATA_CACHE_DIR`` overrides."""
    base = os.environ.get("KATA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kata-kit"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path
