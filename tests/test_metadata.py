"""kata.toml is typed and validated: unknown keys and bad values are errors naming the key."""

import pytest

from graders.errors import MetadataError
from graders.metadata import load_meta

GOOD = """\
id = "demo"
version = 1
title = "A demo kata"
difficulty = "easy"
tags = ["x"]
files = ["demo.py"]
imports = ["numpy"]

[source]
seed = "000_e20c39f0c724b45f.txt"
section = "Some section"

[weights]
correctness = 100
performance = 0
"""


def write(tmp_path, text, folder="demo"):
    path = tmp_path / folder / "kata.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_good_metadata_loads_with_defaults(tmp_path):
    """A minimal kata.toml loads; defaults fill the rest."""
    meta = load_meta(write(tmp_path, GOOD))
    assert meta.modules == ["demo"] and meta.timeout_s == 600 and not meta.has_perf


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("timeout_s", "timeout = 5\n"), "timeout: Extra inputs are not permitted"),
        (("weights", GOOD.replace("performance = 0", "performance = 10")), "add up to 100"),
        (("files", GOOD.replace('["demo.py"]', '["conftest.py"]')), "may not be a candidate file"),
        (("files", GOOD.replace('["demo.py"]', '["test_demo.py"]')), "may not be a candidate file"),
        (("files", GOOD.replace('["demo.py"]', '["../x.py"]')), "not a plain Python module"),
        (("imports", GOOD.replace('["numpy"]', '["numpy", "gc"]')), "never allowed"),
        (("difficulty", GOOD.replace('"easy"', '"trivial"')), "difficulty"),
        (("version", GOOD.replace("version = 1", 'version = "one"')), "version"),
        (("seed", GOOD.replace("000_e20c39f0c724b45f.txt", "seed.txt")), "source.seed"),
    ],
)
def test_bad_metadata_is_refused(tmp_path, change, message):
    """Each malformed field is refused with a message that names it."""
    key, text = change
    if key == "timeout_s":
        text = GOOD + text
    with pytest.raises(MetadataError, match=message):
        load_meta(write(tmp_path, text))


def test_id_must_match_folder(tmp_path):
    """The id is the folder's name."""
    with pytest.raises(MetadataError, match="does not match its folder"):
        load_meta(write(tmp_path, GOOD, folder="other"))


def test_not_toml(tmp_path):
    """A file that is not TOML is a clear error."""
    with pytest.raises(MetadataError, match="not valid TOML"):
        load_meta(write(tmp_path, "id = \n"))
