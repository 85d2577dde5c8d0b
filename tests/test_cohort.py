"""Cohort grading: folders and zips, a gradebook row per student, feedback, leaderboards, a
summary; resumable; unharmed by bad submissions; on RQ workers, exactly once even when a
worker is killed mid-grade."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from graders.cohort import discover, plan, run_local
from graders.grade import GradeOptions, grade_folder
from graders.gradebook import write_reports

ADD = "def add(a, b):\n    return a + b\n"
TOTAL = "def total(xs):\n    return sum(xs)\n"
SLOW_TOTAL = "def total(xs):\n    s = 0\n    for x in xs:\n        for _ in range(30):\n            pass\n        s += x\n    return s\n"


def cohort_folder(root: Path) -> Path:
    """Eight students: correct, wrong, slow, crashing, hanging, zipped, zip-slip, empty."""
    subs = root / "subs"
    files = {
        "ann": ADD + TOTAL,
        "ben": "def add(a, b):\n    return a - b\n" + TOTAL,
        "cat": ADD + SLOW_TOTAL,
        "dan": "import os\n" + ADD + "def total(xs):\n    os.abort()\n",
        "eve": "while True:\n    pass\n",
    }
    for name, text in files.items():
        (subs / name).mkdir(parents=True)
        (subs / name / "toy.py").write_text(text)
    with zipfile.ZipFile(subs / "fay.zip", "w") as zf:
        zf.writestr("fay/toy.py", ADD + TOTAL)  # wrapped in a top folder: still found
    with zipfile.ZipFile(subs / "gus.zip", "w") as zf:
        zf.writestr("../../escape.py", "x")
    (subs / "hal").mkdir()
    (subs / "hal" / "notes.txt").write_text("forgot the file")
    return subs


def rows(out: Path) -> dict[str, dict]:
    with open(out / "gradebook.csv") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def test_cohort_local(toy_kata, tmp_path):
    """Every student gets a result and a gradebook row; problems are flagged, not fatal; a
    second run grades nothing; a changed submission is regraded alone."""
    subs = cohort_folder(tmp_path)
    out = tmp_path / "out"
    students = discover(subs, out / ".unpacked")
    todo, done = plan(students, [toy_kata], out)
    assert (len(todo), len(done)) == (8, 0)
    options = GradeOptions(seed=7, timeout_s=15)
    start = time.monotonic()
    run_local(todo, options, jobs=2)
    elapsed = time.monotonic() - start
    # the hanging student costs its own timeout only: its grade is cut at the timeout, and the
    # run lasts no longer than its grades (a first grade of the hang, confirmed alone, aside)
    results = {
        s.name: json.loads((out / "results" / s.name / "toy.json").read_text()) for s in students
    }
    assert results["eve"]["duration_s"] <= options.timeout_s + 10, results["eve"]["duration_s"]
    spent = sum(r["duration_s"] for r in results.values())
    assert elapsed <= spent + (options.timeout_s + 10) + 10, (elapsed, spent)
    names = [s.name for s in students]
    write_reports(out, names, ["toy"])
    book = rows(out)
    assert set(book) == {"ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal"}
    assert book["ann"]["toy"] == "100" and book["fay"]["toy"] == "100"
    assert float(book["ben"]["toy"]) < 100 and "toy:fail" in book["ben"]["flags"]
    assert 50 <= float(book["cat"]["toy"]) < 100  # correct but slow: loses performance only
    assert "toy:error" in book["dan"]["flags"] and "toy:timeout" in book["eve"]["flags"]
    assert "toy:error" in book["gus"]["flags"] and book["gus"]["toy"] == "0"
    gus = json.loads((out / "results" / "gus" / "toy.json").read_text())
    assert "zip-slip" in gus["error"]
    assert (
        "toy.py is missing"
        in json.loads((out / "results" / "hal" / "toy.json").read_text())["error"]
    )
    feedback = (out / "feedback" / "ben.md").read_text()
    assert "test_add" in feedback and "add(" in feedback
    board = list(csv.reader(open(out / "leaderboard" / "toy.csv")))
    assert board[0][:4] == ["rank", "student", "status", "geomean_ratio"]
    assert board[-1][1] == "cat"  # the slow one ranks last
    assert "eve/toy: timeout" in (out / "summary.md").read_text()
    # resumable: nothing left to do; a changed file is graded again, alone
    todo, done = plan(discover(subs, out / ".unpacked"), [toy_kata], out)
    assert (len(todo), len(done)) == (0, 8)
    (subs / "ben" / "toy.py").write_text(ADD + TOTAL)
    todo, _ = plan(discover(subs, out / ".unpacked"), [toy_kata], out)
    assert [t.student for t in todo] == ["ben"]
    todo, _ = plan(discover(subs, out / ".unpacked"), [toy_kata], out, regrade=True)
    assert len(todo) == 8


def test_cohort_matches_grading_alone(toy_kata, tmp_path):
    """With the same seed, the cohort's scores equal grading each submission alone."""
    subs = cohort_folder(tmp_path)
    out = tmp_path / "out"
    students = [s for s in discover(subs, out / ".unpacked") if s.name in ("ann", "ben", "fay")]
    todo, _ = plan(students, [toy_kata], out)
    options = GradeOptions(seed=3, perf=False)
    run_local(todo, options, jobs=2)
    for s in students:
        alone = grade_folder(toy_kata, s.folder, options)
        cohort = json.loads((out / "results" / s.name / "toy.json").read_text())
        assert cohort["score"] == alone.score and cohort["status"] == alone.status


