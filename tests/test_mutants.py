"""Mutants load as whole known-wrong submissions (a file, or a folder over the reference), and
a malformed one is an error that names it."""

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
        ("unlabelled.py", "def add(a, b):\n    return a - b\n", "first line must be '# kills:"),
        ("stray/other.py", "# kills: test_hidden.py::test_add\n", "other.py not among the kata"),
    ],
)
def test_a_malformed_mutant_is_refused_by_name(toy_copy, name, text, message):
    path = toy_copy.mutants_dir / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    with pytest.raises(MetadataError, match=message):
        load_mutants(toy_copy)
