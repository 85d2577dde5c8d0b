"""Take-home bundles hold the candidate view and nothing of the grader; returned bundles are
graded in one call; the Gradescope autograder runs against a fake /autograder tree."""

import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from graders.bundle import MANIFEST, grade_returned, make_bundle
from graders.catalog import all_katas
from graders.exports.autograder import export_gradescope
from graders.grade import GradeOptions
from graders.mutants import load_mutants


@pytest.fixture(scope="module")
def bundle_of_everything(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    path = make_bundle([k.id for k in all_katas()], folder / "takehome.zip", time_box="3 hours")
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder / "unpacked")
    return folder / "unpacked" / "takehome"


def _significant(text: str) -> set[str]:
    """Lines long enough to mean something, imports aside (a shared import is no leak)."""
    return {
        line.strip()
        for line in text.splitlines()
        if len(line.strip()) >= 12 and not line.strip().startswith(("import ", "from "))
    }


def test_bundle_holds_no_hidden_file_reference_line_or_mutant(bundle_of_everything):
    """Unpack a bundle of every kata: no hidden-suite file, reference file or mutant is inside,
    and no line of them that the candidate views do not themselves contain (a shared import
    or signature is fine; a line of solution or hidden-test logic is not)."""
    bundled = {p: p.read_bytes() for p in bundle_of_everything.rglob("*") if p.is_file()}
    contents = set(bundled.values())
    bundle_lines = _significant("\n".join(d.decode("utf-8", "replace") for d in bundled.values()))
    public_lines = set()
    for kata in all_katas():
        for path in kata.candidate_dir.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                public_lines |= _significant(path.read_text(errors="replace"))
    for kata in all_katas():
        secret = [*kata.hidden_test_files(), *(kata.reference_dir / f for f in kata.meta.files)]
        for path in secret:
            assert path.read_bytes() not in contents, f"{path} is in the bundle"
            leaked = (_significant(path.read_text()) - public_lines) & bundle_lines
            assert not leaked, f"lines of {path} in the bundle: {sorted(leaked)[:3]}"
        stubs = {(kata.candidate_dir / f).read_bytes() for f in kata.meta.files}
        for mutant in load_mutants(kata):
            for data in mutant.files.values():
                if data not in stubs:
                    assert data not in contents, f"mutant {mutant.name} is in the bundle"
                    leaked = (_significant(data.decode()) - public_lines) & bundle_lines
                    assert not leaked, f"lines of mutant {mutant.name} in the bundle"


def test_bundle_layout(bundle_of_everything):
    """README with the time box, pinned requirements, a manifest, each kata's candidate view."""
    root = bundle_of_everything
    assert "3 hours" in (root / "README.md").read_text()
    text = (root / "requirements.txt").read_text()
    reqs = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert reqs and all("==" in line for line in reqs)
    manifest = json.loads((root / MANIFEST).read_text())
    assert {k["id"] for k in manifest["katas"]} == {k.id for k in all_katas()}
    for kata in all_katas():
        assert (root / kata.id / "README.md").is_file() and (root / kata.id / "kata.toml").is_file()
        assert not (root / kata.id / "mutants").exists()


