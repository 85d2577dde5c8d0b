"""Submitted archives: unsafe ones are refused with a clear message, safe ones unpack."""

import io
import stat
import zipfile

import pytest

from graders.archive import safe_extract
from graders.errors import SubmissionError


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def test_safe_archive_unpacks(tmp_path):
    """Regular files in folders unpack as they are."""
    z = make_zip(tmp_path / "ok.zip", [("alice/toy.py", "x = 1\n", stat.S_IFREG | 0o644)])
    dest = safe_extract(z, tmp_path / "out")
    assert (dest / "alice" / "toy.py").read_text() == "x = 1\n"


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("../evil.py", "x", stat.S_IFREG | 0o644)], "zip-slip"),
        ([("a/../../evil.py", "x", stat.S_IFREG | 0o644)], "zip-slip"),
        ([("/etc/evil.py", "x", stat.S_IFREG | 0o644)], "absolute path"),
        ([("link.py", "/etc/passwd", stat.S_IFLNK | 0o777)], "symbolic link"),
        ([("fifo", "", stat.S_IFIFO | 0o644)], "not a regular file"),
    ],
)
def test_unsafe_archives_are_refused(tmp_path, members, message):
    """Zip-slip, absolute paths, links and special files: refused, nothing written."""
    z = make_zip(tmp_path / "bad.zip", members)
    with pytest.raises(SubmissionError, match=message):
        safe_extract(z, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*"))
    assert not (tmp_path / "evil.py").exists()


def test_oversized_and_bombs_are_refused(tmp_path):
    """Too many bytes, too many members, or a suspicious compression ratio."""
    big = make_zip(tmp_path / "big.zip", [("a.py", "x" * 3000, stat.S_IFREG | 0o644)])
    with pytest.raises(SubmissionError, match="limit 1000"):
        safe_extract(big, tmp_path / "o1", max_total=1000)
    many = make_zip(
        tmp_path / "many.zip", [(f"f{i}.py", "", stat.S_IFREG | 0o644) for i in range(20)]
    )
    with pytest.raises(SubmissionError, match="holds 20 files"):
        safe_extract(many, tmp_path / "o2", max_members=10)
    bomb = make_zip(tmp_path / "bomb.zip", [("zeros.py", "0" * (8 * 2**20), stat.S_IFREG | 0o644)])
    with pytest.raises(SubmissionError, match="zip bomb"):
        safe_extract(bomb, tmp_path / "o3")


def test_not_a_zip(tmp_path):
    """A file that is not a zip archive is a clear error."""
    fake = tmp_path / "x.zip"
    fake.write_bytes(io.BytesIO(b"not a zip").getvalue())
    with pytest.raises(SubmissionError, match="not a readable zip"):
        safe_extract(fake, tmp_path / "out")
