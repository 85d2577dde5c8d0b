"""``kata export gradescope ID --out autograder.zip``: a Gradescope autograder for one kata.

The zip holds, at its root, ``setup.sh`` (finds a Python 3.11 or newer on the image, or installs
one: the distribution's package where it has one, else a standalone build through ``uv``, so it
works on Ubuntu 20.04, 22.04 and 24.04 images; then bubblewrap, the CPU build of torch when the
kata needs it, and the kit from ``kit/``), ``run_autograder`` (grades ``/autograder/submission``
with the engine and writes ``/autograder/results/results.json``: per-test scores, visibility,
the performance leaderboard), and ``kit/``: the engine with this kata's statement, reference and
hidden suite (no other kata, no mutants).

Gradescope: https://gradescope-autograders.readthedocs.io/en/latest/specs/. For tests,
``KATA_AUTOGRADER_ROOT`` replaces ``/autograder`` and ``KATA_AUTOGRADER_PYTHON`` the Python to run.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .. import paths
from ..catalog import Kata

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# bubblewrap: the sandbox submissions run in (where the image allows user namespaces; elsewhere
# results say isolation: none); util-linux: prlimit and friends.
apt-get install -y -qq bubblewrap util-linux curl ca-certificates >/dev/null || true
recent() {{ "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; }}
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null && recent "$candidate"; then PY=$(command -v "$candidate"); break; fi
done
if [ -z "$PY" ] && apt-cache show python3.11 >/dev/null 2>&1; then  # Ubuntu 22.04
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null && PY=$(command -v python3.11)
fi
if [ -n "$PY" ]; then  # the distribution's Python needs its venv package
  apt-get install -y -qq "$(basename "$PY")-venv" >/dev/null 2>&1 || apt-get install -y -qq python3-venv >/dev/null 2>&1 || true
fi
if [ -z "$PY" ] || ! "$PY" -m venv --help >/dev/null 2>&1; then  # Ubuntu 20.04: a standalone build
  curl -LsSf https://astral.sh/uv/install.sh | env UV_INSTALL_DIR=/usr/local/bin sh
  uv python install 3.11
  PY=$(uv python find 3.11)
fi
echo "setup.sh: using $PY ($("$PY" --version))"
"$PY" -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
{torch_line}/autograder/venv/bin/pip install -q "/autograder/source/kit[katas]"
"""

TORCH_LINE = (
    "/autograder/venv/bin/pip install -q torch=={torch} "
    "--index-url https://download.pytorch.org/whl/cpu\n"
)

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; it must always leave results/results.json.
ROOT="${{KATA_AUTOGRADER_ROOT:-/autograder}}"
PY="${{KATA_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
mkdir -p "$ROOT/results"
"$PY" -m graders.cli grade {kata} "$ROOT/submission" \\
    --gradescope "$ROOT/results/results.json" --json "$ROOT/results/kata-result.json" \\
    {options} > "$ROOT/results/grade-output.txt" 2>&1
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  cat > "$ROOT/results/results.json" <<EOF
{{"score": 0, "output": "The grader could not run (exit status $status). Staff have the log.", "tests": []}}
EOF
fi
exit 0
"""


def _kit_files(kata: Kata) -> dict[str, Path]:
    """``{path inside kit/: source}``: the engine, and this kata's four places only."""
    root = paths.kit_root()
    files: dict[str, Path] = {
        "pyproject.toml": root / "pyproject.toml",
        "README.md": root / "README.md",
    }
    for path in sorted(paths.PACKAGE_DIR.rglob("*")):
        rel = path.relative_to(paths.PACKAGE_DIR)
        if not path.is_file() or "__pycache__" in rel.parts or rel.parts[0] == "_kit":
            continue
        if rel.parts[0] == "suites" and (len(rel.parts) < 2 or rel.parts[1] != kata.id):
            continue
        if rel.parts[0] == "suites" and "mutants" in rel.parts:
            continue
        files[f"graders/{rel.as_posix()}"] = path
    for place, folder in (("katas", kata.candidate_dir), ("reference", kata.reference_dir)):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files[f"{place}/{kata.id}/{path.relative_to(folder).as_posix()}"] = path
    return files


def export_gradescope(kata: Kata, out: Path, *, perf: bool = True) -> Path:
    """Write the autograder zip for ``kata`` to ``out``."""
    from importlib.metadata import PackageNotFoundError, version

    torch_line = ""
    if "torch" in kata.meta.requires:
        try:
            torch_line = TORCH_LINE.format(torch=version("torch").split("+")[0])
        except PackageNotFoundError:
            torch_line = TORCH_LINE.format(torch="2.13.0")
    options = "" if perf else "--perf off"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", SETUP_SH.format(torch_line=torch_line)),
                           ("run_autograder", RUN_AUTOGRADER.format(kata=kata.id, options=options))):  # fmt: skip
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        for rel, path in _kit_files(kata).items():
            zf.write(path, f"kit/{rel}")
    return out
