"""Cohort grading beyond one machine, on RQ (Redis Queue, https://python-rq.org).

Redis is already part of the kit, and RQ is a small, well-kept job queue on it: jobs, workers
with heartbeats, a registry of started jobs from which abandoned ones are retried. (Celery
needs a broker and a result backend configured apart; Dask distributed a scheduler process:
both are more machinery than "run this function on some machine and keep its return value".)

- ``kata cohort ... --queue redis://HOST:PORT/DB`` enqueues one job per (student, kata); the job
  id is derived from the student and the result's cache key, so enqueueing again is harmless.
- ``kata worker --queue URL`` on each grading machine runs jobs: it grades and returns the
  result as a JSON dict (the worker needs no access to the client's files: the submission travels
  in the job).
- The client writes each result file as soon as its job finishes, and can leave and come back:
  ``kata cohort ... --collect`` re-attaches to the jobs of the same submissions.
- A worker that dies mid-grade (SIGKILL, a lost machine) stops sending heartbeats; its job's
  entry in the started-job registry expires, the client's periodic cleanup moves it back to the
  queue (each job has retries), and another worker grades it. Results are keyed by student and
  kata, so the gradebook holds each submission exactly once.

Jobs are serialised as JSON (file contents base64), not pickle. Anyone who can write to the
queue's Redis can make workers run code: keep it private.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .catalog import get_kata
from .cohort import Task
from .errors import KataError
from .grade import GradeOptions, grade_files
from .result import GradeResult, result_from_dict

QUEUE_NAME = "kata-grading"
HEARTBEAT_S = 5  # a busy worker reports this often ...
GRACE_S = 10  # ... and its job counts as abandoned this long after a missed report
RESULT_TTL_S = 14 * 24 * 3600


def job_id(task: Task) -> str:
    """Deterministic RQ job id of a task (student and cache key)."""
    return "kata-" + hashlib.sha256(f"{task.student}|{task.key}".encode()).hexdigest()[:40]


def grade_job(kata_id: str, kata_version: int, files_b64: dict[str, str], origin: str,
              options: dict[str, Any], problem: str | None, key: str) -> dict[str, Any]:  # fmt: skip
    """The function a worker runs: grade and return the result as a JSON-ready dict.

    Raises:
        KataError: this worker's kit has another version of the kata than the client's (the
            job fails with that message rather than grade against the wrong suite).
    """
    kata = get_kata(kata_id)
    if kata.meta.version != kata_version:
        raise KataError(
            f"worker has {kata_id} version {kata.meta.version}, the cohort asked for {kata_version}"
        )
    files = {name: base64.b64decode(data) for name, data in files_b64.items()}
    result = grade_files(kata, files, GradeOptions(**options), origin=origin, problem=problem)
    result.cache_key = key
    return result.to_dict()


def _connection(url: str):
    from redis import Redis

    return Redis.from_url(url)


def _queue(url: str):
    from rq import Queue
    from rq.serializers import JSONSerializer

    return Queue(QUEUE_NAME, connection=_connection(url), serializer=JSONSerializer)


def enqueue(tasks: list[Task], url: str, options: GradeOptions) -> list[str]:
    """Enqueue every task not already queued, running or finished; returns all job ids."""
    from rq import Retry
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    queue = _queue(url)
    opts = {k: v for k, v in asdict(options).items() if k not in ("select", "keep_workdir")}
    ids = []
    for task in tasks:
        jid = job_id(task)
        ids.append(jid)
        try:
            status = Job.fetch(
                jid, connection=queue.connection, serializer=queue.serializer
            ).get_status()
            if status not in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                continue
        except NoSuchJobError:
            pass
        queue.enqueue(
            grade_job,
            kwargs={
                "kata_id": task.kata.id,
                "kata_version": task.kata.meta.version,
                "files_b64": {n: base64.b64encode(d).decode() for n, d in task.files.items()},
                "origin": task.origin,
                "options": opts,
                "problem": task.problem,
                "key": task.key,
            },
            job_id=jid,
            job_timeout=task.kata.meta.timeout_s + 120,
            result_ttl=RESULT_TTL_S,
            failure_ttl=RESULT_TTL_S,
            retry=Retry(max=3),
            description=task.label,
        )
    return ids


def _failed_result(task: Task, why: str) -> GradeResult:
    result = grade_files(task.kata, {}, GradeOptions(), origin=task.origin, problem=why)
    result.cache_key = task.key
    return result


def collect(
    tasks: list[Task],
    url: str,
    *,
    poll_s: float = 1.0,
    timeout_s: float | None = None,
    on_done: Callable[[Task, GradeResult], None] | None = None,
) -> int:
    """Wait for the tasks' jobs, writing each result file as its job finishes. Returns how many
    are still unfinished when ``timeout_s`` runs out (0 when all are done)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus
    from rq.registry import StartedJobRegistry

    queue = _queue(url)
    registry = StartedJobRegistry(queue=queue)
    waiting = {job_id(t): t for t in tasks}
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while waiting:
        registry.cleanup()  # abandoned jobs (dead workers) go back to the queue, or fail
        for jid, task in list(waiting.items()):
            try:
                job = Job.fetch(jid, connection=queue.connection, serializer=queue.serializer)
            except NoSuchJobError:
                result = _failed_result(task, "its grading job vanished from the queue; run again")
            else:
                status = job.get_status()
                if status == JobStatus.FINISHED:
                    result = result_from_dict(job.return_value(), jid)
                elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                    info = (
                        (job.latest_result().exc_string or "")[-300:] if job.latest_result() else ""
                    )
                    result = _failed_result(
                        task, f"grading failed on the worker ({status}): {info}"
                    )
                else:
                    continue
            result.write(task.result_path)
            del waiting[jid]
            if on_done:
                on_done(task, result)
        if waiting:
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(poll_s)
    return len(waiting)


def run_worker(url: str, *, burst: bool = False, name: str | None = None) -> None:
    """Run an RQ worker on the grading queue (``kata worker``): forks a work horse per job,
    reports every ``HEARTBEAT_S`` seconds, and lets a missed report expire ``GRACE_S`` later."""
    from rq import Worker
    from rq.serializers import JSONSerializer

    class KataWorker(Worker):
        def get_heartbeat_ttl(self, job, *args, **kwargs) -> int:  # noqa: ANN001, ARG002
            # RQ's signature grows between versions (3.0 passes working_time=): a worker that
            # raised TypeError here quit after its first grade longer than HEARTBEAT_S.
            return int(HEARTBEAT_S + GRACE_S)

    worker = KataWorker([_queue(url)], connection=_connection(url), serializer=JSONSerializer,
                        job_monitoring_interval=HEARTBEAT_S, maintenance_interval=30, name=name)  # fmt: skip
    worker.work(burst=burst, with_scheduler=False)
