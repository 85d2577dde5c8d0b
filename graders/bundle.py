"""Take-home bundles for hiring teams, and grading what comes back.

``kata bundle ID... --out takehome.zip`` packs, for each kata, its candidate view (statement,
``kata.toml``, stubs, public tests) under ``ID/``, plus a top-level README with the instructions
and the time box, a pinned ``requirements.txt``, ``run_public_tests.py`` (the one-line way to run
every public test) and a manifest ``.kata-bundle.json``. Nothing from ``reference/`` or
``graders/`` ever goes in: the bundle is built from :func:`graders.candidate_view.candidate_files`
alone.

``kata grade-returned takehome/ --out report/`` grades every kata of an unpacked (or zipped)
returned bundle in one call.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .archive import safe_extract
from .candidate_view import candidate_files
from .catalog import Kata, get_kata
from .errors import SubmissionError, UsageError
from .grade import GradeOptions, grade_folder
from .result import GradeResult

MANIFEST = ".kata-bundle.json"
BUNDLE_FORMAT = 1

#: Test-time packages every bundle pins besides what the katas require.
ALWAYS = ("pytest", "numpy")

RUNNER = '''\
"""Run the public tests of every kata in this take-home: python run_public_tests.py"""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
failed = []
for kata in sorted(p for p in here.iterdir() if (p / "kata.toml").is_file()):
    print(f"== {kata.name}", flush=True)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=kata)
    if done.returncode != 0:
        failed.append(kata.name)
print("public tests failing in: " + ", ".join(failed) if failed else "all public tests pass")
sys.exit(1 if failed else 0)
'''


def _pin(module: str) -> str | None:
    """``dist==version`` for the installed distribution that provides ``module``."""
    dists = md.packages_distributions().get(module, [module])
    for dist in dists:
        try:
            version = md.version(dist)
        except md.PackageNotFoundError:
            continue
        return f"{dist}=={version.split('+')[0]}"
    return None


def requirements(katas: list[Kata]) -> str:
    """A pinned requirements file: the versions the grader itself runs with."""
    modules = list(dict.fromkeys([*ALWAYS, *(m for k in katas for m in k.meta.requires)]))
    pins = sorted({p for p in (_pin(m) for m in modules) if p})
    lines = ["# Pinned to the versions the grader runs with.", *pins]
    if any(p.startswith("torch==") for p in pins):
        lines.insert(
            1,
            "# torch on a machine without a GPU: add --index-url https://download.pytorch.org/whl/cpu",
        )
    return "\n".join(lines) + "\n"


def readme(katas: list[Kata], time_box: str) -> str:
    """The take-home's top-level instructions."""
    import platform

    python_range = "3.11 or newer"
    grader_python = ".".join(platform.python_version_tuple()[:2])
    rows = "\n".join(
        f"| `{k.id}/` | {k.meta.title} | {', '.join(f'`{f}`' for f in k.meta.files)} | "
        f"{', '.join(f'`{m}`' for m in k.meta.imports) or 'standard library'} |"
        for k in katas
    )
    return f"""# Take-home exercise

Time box: **{time_box}**. Stop when it is over, even if something is unfinished: partial work
that is correct scores better than complete work that is not.

## What to do

{len(katas)} exercise(s), one folder each. In each folder, `README.md` is the statement: read it
first; it gives the exact API, the rules for edge cases and the performance targets. Edit only the
files listed below; they are the only files graded.

| folder | exercise | edit | may import (besides the standard library basics) |
|---|---|---|---|
{rows}

## Set up and run the public tests

You need Python {python_range} (the grader runs Python {grader_python}). Make the virtual
environment *outside* this folder, so the folder you send back holds only your work:

    python3 -m venv ../takehome-venv && . ../takehome-venv/bin/activate
    pip install -r requirements.txt
    python run_public_tests.py

The public tests are a few worked examples. Grading runs many more hidden tests, for
correctness and for performance (measured relative to a reference on the same machine), so
passing the public tests is a start, not a grade.

## Returning your work

Zip this whole folder (keep `.kata-bundle.json` and the folder names) and send it back. Tool
folders (`.venv`, `__pycache__`, `.pytest_cache`, `.git` ...) are ignored if they slip in. Do
not add `conftest.py`, `pytest.ini` or other configuration: the grader uses only the files
listed above. Code that reads files, opens network connections, or inspects the test harness is flagged
for review.
"""