def kata_cli(*args, root, log=None, **kw):
    """``kata ARGS`` in its own session; its output to a pipe, or to the file ``log`` (a
    long-lived process nobody reads, such as a worker, must not block on a full pipe)."""
    env = {**os.environ, "KATA_KIT_ROOT": str(root)}
    out = subprocess.PIPE if log is None else open(log, "w")  # noqa: SIM115 - the child's
    try:
        return subprocess.Popen([sys.executable, "-m", "graders.cli", *map(str, args)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True, **kw)  # fmt: skip
    finally:
        if log is not None:
            out.close()


def test_killed_client_loses_nothing(toy_root, tmp_path):
    """SIGKILL the `kata cohort` client mid-run: what it graded stays; the rerun grades only
    the rest and the gradebook is complete."""
    subs = tmp_path / "subs"
    for i in range(6):
        (subs / f"s{i}").mkdir(parents=True)
        (subs / f"s{i}" / "toy.py").write_text(ADD + TOTAL)
    out = tmp_path / "out"
    client = kata_cli("cohort", subs, "--kata", "toy", "--out", out, "--jobs", "1", root=toy_root)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("results/*/toy.json"))) < 2:
        time.sleep(0.2)
    os.killpg(client.pid, signal.SIGKILL)
    client.wait()
    kept = {p: p.stat().st_mtime_ns for p in out.glob("results/*/toy.json")}
    assert 2 <= len(kept) < 6
    rerun = kata_cli("cohort", subs, "--kata", "toy", "--out", out, "--jobs", "2", root=toy_root)
    text, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, text
    assert f"{6 - len(kept)} to grade" in text or f"{len(kept)} already graded" in text
    assert all(p.stat().st_mtime_ns == m for p, m in kept.items()), "a kept result was regraded"
    assert len(rows(out)) == 6 and all(r["toy"] == "100" for r in rows(out).values())