def test_returned_bundle_round_trip(tmp_path):
    """The candidate fills in the stubs (here: the references), runs the one-line public test
    command, zips the folder back; grade-returned grades every kata of it."""
    katas = [k for k in all_katas() if not k.meta.services][:2]
    path = make_bundle([k.id for k in katas], tmp_path / "t.zip")
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path / "u")
    root = tmp_path / "u" / "takehome"
    stubbed = subprocess.run(
        [sys.executable, "run_public_tests.py"], cwd=root, capture_output=True, text=True
    )
    assert stubbed.returncode == 1 and "failing in" in stubbed.stdout
    for kata in katas:
        for name in kata.meta.files:
            shutil.copyfile(kata.reference_dir / name, root / kata.id / name)
    done = subprocess.run(
        [sys.executable, "run_public_tests.py"], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
    returned = shutil.make_archive(str(tmp_path / "returned"), "zip", tmp_path / "u")
    graded = grade_returned(returned, tmp_path / "report", GradeOptions(perf=False))
    assert [g.kata for g in graded] == [k.id for k in katas]
    assert all(g.result.status == "pass" for g in graded)
    report = (tmp_path / "report" / "report.md").read_text()
    assert all(report.count(f"## {k.id} (version") == 1 for k in katas), report


def test_gradescope_autograder(toy_root, tmp_path, monkeypatch):
    """The autograder zip has setup.sh and run_autograder at its root and this kata only;
    run_autograder against a fake /autograder tree writes a valid results.json, even for a
    submission that crashes the grader's run."""
    from graders.catalog import get_kata

    kata = get_kata("diffusion_q_sample")
    zpath = export_gradescope(kata, tmp_path / "autograder.zip")
    with zipfile.ZipFile(zpath) as zf:
        names = zf.namelist()
        assert {"setup.sh", "run_autograder"} <= set(names)
        assert (zf.getinfo("run_autograder").external_attr >> 16) & 0o111
        zf.extractall(tmp_path / "source")
    assert any(n.startswith("kit/graders/suites/diffusion_q_sample/test_") for n in names)
    assert not any("/mutants/" in n for n in names)
    setup = (tmp_path / "source" / "setup.sh").read_text()
    assert subprocess.run(["bash", "-n", str(tmp_path / "source" / "setup.sh")]).returncode == 0
    assert "python3.11" not in setup.split("for candidate in")[0]  # no Python version hard-wired
    assert "bubblewrap" in setup and "uv python install" in setup
    others = {k.id for k in all_katas()} - {kata.id}
    assert not any(f"/{o}/" in n for n in names for o in others)
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copyfile(kata.reference_dir / "diffusion.py", root / "submission" / "diffusion.py")
    env = {"KATA_AUTOGRADER_ROOT": str(root), "KATA_AUTOGRADER_PYTHON": sys.executable}
    run = subprocess.run(["bash", str(tmp_path / "source" / "run_autograder")], env={**dict(__import__("os").environ), **env},
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 100 and results["tests"]
    assert all(t["visibility"] == "visible" and "max_score" in t for t in results["tests"])
    assert {e["order"] for e in results["leaderboard"]} == {"asc"} and results["leaderboard"]
    (root / "submission" / "diffusion.py").write_text("raise SystemExit('no')\n")
    (root / "results" / "results.json").unlink()
    subprocess.run(["bash", str(tmp_path / "source" / "run_autograder")],
                   env={**dict(__import__("os").environ), **env}, timeout=600)  # fmt: skip
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 0


def test_returned_take_home_with_a_venv_inside_grades(tmp_path, toy_root, monkeypatch):
    """A candidate who made the venv inside the folder and zipped it all back (thousands of
    files, symbolic links) is graded: tool folders are ignored before any limit is counted. The
    report names the total first, the seed, versions, time box and the policy findings."""
    import os

    monkeypatch.setenv("KATA_KIT_ROOT", str(toy_root))
    from graders import paths

    paths.kit_root.cache_clear()
    try:
        path = make_bundle(["toy"], tmp_path / "t.zip", time_box="90 minutes")
        with zipfile.ZipFile(path) as zf:
            zf.extractall(tmp_path / "u")
        root = tmp_path / "u" / "takehome"
        (root / "toy" / "toy.py").write_text(
            "import socket\n\ndef add(a, b):\n    return a + b\n\ndef total(xs):\n    return sum(xs)\n"
        )
        venv = root / ".venv" / "lib" / "site-packages"
        venv.mkdir(parents=True)
        for i in range(2500):
            (venv / f"mod{i}.py").write_text("x = 1\n")
        os.symlink("/usr/bin/python3", root / ".venv" / "python")
        (root / "toy" / "__pycache__").mkdir()
        (root / "toy" / "__pycache__" / "toy.cpython-311.pyc").write_bytes(b"\0" * 10)
        returned = tmp_path / "returned.zip"
        with zipfile.ZipFile(returned, "w") as zf:
            for p in (tmp_path / "u").rglob("*"):
                if p.is_symlink():
                    info = zipfile.ZipInfo(str(p.relative_to(tmp_path / "u")))
                    info.external_attr = 0o120777 << 16
                    zf.writestr(info, os.readlink(p))
                elif p.is_file():
                    zf.write(p, p.relative_to(tmp_path / "u"))
        graded = grade_returned(returned, tmp_path / "report", GradeOptions(perf=False, seed=4))
        assert [g.result.status for g in graded] == ["pass"]
        report = (tmp_path / "report" / "report.md").read_text()
        first_lines = report.splitlines()[:4]
        assert any(line.startswith("**Total: 60 / 60") for line in first_lines)
        for needle in ("90 minutes", "| 4 |", "sandboxed" if graded[0].result.isolation == "bwrap" else "WITHOUT",
                       "Policy findings", "socket"):  # fmt: skip
            assert needle in report, needle
    finally:
        paths.kit_root.cache_clear()
