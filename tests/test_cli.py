"""The `kata` command: every subcommand, and one-line errors with exit status 2 for bad input."""

import json
import os
import subprocess
import sys

import pytest


def kata(*args, root=None, cwd=None, timeout=300):
    env = dict(os.environ)
    if root is not None:
        env["KATA_KIT_ROOT"] = str(root)
    return subprocess.run([sys.executable, "-m", "graders.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=timeout)  # fmt: skip


def test_list_and_show_the_real_kit():
    """`kata list` shows each kata with its source; `kata show` prints the statement."""
    listed = kata("list")
    assert listed.returncode == 0 and "diffusion_q_sample" in listed.stdout
    shown = kata("show", "diffusion_q_sample")
    assert shown.returncode == 0 and "Isotropic Shortcut" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "no_such_kata"), "unknown kata 'no_such_kata'"),
        (("grade", "diffusion_q_sample", "/no/such/folder"), "does not exist"),
        (("grade", "diffusion_q_samples", "."), "did you mean diffusion_q_sample"),
        (("test", "/no/such/folder"), "is not a folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    """Unknown kata, missing folder: one line on stderr, exit status 2."""
    done = kata(*args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_start_test_grade_round_trip(toy_root, tmp_path):
    """start writes the candidate view (and refuses a non-empty folder); test runs the public
    tests; grade writes the JSON result, JUnit and Gradescope files."""
    work = tmp_path / "work"
    assert kata("start", "toy", work, root=toy_root).returncode == 0
    assert sorted(p.name for p in work.iterdir()) == [
        "README.md",
        "kata.toml",
        "pytest.ini",
        "tests",
        "toy.py",
    ]
    statement = (work / "README.md").read_text()  # the statement, then what may be imported
    assert statement.startswith((toy_root / "katas" / "toy" / "README.md").read_text().rstrip())
    assert "**Imports.** Your files may import `numpy`" in statement and "`math`" in statement
    again = kata("start", "toy", work, root=toy_root)
    assert again.returncode == 2 and "not empty" in again.stderr
    assert kata("test", work, root=toy_root).returncode != 0  # the stub fails its public test
    (work / "toy.py").write_text((toy_root / "reference" / "toy" / "toy.py").read_text())
    assert kata("test", work, root=toy_root).returncode == 0
    out = tmp_path / "out"
    graded = kata("grade", "toy", work, "--seed", "4", "--json", out / "r.json", "--junit",
                  out / "j.xml", "--gradescope", out / "g.json", root=toy_root, cwd=tmp_path)  # fmt: skip
    assert graded.returncode == 0, graded.stdout + graded.stderr
    result = json.loads((out / "r.json").read_text())
    assert result["status"] == "pass" and result["seed"] == 4
    assert (out / "j.xml").read_text().startswith("<?xml")
    assert json.loads((out / "g.json").read_text())["score"] == 100


def test_grade_failing_submission_writes_default_result(toy_root, tmp_path):
    """A crashing submission still gets a result at the default path; exit status 1."""
    sub = tmp_path / "crashy"
    sub.mkdir()
    (sub / "toy.py").write_text("raise RuntimeError('boom at import')\n")
    done = kata("grade", "toy", sub, "--perf", "off", root=toy_root, cwd=tmp_path)
    assert done.returncode == 1
    result = json.loads((tmp_path / "kata-results" / "toy" / "crashy.json").read_text())
    assert result["status"] == "fail" and result["score"] == 0
    assert "boom at import" in result["tests"][0]["message"]


def test_grade_syntax_error_is_one_line(toy_root, tmp_path):
    """A syntax error in the candidate's file: one line on stderr naming file and line."""
    sub = tmp_path / "broken"
    sub.mkdir()
    (sub / "toy.py").write_text("def add(a, b)\n    return a + b\n")
    done = kata("grade", "toy", sub, root=toy_root, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: syntax error in toy.py line 1: expected ':'"


@pytest.mark.slow
def test_verify_and_demo_toy(toy_root):
    """`kata verify` prints one line per kata; `kata demo` prints the scorecard."""
    done = kata("verify", "toy", root=toy_root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(
        "ok   toy: reference 100%, 2/2 solutions 100%, stub 0 on correctness, 3/3 mutants "
        "caught, 3 rules, 3 checked, 3 killed"
    )
    demo = kata("demo", "toy", root=toy_root)
    assert demo.returncode == 0 and "mutant slow_total" in demo.stdout


@pytest.mark.parametrize("args", [["--help"], ["list"]])
def test_cli_starts_without_heavy_imports(args):
    """`kata --help` and `kata list` import no heavy library (pydantic, numpy, torch, pandas,
    psutil, rich.markdown, importlib.metadata): they answer in a fraction of a second."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "graders.cli", *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    heavy = {
        "pydantic",
        "numpy",
        "torch",
        "pandas",
        "psutil",
        "rich.markdown",
        "importlib.metadata",
    }
    assert not heavy & imported, sorted(heavy & imported)