def make_bundle(kata_ids: list[str], out: Path, *, time_box: str = "4 hours") -> Path:
    """Write the take-home zip for ``kata_ids`` to ``out``.

    Raises:
        UnknownKata: an id is not in the kit.
        UsageError: no kata given.
    """
    if not kata_ids:
        raise UsageError("name at least one kata to bundle")
    katas = [get_kata(k) for k in dict.fromkeys(kata_ids)]
    manifest = {
        "format": BUNDLE_FORMAT,
        "kit_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "time_box": time_box,
        "katas": [{"id": k.id, "version": k.meta.version, "files": k.meta.files} for k in katas],
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("takehome/README.md", readme(katas, time_box))
        zf.writestr("takehome/requirements.txt", requirements(katas))
        zf.writestr("takehome/run_public_tests.py", RUNNER)
        zf.writestr(f"takehome/{MANIFEST}", json.dumps(manifest, indent=2))
        for kata in katas:
            for rel, data in candidate_files(kata).items():
                zf.writestr(f"takehome/{kata.id}/{rel}", data)
    tmp.replace(out)
    return out


@dataclass
class ReturnedGrade:
    """One kata of a returned bundle, graded."""

    kata: str
    result: GradeResult
    version_note: str = ""


def _bundle_root(path: Path, scratch: Path) -> Path:
    if path.is_file() and path.suffix.lower() == ".zip":
        try:
            path = safe_extract(path, scratch / "returned")
        except SubmissionError as exc:
            raise UsageError(str(exc)) from None
    if not path.is_dir():
        raise UsageError(f"{path} is not a folder or a .zip of a returned take-home")
    for candidate in [path, *sorted(p for p in path.rglob(MANIFEST))]:
        root = candidate if candidate.is_dir() else candidate.parent
        if (root / MANIFEST).is_file():
            return root
    raise UsageError(f"{path} holds no {MANIFEST}: is it a returned take-home bundle?")


def grade_returned(
    path: Path, out: Path, options: GradeOptions | None = None
) -> list[ReturnedGrade]:
    """Grade every kata of the returned bundle at ``path`` (folder or zip); write
    ``out/KATA.json`` for each and ``out/report.md``.

    Raises:
        UsageError: ``path`` is not a returned bundle, or its manifest is unreadable.
    """
    with tempfile.TemporaryDirectory(prefix="kata-returned-") as scratch:
        root = _bundle_root(Path(path), Path(scratch))
        try:
            manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
            entries = manifest["katas"]
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{root / MANIFEST} is not a valid manifest: {exc}") from None
        graded = []
        for entry in entries:
            kata_id = str(entry.get("id", ""))
            if not re.fullmatch(r"[a-z][a-z0-9_]*", kata_id):
                raise UsageError(f"manifest names an invalid kata id {kata_id!r}")
            kata = get_kata(kata_id)
            note = ""
            if entry.get("version") != kata.meta.version:
                note = (f"bundle made with version {entry.get('version')} of {kata_id}; graded with "
                        f"version {kata.meta.version}")  # fmt: skip
            result = grade_folder(kata, root / kata_id, options)
            result.write(Path(out) / f"{kata_id}.json")
            graded.append(ReturnedGrade(kata_id, result, note))
    name = Path(path).stem if Path(path).suffix == ".zip" else Path(path).name
    report = takehome_report(name, manifest, graded)
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / "report.md").write_text(report, encoding="utf-8")
    return graded


def takehome_report(name: str, manifest: dict, graded: list[ReturnedGrade]) -> str:
    """The page a hiring team forwards: the total first, then how it was graded (seed,
    machine, kit and kata versions, time box, isolation), policy findings to review, and each
    kata's verdicts as the candidate may see them."""
    from .gradebook import feedback_markdown

    results = [g.result for g in graded]
    total = sum(r.score for r in results)
    top = sum(r.max_score for r in results)
    percent = 100.0 * total / top if top else 0.0
    first = results[0] if results else None
    machine = first.machine if first else {}
    lines = [
        f"# Take-home report: {name}",
        "",
        f"**Total: {total:g} / {top:g} ({percent:.0f} %)**",
        "",
        "| kata | version | status | score | correctness | performance | seed |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        perf = f"{r.performance.score:g}/{r.performance.max_score:g}" if r.performance else "off"
        lines.append(
            f"| {r.kata} | {r.kata_version} | {r.status} | {r.score:g}/{r.max_score:g} | "
            f"{r.correctness.score:g}/{r.correctness.max_score:g} | {perf} | {r.seed} |"
        )
    lines += [
        "",
        f"- Time box given: {manifest.get('time_box', 'not recorded')}; bundle made "
        f"{manifest.get('created', '?')} with kit {manifest.get('kit_version', '?')}.",
        f"- Graded with kit {first.kit_version if first else '?'}, "
        f"{'sandboxed (bubblewrap)' if first and first.isolation == 'bwrap' else 'WITHOUT a sandbox'}, "
        f"performance {first.perf_mode if first else '?'}, device {first.device if first else '?'}.",
        f"- Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, Python "
        f"{machine.get('python', '?')}"
        + "".join(
            f", {lib} {machine[lib]}" for lib in ("numpy", "torch", "pandas") if lib in machine
        )
        + ".",
        "- Each grade can be repeated exactly: `kata grade KATA FOLDER --seed SEED`.",
    ]
    findings = [(r.kata, f) for r in results for f in r.policy.get("findings", [])]
    lines += ["", "## Policy findings", ""]
    if findings:
        lines.append("Static findings in the submitted code, for a reviewer (not a verdict):")
        lines.append("")
        lines += [f"- {kata}: `{f.get('file', '?')}` line {f.get('line', '?')}: {f.get('message', '')}"
                  for kata, f in findings]  # fmt: skip
    else:
        lines.append("None.")
    notes = [g.version_note for g in graded if g.version_note]
    if notes:
        lines += ["", "## Notes", "", *(f"- {n}" for n in notes)]
    lines += ["", feedback_markdown(name, results).replace("# Feedback for", "## Details for", 1)]
    return "\n".join(lines) + "\n"
