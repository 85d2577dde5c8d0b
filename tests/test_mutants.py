"""Mutants load as unified diffs applied to the reference (or as whole files), and a diff that
no longer fits the reference is an error that names it."""

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


def test_diff_mutants_are_the_reference_with_the_hunk_applied(toy_copy, toy_reference):
    """A .diff mutant is the reference with exactly its lines changed; a .py one is the file."""
    mutants = {m.name: m for m in load_mutants(toy_copy)}
    assert sorted(mutants) == ["bad_total", "off_by_one", "slow_total"]
    off = mutants["off_by_one"]
    assert off.kills == ("test_hidden.py::test_add",) and not off.public_fails
    assert off.files["toy.py"].decode() == toy_reference.replace(
        "    return a + b\n", "    return a + b + (a == 0)\n"
    )
    assert mutants["bad_total"].files["toy.py"].decode() == toy_reference.replace(
        "return sum(xs)", "return sum(xs[1:])"
    )
    whole = (toy_copy.mutants_dir / "slow_total.py").read_bytes()
    assert mutants["slow_total"].files["toy.py"] == whole


def test_a_diff_that_no_longer_applies_names_itself(toy_copy):
    """The reference changed under the diff: loading fails and says which mutant to regenerate."""
    ref = toy_copy.reference_dir / "toy.py"
    ref.write_text(ref.read_text().replace("return sum(xs)", "return int(sum(xs))"))
    with pytest.raises(MetadataError, match=r"bad_total\.diff: does not apply .* regenerate"):
        load_mutants(toy_copy)


def test_a_diff_of_a_file_the_kata_does_not_list_is_refused(toy_copy):
    diff = toy_copy.mutants_dir / "off_by_one.diff"
    diff.write_text(diff.read_text().replace("/toy.py", "/other.py"))
    with pytest.raises(MetadataError, match=r"patches other\.py, not among the kata's files"):
        load_mutants(toy_copy)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# kills: test_hidden.py::test_add\n", "changes nothing"),
        ("--- a/toy.py\n+++ b/toy.py\n@@ -1 +1 @@\n-x\n+y\n", "first line must be '# kills:"),
    ],
)
def test_an_empty_or_unlabelled_diff_is_refused(toy_copy, text, message):
    (toy_copy.mutants_dir / "broken.diff").write_text(text)
    with pytest.raises(MetadataError, match=message):
        load_mutants(toy_copy)
