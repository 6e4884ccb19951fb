"""Private numba kernel for :func:`posecheck.signals.outliers.remove_jumps` (same row-wise
conventions as :mod:`posecheck.signals._kernels`: ``x`` (m, n) float64, time along the last
axis, NaN = missing, preallocated outputs)."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def _remove_jumps(x, t, max_rate, tol, max_s, out, replaced):
    """Per row: a sample that leaves the straight continuation of the two before it faster
    than ``max_rate`` (units of ``x`` per second: a change of speed) starts a jump; it ends at the first later sample, at most ``max_s``
    after the last good one, that lies where the series could have got at its speed before
    the jump, having kept or lost that speed: within ``[min(0, s), max(0, s)] ± tol`` of the
    last good sample, ``s`` = that speed × the time since it. The samples of the jump are
    replaced by the line between the last good sample and that end; a jump with no end
    within ``max_s`` is left as it is."""
    m, n = x.shape
    for r in range(m):
        for i in range(n):
            out[r, i] = x[r, i]
            replaced[r, i] = False
        i = 2
        while i < n:
            a, b, c = out[r, i - 2], out[r, i - 1], out[r, i]
            dt = t[i] - t[i - 1]
            if not (a == a and b == b and c == c) or dt <= 0.0:
                i += 1
                continue
            speed = (b - a) / (t[i - 1] - t[i - 2])
            if abs(c - b - speed * dt) <= max_rate * dt:
                i += 1
                continue
            end = -1
            j = i + 1
            while j < n and t[j] - t[i - 1] <= max_s:
                v = x[r, j]
                if v == v:
                    s = speed * (t[j] - t[i - 1])
                    d = v - b
                    if min(0.0, s) - tol <= d <= max(0.0, s) + tol:
                        end = j
                        break
                j += 1
            if end < 0:
                i += 1
                continue
            span = t[end] - t[i - 1]
            for q in range(i, end):
                w = (t[q] - t[i - 1]) / span
                out[r, q] = b + w * (x[r, end] - b)
                replaced[r, q] = True
            i = end + 1
