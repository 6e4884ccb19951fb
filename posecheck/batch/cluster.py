"""Run a batch's analyses as tasks on a Dask distributed cluster (``--scheduler ADDRESS``).

Each job goes to a worker as one task (:func:`posecheck.batch.run.analyse_job`): the
worker reads the clip by its path and writes the output folder itself, so workers need
the same posecheck and the same files (a shared folder); the small result (the report
content) comes back here, where it is recorded in the library exactly as in a local run.
A task that raises is reported like a failed clip. Needs the ``cluster`` extra
(``pip install posecheck[cluster]``).
"""

from __future__ import annotations

from collections.abc import Callable

from posecheck.errors import PosecheckError
from posecheck.batch.discover import BatchUsageError, Job


class ClusterUnavailable(PosecheckError):
    """The Dask scheduler cannot be reached, or Dask is not installed."""


def run_on_cluster(address: str, task: Callable[[Job], object], jobs: list[Job],
                   on_result: Callable[[Job, object], list[Job]],
                   on_error: Callable[[Job, BaseException], None],
                   say: Callable[[str, str], None], timeout_s: float = 30.0) -> None:
    """Submit ``task(job)`` for each of ``jobs`` to the scheduler at ``address`` (``task``:
    an importable function, :func:`posecheck.batch.run.analyse_job`); call
    ``on_result(job, result)`` (which may return follow-up jobs, submitted in turn) or
    ``on_error(job, exception)`` for each as it finishes."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise BatchUsageError("--scheduler needs Dask: pip install 'posecheck[cluster]'") from None
    try:
        client = Client(address, timeout=timeout_s)
    except (OSError, TimeoutError) as exc:
        raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        futures = {}
        total = 0

        def submit(job: Job):
            nonlocal total
            total += 1
            fut = client.submit(task, job, pure=False,
                                key=f"posecheck-{job.content_hash[:16]}-{job.person}-{total}")
            futures[fut] = job
            say("start", f"[sent {total}] {job.clip_path}"
                         + (f" #{job.person}" if job.person else ""))
            return fut

        pending = as_completed([submit(j) for j in jobs])
        for fut in pending:
            job = futures.pop(fut)
            try:
                result = fut.result()
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - a failed task is a failed clip
                on_error(job, exc)
                continue
            finally:
                fut.release()
            for more in on_result(job, result):
                pending.add(submit(more))