@pytest.mark.slow
def test_queue_exactly_once_with_a_killed_worker(toy_root, real_redis_url, tmp_path):
    """A real redis-server and two `kata worker`s; one is SIGKILLed mid-grade; every
    submission still ends graded exactly once in the gradebook."""
    url = real_redis_url.rsplit("/", 1)[0] + "/3"
    import redis

    redis.Redis.from_url(url).flushdb()  # db 3 of a server these tests own or were given
    subs = tmp_path / "subs"
    for i in range(8):
        (subs / f"s{i}").mkdir(parents=True)
        body = ADD + (SLOW_TOTAL if i % 4 == 0 else TOTAL)
        (subs / f"s{i}" / "toy.py").write_text(body)
    out = tmp_path / "out"
    workers = [
        kata_cli(
            "worker",
            "--queue",
            url,
            "--name",
            f"w{i}-{os.getpid()}",
            root=toy_root,
            log=tmp_path / f"worker{i}.log",
        )  # fmt: skip
        for i in range(2)
    ]
    try:
        client = kata_cli(
            "cohort", subs, "--kata", "toy", "--out", out, "--queue", url, root=toy_root
        )
        victim = None
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:  # a worker with a job in hand
            for w in workers:
                try:
                    kids = psutil.Process(w.pid).children(recursive=True)
                    busy = any("pytest" in " ".join(k.cmdline()) for k in kids if k.is_running())
                except psutil.Error:  # a child ended while we looked
                    continue
                if busy:
                    victim = w
                    break
            time.sleep(0.1)
        assert victim is not None, "no worker started grading"
        for proc in psutil.Process(victim.pid).children(recursive=True):
            proc.kill()
        os.killpg(victim.pid, signal.SIGKILL)
        try:
            text, _ = client.communicate(timeout=900)  # a busy machine: 8 grades on one worker
        except subprocess.TimeoutExpired:
            client.kill()
            logs = "\n".join(
                f"--- worker{i}.log\n" + (tmp_path / f"worker{i}.log").read_text()[-3000:]
                for i in range(2)
            )
            raise AssertionError(f"the cohort did not end in 900 s\n{logs}") from None
        assert client.returncode == 0, text
    finally:
        for w in workers:
            try:
                os.killpg(w.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    book = rows(out)
    assert sorted(book) == [f"s{i}" for i in range(8)]
    for i in range(8):
        result = json.loads((out / "results" / f"s{i}" / "toy.json").read_text())
        assert result["status"] == "pass" if i % 4 else result["status"] in ("fail", "pass")
        assert result["submission"]["files"] == ["toy.py"]
    with open(out / "gradebook.csv") as fh:
        students = [r["student"] for r in csv.DictReader(fh)]
    assert len(students) == len(set(students)) == 8
    # re-attaching collects the same results without enqueueing anything again
    again = kata_cli(
        "cohort", subs, "--kata", "toy", "--out", out, "--queue", url, "--collect", root=toy_root
    )
    text, _ = again.communicate(timeout=60)
    assert again.returncode == 0 and "0 to grade" in text


@pytest.mark.slow
def test_an_interrupted_cohort_resumes_to_the_same_gradebook(toy_root, tmp_path):
    """Interrupted at several points with SIGINT and with SIGKILL, then run again to the end,
    a cohort's gradebook equals an uninterrupted run's: an interrupted grade leaves no result,
    never a wrong one (no 'oom' made of a kill), and every result file is intact."""
    import random
    import signal
    import subprocess
    import sys

    from graders.result import load_result

    subs = tmp_path / "subs"
    sources = {f"s{i}": (ADD + TOTAL if i % 3 else "def add(a, b):\n    return a - b\n" + TOTAL)
               for i in range(6)}  # fmt: skip
    for name, text in sources.items():
        (subs / name).mkdir(parents=True)
        (subs / name / "toy.py").write_text(text)
    env = {**os.environ, "KATA_KIT_ROOT": str(toy_root)}

    def cohort(out: Path) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "graders.cli", "cohort", str(subs), "--kata", "toy", "--out",
             str(out), "--jobs", "2", "--perf", "off", "--seed", "9"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    straight = tmp_path / "straight"
    assert cohort(straight).wait(600) == 0
    out = tmp_path / "interrupted"
    chance = random.Random(4)
    for sig in (signal.SIGINT, signal.SIGKILL, signal.SIGINT, signal.SIGKILL):
        proc = cohort(out)
        time.sleep(chance.uniform(1.0, 6.0))
        proc.send_signal(sig)
        proc.wait(120)
        for path in (out / "results").rglob("*.json"):
            result = load_result(path)
            assert result.status != "oom" and result.digest == result.content_digest(), path
    assert cohort(out).wait(600) == 0
    assert rows(out) == rows(straight)


def test_a_hang_on_a_warm_zygote_is_counted_and_does_not_outlive_its_grade(toy_kata, submit):
    """In a cohort the sandboxes are forked by a warm zygote, not by the judge: a submission
    spinning at import still counts as running (its CPU share at the timeout is the sandbox's,
    so the cohort does not take it for starved), and once the judge is killed at the grade's
    timeout no process of the grade keeps spinning."""
    from graders.warm import warm_processes

    folder = submit({"toy.py": "while True:\n    pass\n"})
    with warm_processes([toy_kata], 1) as warm:
        if warm is None:
            pytest.skip("no warm processes here (they need bubblewrap)")
        result = grade_folder(toy_kata, folder, GradeOptions(seed=1, timeout_s=6))
        assert result.status == "timeout"
        share = result.machine.get("cpu_share_at_timeout")
        assert share is not None and share >= 0.3, result.machine
        (zygote,) = warm._zygotes.values()
        kids = psutil.Process(zygote.proc.pid).children(recursive=True)
        settled = {p.pid for p in kids}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # only the zygote's own processes stay
            left = [p for p in kids if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
            busy = [p for p in left if p.cpu_percent(interval=0.2) > 50]
            if not busy:
                break
        assert not busy, f"still spinning after the grade: {busy} of {settled}"
