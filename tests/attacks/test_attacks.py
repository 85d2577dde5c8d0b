"""The kit's attack suite (issue 10): a hostile submission for each class of attack that once
worked against the grader, each asserting that it scores no more than the same code without
the attack, leaks nothing of the hidden suite, the reference or the seed, leaves nothing behind,
and changes no grading that runs after it. The payloads are in ``payloads/``.

Run only where the contestant is sandboxed (bubblewrap): without a sandbox these payloads would
reach the grading machine itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

from graders import paths
from graders.catalog import get_kata
from graders.cohort import discover, plan, run_local
from graders.grade import GradeOptions, grade_files, grade_folder
from graders.sandbox import bwrap_problem, isolation

PAYLOADS = Path(__file__).parent / "payloads"
ADD = "def add(a, b):\n    return a + b\n"
TOTAL = "def total(xs):\n    return sum(xs)\n"
WRONG = "def add(a, b):\n    return a - b\n\n\ndef total(xs):\n    return 0\n"
SLOW_TOTAL = (
    "def total(xs):\n    s = 0\n    for x in xs:\n        for _ in range(30):\n"
    "            pass\n        s += x\n    return s\n"
)

pytestmark = pytest.mark.skipif(
    isolation() != "bwrap", reason=f"no sandbox here: {bwrap_problem() or 'KATA_ISOLATION=none'}"
)


def payload(name: str, **subs: str) -> str:
    text = (PAYLOADS / f"{name}.py").read_text()
    for key, value in subs.items():
        text = text.replace(f"@{key}@", value)
    return text


def grade(kata, submit, source: str, name: str, *, perf: bool = False, seed: int = 11):
    return grade_folder(kata, submit({"toy.py": source}, name), GradeOptions(seed=seed, perf=perf))


def statuses(result) -> dict[str, str]:
    return {t.name: t.status == "passed" for t in result.tests if t.counted}


def no_better(attack, control) -> None:
    """The attack scores no more than its control, and passes no test the control fails."""
    assert attack.score <= control.score, (attack.score, control.score)
    gained = [n for n, ok in statuses(attack).items() if ok and not statuses(control).get(n)]
    assert not gained, f"the attack passed {gained}"


def test_patching_the_harness_gains_nothing(toy_kata, submit):
    """Class 1: sys.modules through numpy.sys, gc, a patched AssertionError, forged report
    lines in every report file it can find: the judge is elsewhere and sees none of it."""
    attack = grade(toy_kata, submit, payload("harness_patch"), "attack")
    control = grade(toy_kata, submit, WRONG, "control")
    no_better(attack, control)
    assert attack.correctness.score == 0
    assert any(f["rule"] == "introspection" for f in attack.policy["findings"])


def test_faking_the_clock_and_loading_the_baseline_gains_nothing(toy_kata, submit):
    """Class 2: frozen clocks in the sandbox and busy threads and processes started at import
    do not make a slow total() pass its performance gate: the judge times with its own clock and
    freezes the sandbox while it times the reference."""
    attack = grade(toy_kata, submit, payload("fake_clock"), "attack", perf=True)
    control = grade(toy_kata, submit, ADD + SLOW_TOTAL, "control", perf=True)
    speed = "test_hidden.py::test_total_speed"
    assert {t.name: t.status for t in control.tests}[speed] == "failed"
    no_better(attack, control)
    assert {t.name: t.status for t in attack.tests}[speed] != "passed"


def test_lying_equality_gains_nothing(toy_kata, submit):
    """Class 3: objects whose __eq__ is always true arrive as handles or plain values."""
    attack = grade(toy_kata, submit, payload("lying_results"), "attack")
    control = grade(toy_kata, submit, WRONG, "control")
    no_better(attack, control)
    assert attack.correctness.score == 0


@pytest.mark.slow
def test_a_global_torch_function_mode_gains_nothing(submit):
    """Class 3 (torch): a TorchFunctionMode pushed at import changes only the sandbox's torch;
    the judge's comparisons run in another process. The stub plus the mode scores the stub's 0."""
    kata = get_kata("diffusion_q_sample")
    stub = (kata.candidate_dir / "diffusion.py").read_text()
    options = GradeOptions(seed=3, perf=False)
    attack = grade_folder(
        kata, submit({"diffusion.py": stub + "\n" + payload("torch_mode")}, "a"), options
    )
    control = grade_folder(kata, submit({"diffusion.py": stub}, "c"), options)
    no_better(attack, control)
    assert attack.correctness.score == 0


def test_reading_the_kit_from_disk_finds_nothing_and_leaks_nothing(toy_kata, submit):
    """Class 4: a walk of the sandbox's file system and /proc finds neither the reference nor
    the hidden suite nor the seed; what it puts into failure messages holds none of them."""
    seed = 987_654_321
    attack = grade(toy_kata, submit, payload("read_hidden"), "attack", seed=seed)
    assert attack.correctness.score == 0
    text = json.dumps([{**t.__dict__, "perf": None} for t in attack.tests]) + attack.output_tail
    hidden = (toy_kata.suite_dir / "test_hidden.py").read_text()
    for secret in (str(seed), "def test_total_speed", str(toy_kata.reference_dir),
                   str(toy_kata.suite_dir), "return sum(xs)", hidden.splitlines()[0]):  # fmt: skip
        assert secret not in text, f"the result leaks {secret!r}"
    assert "LEAK" in text  # the payload did run and report what it found


def _sandbox_leftovers(marker: str) -> list[str]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if marker in cmd or "987.654" in cmd:
            found.append(cmd[:100])
    return found


def _tree_digest(folder: Path) -> str:
    """Digest of the toy kata's entries in a cache folder (other gradings may be filling it
    with their own at the same time)."""
    h = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(folder.rglob("toy-*")):
            if path.is_file():
                h.update(str(path).encode() + path.read_bytes())
    return h.hexdigest()


def test_nothing_outlives_the_grade(toy_kata, submit, tmp_path):
    """Class 5: a setsid daemon, an orphan `sleep`, .pth files, a 2 GB file and a vandal that
    rewrites result and cache files: the grade is the honest one, no process survives, nothing
    is written outside the sandbox, and a cohort's other result and a later grade are
    unchanged."""
    import site
    import sys

    cache_before = _tree_digest(paths.cache_dir())
    sites = [Path(p) for p in {*site.getsitepackages(), *sys.path} if p and Path(p).is_dir()]
    subs = tmp_path / "subs"
    for name, text in (("honest", ADD + TOTAL), ("vandal", payload("outlive"))):
        (subs / name).mkdir(parents=True)
        (subs / name / "toy.py").write_text(text)
    out = tmp_path / "out"
    options = GradeOptions(seed=5, perf=False)
    todo, _ = plan(discover(subs, out / ".unpacked"), [toy_kata], out, options=options)
    run_local(todo, options, jobs=1)
    honest_file = out / "results" / "honest" / "toy.json"
    before = honest_file.read_text()
    time.sleep(5)  # the daemon would act now
    assert honest_file.read_text() == before
    vandal = json.loads((out / "results" / "vandal" / "toy.json").read_text())
    assert vandal["score"] == json.loads(before)["score"] == 60.0
    assert not _sandbox_leftovers("kata-attack-outlive"), "a process of the sandbox survived"
    assert not any((s / "zz_attack.pth").exists() for s in sites)
    assert not any(Path(p, "kata-attack-outlive-7f3a").exists() for p in ("/tmp", os.getcwd()))
    assert _tree_digest(paths.cache_dir()) == cache_before
    todo, done = plan(discover(subs, out / ".unpacked"), [toy_kata], out, options=options)
    assert (len(todo), len(done)) == (0, 2)  # both results intact: a resumed run trusts them
    later = grade(toy_kata, submit, ADD + TOTAL, "later", seed=5)
    assert later.score == 60.0 and later.status == "pass"


def test_a_tampered_result_is_graded_again(toy_kata, submit, tmp_path):
    """A result file edited after it was written (its digest no longer matches) is not trusted
    by a resumed cohort."""
    subs = tmp_path / "subs"
    (subs / "ann").mkdir(parents=True)
    (subs / "ann" / "toy.py").write_text(WRONG)
    out = tmp_path / "out"
    options = GradeOptions(seed=5, perf=False)
    todo, _ = plan(discover(subs, out / ".unpacked"), [toy_kata], out, options=options)
    run_local(todo, options, jobs=1)
    path = out / "results" / "ann" / "toy.json"
    data = json.loads(path.read_text())
    data["score"] = 100.0
    path.write_text(json.dumps(data))
    todo, done = plan(discover(subs, out / ".unpacked"), [toy_kata], out, options=options)
    assert (len(todo), len(done)) == (1, 0)


@pytest.fixture
def listeners(tmp_path):
    """A Unix socket on the host's file system and a TCP listener on 127.0.0.1, each counting
    the connections it accepts."""
    short = Path(f"/tmp/atk-{os.getpid()}.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(short))
    os.chmod(short, 0o777)
    unix.listen(4)
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(4)
    hits: list[str] = []

    def accept(server, label):
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                hits.append(label)
                conn.close()
            except OSError:
                continue

    stop = threading.Event()
    threads = [
        threading.Thread(target=accept, args=(s, k), daemon=True)
        for s, k in ((unix, "unix"), (tcp, "tcp"))
    ]
    for t in threads:
        t.start()
    yield str(short), tcp.getsockname()[1], hits
    stop.set()
    for t in threads:
        t.join(2)
    unix.close()
    tcp.close()
    short.unlink(missing_ok=True)


def test_no_network_even_below_the_socket_module(toy_kata, submit, listeners):
    """Class 6: a Unix socket on the host's file system and 127.0.0.1 through `_socket` are
    both out of reach; the sandbox's add() would tell if they were not."""
    unix_path, port, hits = listeners
    src = payload("network", UNIX_PATH=unix_path, TCP_PORT=str(port))
    attack = grade(toy_kata, submit, src, "attack")
    control = grade(toy_kata, submit, ADD + TOTAL, "control")
    assert attack.score == control.score == 60.0
    assert hits == []


def test_a_crash_loop_cannot_stop_the_run(toy_kata):
    """A submission that dies in every test costs a bounded number of restarts and still gets a
    result with every test listed."""
    src = "import os\n\n\ndef add(a, b):\n    os._exit(1)\n\n\ndef total(xs):\n    os._exit(1)\n"
    result = grade_files(toy_kata, {"toy.py": src.encode()}, GradeOptions(seed=1, perf=False))
    assert result.status == "error" and result.score == 0
    assert len([t for t in result.tests if t.counted]) == 4


@pytest.fixture(autouse=True)
def _no_leftover_scratch(tmp_path_factory, monkeypatch):
    """Grading leaves no scratch folder behind. The grader's temporary folders go to a folder
    of this test's own (a shared /tmp also holds the folders of grades that another test
    worker is running at the same time)."""
    private = tmp_path_factory.mktemp("scratch")
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    yield
    time.sleep(0.2)
    leftovers = sorted(p.name for p in private.glob("kata-*"))
    assert not leftovers, f"scratch folders left behind: {leftovers}"
