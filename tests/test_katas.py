"""Every kata of the kit is well formed (KATA_SPEC section 2), checked without grading."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from graders import paths
from graders.catalog import get_kata, kata_ids
from graders.collect import expected_tests
from graders.mutants import load_mutants

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
IDS = kata_ids()


def functions(tree: ast.Module):
    """Top-level functions and public methods of top-level classes."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{node.name}.{item.name}", item


def raises_not_implemented(fn: ast.FunctionDef) -> bool:
    body = [
        s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    return (
        len(body) == 1
        and isinstance(body[0], ast.Raise)
        and "NotImplementedError" in ast.unparse(body[0])
    )


def is_exempt(name: str, fn: ast.FunctionDef) -> bool:
    """Properties and dunders of given helper types (a NamedTuple's ``T``) may be implemented."""
    decorators = {ast.unparse(d) for d in fn.decorator_list}
    return "property" in decorators or name.split(".")[-1].startswith("__")


def test_there_are_katas():
    """The kit holds at least the flagship kata."""
    assert "diffusion_q_sample" in IDS


@pytest.mark.parametrize("kata_id", IDS)
def test_metadata_and_statement(kata_id):
    """kata.toml validates; the statement names its seed section, which exists in the seed."""
    kata = get_kata(kata_id)
    meta = kata.meta
    statement = kata.statement.read_text()
    assert meta.source.section in statement, "the statement must name its seed section"
    if SEEDS.is_dir():  # the seeds live beside the checkout (../shared), not in it
        headings = {
            line.strip().lstrip("#").strip()
            for line in (SEEDS / meta.source.seed).read_text().splitlines()
        }
        assert meta.source.section in headings, f"no heading {meta.source.section!r} in the seed"
    assert "kata test" in statement or "pytest" in statement, "the statement says how to run tests"


@pytest.mark.parametrize("kata_id", IDS)
def test_stub_and_reference_share_the_api(kata_id):
    """Stub and reference have the same files and public signatures; every stub function
    raises NotImplementedError."""
    kata = get_kata(kata_id)
    for name in kata.meta.files:
        stub = ast.parse((kata.candidate_dir / name).read_text())
        ref = ast.parse((kata.reference_dir / name).read_text())
        assert ast.get_docstring(stub), f"stub {name} needs a module docstring"
        stub_fns, ref_fns = dict(functions(stub)), dict(functions(ref))
        for fname, fn in stub_fns.items():
            if not is_exempt(fname, fn):
                assert raises_not_implemented(fn), (
                    f"stub {name}:{fname} must raise NotImplementedError"
                )
                assert ast.get_docstring(fn), f"stub {name}:{fname} needs a docstring"
            assert fname in ref_fns, f"reference {name} lacks {fname}"
            assert ast.unparse(fn.args) == ast.unparse(ref_fns[fname].args), (
                f"{name}:{fname}: stub and reference signatures differ"
            )


@pytest.mark.parametrize("kata_id", IDS)
def test_hidden_suite_shape(kata_id):
    """Hidden tests import candidate code only in fixtures, every test has a docstring, the
    performance part has gates when it has points, and there are >= 3 mutants that name
    existing tests."""
    kata = get_kata(kata_id)
    modules = set(kata.meta.modules)
    for path in kata.hidden_test_files():
        if path.suffix != ".py":
            continue
        tree = ast.parse(path.read_text())
        # inside.py runs in the contestant's sandbox, beside the candidate's modules: it may
        # import them; the judge-side files (tests, conftest) may not.
        for node in tree.body if path.name != "inside.py" else ():
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not names & modules, f"{path.name} imports candidate code at module level"
        if not path.name.startswith(("test_", "conftest")):
            helper = path.stem
            assert helper not in modules, f"suite helper {path.name} shadows a candidate module"
        for name, fn in functions(tree):
            if name.startswith("test_"):
                assert ast.get_docstring(fn), f"{path.name}::{name} needs a one-line docstring"
    expected = expected_tests(kata)
    perf = [t for t in expected if t.perf]
    assert bool(perf) == kata.meta.has_perf, "performance weight and perf-marked tests disagree"
    assert any(t.gpu for t in expected) == kata.meta.gpu, (
        "kata.toml gpu and gpu-marked tests disagree"
    )
    mutants = load_mutants(kata)
    assert len(mutants) >= 3
    names = {t.name for t in expected}
    for m in mutants:
        for kill in m.kills:
            assert any(n == kill or n.startswith(kill + "[") for n in names), f"{m.name}: {kill}?"


@pytest.mark.parametrize("kata_id", IDS)
def test_public_tests_pass_on_reference_and_fail_on_stub(kata_id, tmp_path):
    """The public tests teach the API: the reference passes them, the stub does not."""
    kata = get_kata(kata_id)
    for label, source, want_pass in (("reference", kata.reference_dir, True),
                                     ("stub", kata.candidate_dir, False)):  # fmt: skip
        work = tmp_path / label
        (work / "tests").mkdir(parents=True)
        for name in kata.meta.files:
            (work / name).write_bytes((source / name).read_bytes())
        for test in kata.public_tests_dir.glob("*.py"):
            (work / "tests" / test.name).write_bytes(test.read_bytes())
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "pythonpath=.",
             "--rootdir", str(work), "tests"], cwd=work, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert (done.returncode == 0) == want_pass, f"{label}:\n{done.stdout[-2000:]}"


def test_suites_and_katas_match():
    """Every hidden suite belongs to a kata and every kata has a reference and a suite."""
    suites = {
        p.name for p in paths.suites_dir().iterdir() if p.is_dir() and not p.name.startswith("_")
    }
    assert suites == set(IDS)
    assert {p.name for p in paths.reference_dir().iterdir() if p.is_dir()} == set(IDS)


@pytest.mark.parametrize("modules", ["", "a,b"])
def test_sol_ref_fixtures_refuse_a_kata_without_exactly_one_module(modules):
    """The harness's sol/ref fixtures name the problem for a kata with no module or several."""
    from types import SimpleNamespace

    from graders.harness.plugin import _only_module

    request = SimpleNamespace(config=SimpleNamespace(getoption=lambda name: modules))
    with pytest.raises(RuntimeError, match="one module.*candidate\\(name\\)"):
        _only_module(request)
    one = SimpleNamespace(config=SimpleNamespace(getoption=lambda name: "diffusion"))
    assert _only_module(one) == "diffusion"
