"""Mutants load as known-wrong submissions (a diff against the reference, a whole file, or a
folder over the reference), with the tests that must catch them and the rule they break; a
malformed one, or a diff that no longer applies, is an error that names it."""

import shutil

import pytest

from graders.catalog import Kata
from graders.errors import MetadataError
from graders.mutants import load_mutants


@pytest.fixture
def toy_copy(tmp_path, toy_kata) -> Kata:
    """A private copy of the toy kata, free to edit."""
    copy = Kata(
        id="toy",
        candidate_dir=tmp_path / "katas" / "toy",
        reference_dir=tmp_path / "reference" / "toy",
        suite_dir=tmp_path / "graders" / "suites" / "toy",
    )
    for part in ("reference_dir", "suite_dir", "candidate_dir"):
        shutil.copytree(getattr(toy_kata, part), getattr(copy, part))
    return copy


def test_a_mutant_file_is_the_submission_and_names_its_killer(toy_copy):
    """Each NAME.py is the kata's one file, as written; its first line names the test."""
    mutants = {m.name: m for m in load_mutants(toy_copy)}
    assert sorted(mutants) == ["bad_total", "off_by_one", "slow_total"]
    off = mutants["off_by_one"]
    assert off.kills == ("test_hidden.py::test_add",) and not off.public_fails
    assert off.files == {"toy.py": (toy_copy.mutants_dir / "off_by_one.py").read_bytes()}


def test_a_folder_mutant_takes_the_rest_from_the_reference(toy_copy, toy_reference):
    """A folder holds some of the kata's files; a # public: fails line is read."""
    folder = toy_copy.mutants_dir / "folder_form"
    folder.mkdir()
    text = "# kills: test_hidden.py::test_add\n# public: fails\n" + toy_reference
    (folder / "toy.py").write_text(text)
    mutant = {m.name: m for m in load_mutants(toy_copy)}["folder_form"]
    assert mutant.files == {"toy.py": text.encode()} and mutant.public_fails


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("unlabelled.py", "def add(a, b):\n    return a - b\n", "must start with '# kills:"),
        ("stray/other.py", "# kills: test_hidden.py::test_add\n", "other.py not among the kata"),
        ("badrule.py", "# kills: test_hidden.py::test_add\n# breaks: rule three\n", "rule numbers"),
        (
            "stale.diff",
            "# kills: test_hidden.py::test_add\n--- a/toy.py\n+++ b/toy.py\n"
            "@@ -1,2 +1,2 @@\n-def nothing_like_this():\n-    pass\n+def x():\n+    pass\n",
            "no longer applies",
        ),
        (
            "elsewhere.diff",
            "# kills: test_hidden.py::test_add\n--- a/other.py\n+++ b/other.py\n"
            "@@ -1 +1 @@\n-a\n+b\n",
            "not a file of the kata",
        ),
    ],
)
def test_a_malformed_mutant_is_refused_by_name(toy_copy, name, text, message):
    path = toy_copy.mutants_dir / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    with pytest.raises(MetadataError, match=message):
        load_mutants(toy_copy)


def test_a_diff_mutant_applies_to_the_reference(toy_copy, toy_reference):
    """NAME.diff is the reference with the diff applied; its header names the killer, the rule
    it breaks and whether it fails the public tests."""
    import difflib

    wrong = toy_reference.replace("return a + b", "return a + b + 1")
    diff = "".join(difflib.unified_diff(toy_reference.splitlines(True), wrong.splitlines(True),
                                        "a/toy.py", "b/toy.py"))  # fmt: skip
    header = "# kills: test_hidden.py::test_add\n# breaks: R2\n# Mutant: adds one.\n"
    (toy_copy.mutants_dir / "plus_one.diff").write_text(header + diff)
    mutant = {m.name: m for m in load_mutants(toy_copy)}["plus_one"]
    assert mutant.files == {"toy.py": wrong.encode()}
    assert (mutant.kills, mutant.breaks, mutant.form) == (
        ("test_hidden.py::test_add",),
        ("R2",),
        "diff",
    )
