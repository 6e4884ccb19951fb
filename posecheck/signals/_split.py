"""Run a numba kernel on parts of its input at once, on the usable cores (private).

The kinematics core's heaviest kernels (Hampel, gap filling, the low-pass, the rolling
percentile) treat their rows, or windows of their samples, independently and release the
GIL (``nogil=True``), so a large input can be cut into parts that run on threads at the same
time and give *exactly* the numbers of one call (``tests/signals/test_signal_kernels.py``):

* :func:`by_rows` cuts the row axis of (m, n) row-wise batches (series are independent);
* :func:`by_windows` cuts the time axis of a centred sliding-window kernel, each part read
  with ``half`` extra samples on both sides so its windows are the ones a single call sees.

Inputs smaller than :data:`MIN_SAMPLES` / :data:`MIN_WINDOW_WORK` (the kinematics core's 24
landmark rows of ~400 frames) take one plain call. Measured on 2 cores: handing a part to a
thread costs ~15 µs; the Hampel on 24 rows x 200 frames takes 90 µs in one call and 60 µs in
two parts, on 24 x 2,400 frames 1.06 ms and 0.54 ms. The worker threads are created
on first use, one fewer than the usable cores (the calling thread runs a part itself).
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections.abc import Callable, Sequence

import numpy as np

from posecheck import cores

#: row-wise inputs with fewer samples (rows x samples per row) run as one call ...
MIN_SAMPLES = 10_000
#: ... and so do window kernels with fewer samples x window lengths
MIN_WINDOW_WORK = 100_000

_POOL: list = [None]  # the executor, created on first use (its parts never submit parts)
_POOL_LOCK = threading.Lock()


def parts(total: int, count: int) -> list[tuple[int, int]]:
    """``count`` contiguous ``(start, stop)`` ranges covering ``[0, total)``, sizes within 1."""
    count = max(1, min(int(count), int(total)))
    edges = np.linspace(0, total, count + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges, edges[1:]) if b > a]


def workers_for(work: int, minimum: int | None = None) -> int:
    """How many parts an input is cut into: 1 (one plain call) when its ``work`` is below
    ``minimum`` (default :data:`MIN_SAMPLES`), else the usable cores."""
    if work < (MIN_SAMPLES if minimum is None else minimum):
        return 1
    return cores.usable_cores()


def _run(calls: list[Callable[[], None]]) -> None:
    """Run ``calls``: the first on this thread, the others on the pool (queued if it has
    fewer threads); re-raise the first error once all have ended."""
    if len(calls) == 1:
        calls[0]()
        return
    with _POOL_LOCK:
        if _POOL[0] is None:
            _POOL[0] = cf.ThreadPoolExecutor(max(1, cores.usable_cores() - 1),
                                             thread_name_prefix="posecheck-kernel")
        pool = _POOL[0]
    futures = [pool.submit(c) for c in calls[1:]]
    error: BaseException | None = None
    try:
        calls[0]()
    except BaseException as e:  # noqa: BLE001 - re-raised below, after the others end
        error = e
    for f in futures:
        try:
            f.result()
        except BaseException as e:  # noqa: BLE001
            error = error or e
    if error is not None:
        raise error


def by_rows(kernel: Callable, args: Sequence, row_args: Sequence[int], m: int, n: int,
            count: int | None = None) -> None:
    """``kernel(*args)`` run as row slices ``[a:b]`` of the arguments at positions
    ``row_args`` (arrays whose axis 0 is the ``m`` rows; all other arguments are passed
    whole). ``count`` parts (default: :func:`workers_for` of ``m * n``)."""
    count = workers_for(m * n) if count is None else count

    def call(a: int, b: int) -> Callable[[], None]:
        sliced = [v[a:b] if i in row_args else v for i, v in enumerate(args)]
        return lambda: kernel(*sliced)

    _run([call(a, b) for a, b in parts(m, count)] or [lambda: kernel(*args)])


def by_windows(kernel: Callable, x: np.ndarray, half: int, args: Sequence, out: np.ndarray,
               count: int | None = None) -> None:
    """``kernel(x, half, *args, out)`` for a kernel whose ``out[i]`` depends on ``x[i - half :
    i + half + 1]`` only (truncated at the ends of ``x``), run on time slices: each part
    reads ``x`` with ``half`` samples of context on both sides and writes its own range of
    ``out`` (axis 0 = time for both). ``count`` parts (default: :func:`workers_for` of
    ``x.size`` x the window length)."""
    n = x.shape[0]
    if count is None:
        count = workers_for(x.size * (2 * half + 1), MIN_WINDOW_WORK)
    if count <= 1 or n <= 2 * half + 1:
        kernel(x, half, *args, out)
        return

    def call(a: int, b: int) -> Callable[[], None]:
        lo, hi = max(0, a - half), min(n, b + half)
        tmp = np.empty((hi - lo,) + out.shape[1:], dtype=out.dtype)

        def run() -> None:
            kernel(x[lo:hi], half, *args, tmp)
            out[a:b] = tmp[a - lo: b - lo]
        return run

    _run([call(a, b) for a, b in parts(n, count)])
