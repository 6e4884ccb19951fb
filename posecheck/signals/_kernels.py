"""Private numba kernels for signal conditioning. Public, validated wrappers live in
:mod:`posecheck.signals.outliers` (Hampel, gap filling), :mod:`posecheck.signals.butterworth` (low-pass) and
:mod:`posecheck.signals.filtering` (unwrap, the pose chain); ``docs/filtering.md`` explains the fast
paths.

Every kernel works on a batch of independent series stored **row-wise**: ``x`` is a float64
C-contiguous array of shape (m, n) (m series of n samples, time along the last axis), and
the results go into preallocated outputs of the same shape. NaN marks a missing sample;
kernels never raise on NaN, they skip or propagate it as documented per kernel.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: Consistency constant of the MAD for Gaussian data (1 / Φ⁻¹(3/4)).
MAD_SCALE = 1.4826


@njit(cache=True, inline="always")
def _sorted_insert(buf, c, v):
    """Insert v into the ascending buf[:c] (c -> c + 1); O(c) shift."""
    j = c
    while j > 0 and buf[j - 1] > v:
        buf[j] = buf[j - 1]
        j -= 1
    buf[j] = v


@njit(cache=True, inline="always")
def _sorted_remove(buf, c, v):
    """Remove one occurrence of v from the ascending buf[:c] (c -> c - 1); O(c)."""
    lo = 0
    hi = c
    while lo < hi:                      # first index with buf[idx] >= v
        mid = (lo + hi) // 2
        if buf[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    for j in range(lo, c - 1):
        buf[j] = buf[j + 1]


@njit(cache=True)
def _sorted_mad(buf, c, med):
    """median(|buf[:c] - med|) of an ascending buf whose median is ``med``, in O(c / 2):
    the deviations left and right of the centre are each ascending outwards, so a merge
    from the centre yields them in order."""
    if c % 2 == 1:
        i = c // 2          # left run buf[i], buf[i-1], ... (buf[i] = med, deviation 0)
        j = i + 1           # right run buf[j], buf[j+1], ...
    else:
        i = c // 2 - 1
        j = c // 2
    k_lo = (c - 1) // 2     # ranks of the middle deviation(s)
    k_hi = c // 2
    lo_val = 0.0
    for r in range(k_hi + 1):
        if i >= 0 and (j >= c or med - buf[i] <= buf[j] - med):
            d = med - buf[i]
            i -= 1
        else:
            d = buf[j] - med
            j += 1
        if r == k_lo:
            lo_val = d
        if r == k_hi:
            return 0.5 * (lo_val + d) if k_hi != k_lo else d
    return lo_val


@njit(cache=True, inline="always")
def _mad_exceeds(buf, o, c, med, dv, c0):
    """``dv > c0 * _sorted_mad(buf[o:o + c], c, med)`` for an ascending window buf[o:o + c]
    (c >= 3) whose median is ``med``: the same floating-point decision, usually without
    computing the MAD.

    The deviations left of the centre (``med - buf[o + i]``, i = il, il-1, ...) and right of
    it (``buf[o + j] - med``, j = ir, ir+1, ...) each ascend outwards, so those with
    ``c0 * d < dv`` are a suffix of the left run plus a prefix of the right run, counted
    (``cnt``) by two binary searches. The MAD is the (k_lo, k_hi)-th smallest deviation
    (their mean for even c, which lies between them; ``c0 * d`` is monotone in d), so the
    test holds when ``cnt > k_hi``, fails when ``cnt <= k_lo`` and needs the MAD itself only
    for an even c with ``cnt == k_hi``. First a cheaper necessary condition:
    ``cnt >= k_lo + 1`` needs ``ceil((k_lo + 1) / 2)`` passing deviations on one side.
    """
    il = c // 2 if c % 2 == 1 else c // 2 - 1
    ir = il + 1
    need = (c + 1) // 2                 # k_lo + 1
    a = (need + 1) // 2
    if not (c0 * (med - buf[o + il - a + 1]) < dv or c0 * (buf[o + ir + a - 1] - med) < dv):
        return False
    lo = 0                              # first left index whose deviation passes
    hi = il + 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if c0 * (med - buf[o + mid]) < dv:
            hi = mid
        else:
            lo = mid + 1
    cnt = il + 1 - lo
    lo = ir                             # first right index whose deviation fails
    hi = c
    while lo < hi:
        mid = (lo + hi) >> 1
        if c0 * (buf[o + mid] - med) < dv:
            lo = mid + 1
        else:
            hi = mid
    cnt += lo - ir
    if cnt < need:
        return False
    if c % 2 == 1 or cnt > need:
        return True
    return dv > c0 * _sorted_mad(buf[o:], c, med)


@njit(cache=True, nogil=True)
def _hampel(x, half, k, min_dev, replace_with_median, out, outlier):
    """Hampel identifier over a centred window of ``2*half + 1`` samples (truncated at ends).

    For sample i with finite value v, the window's finite values give the median ``med`` and
    ``mad = median(|w - med|)``; v is an outlier when
    ``|v - med| > max(k * MAD_SCALE * mad, min_dev)``. Outliers are written as NaN (or as
    ``med`` when ``replace_with_median``) and flagged in ``outlier``; other samples are
    copied. NaN samples stay NaN and are never flagged; windows holding fewer than 3 finite
    values are not judged. The window always reads the *input* (non-recursive filter).

    The window's finite values are kept sorted in ``cur[1:c + 1]``, a buffer padded to a
    multiple of 8 slots with -inf before and +inf after them. Each step one value leaves and
    one enters the window; a missing one (NaN, or outside the row) counts as +inf, which
    leaves or joins the padding, so every step is the same branch-free, SIMD-friendly
    update: with p the rank of the leaving value and qq the slot of the entering one (both
    counts of smaller elements), slot j of the next buffer takes its left neighbour, itself
    or its right neighbour, or the entering value. The two counts for the next step are
    taken while that buffer is written. The median is read off the middle; the MAD test is
    :func:`_mad_exceeds`, only when ``|v - med| > min_dev``.
    """
    m, n = x.shape
    if n == 0:
        return
    w = ((2 * half + 1 + 7) // 8) * 8             # slots; > 2 * half + 1, so >= 1 padding
    cur = np.empty(w + 2)
    nxt = np.empty(w + 2)
    c0 = k * MAD_SCALE
    span = 2 * half + 1
    inf = math.inf
    for r in range(m):
        cur[:] = inf
        cur[0] = -inf
        nxt[:] = inf
        nxt[0] = -inf
        c = 0                                     # finite values in the window
        w_out = inf                               # leaves at step t: x[t - span]
        v0 = x[r, 0]
        w_in = v0 if math.isfinite(v0) else inf   # enters at step t: x[t]
        p = 0                                     # rank of w_out in cur (empty: 0)
        q = 0                                     # rank of w_in in cur
        for t in range(n + half):                 # after step t: window of i = t - half
            nw_out = inf
            if t + 1 - span >= 0:
                v = x[r, t + 1 - span]
                if math.isfinite(v):
                    nw_out = v
            nw_in = inf
            if t + 1 < n:
                v = x[r, t + 1]
                if math.isfinite(v):
                    nw_in = v
            qq = q - 1 if w_out < w_in else q      # slot of w_in once w_out is gone
            np_ = 0
            nq = 0
            for j in range(w):                    # slot j (buffer index j + 1)
                left = cur[j]                     # unconditional loads: vectorisable
                own = cur[j + 1]
                right = cur[j + 2]
                lo = own if j < p else right
                hi = left if j - 1 < p else own
                b = w_in if j == qq else (lo if j < qq else hi)
                nxt[j + 1] = b
                np_ += b < nw_out
                nq += b < nw_in
            cur, nxt = nxt, cur
            c += (w_in < inf) - (w_out < inf)
            p = np_
            q = nq
            w_out = nw_out
            w_in = nw_in
            i = t - half
            if i < 0:
                continue
            v = x[r, i]
            out[r, i] = v
            outlier[r, i] = False
            if not math.isfinite(v) or c < 3:
                continue
            h = c // 2
            med = cur[h + 1] if c % 2 == 1 else 0.5 * (cur[h] + cur[h + 1])
            dv = abs(v - med)
            if dv <= min_dev:
                continue
            if _mad_exceeds(cur, 1, c, med, dv, c0):
                outlier[r, i] = True
                out[r, i] = med if replace_with_median else math.nan


@njit(cache=True)
def _pchip_slope(h_left, h_right, m_left, m_right):
    """Fritsch–Butland / Fritsch–Carlson interior slope, as in SciPy's PchipInterpolator."""
    if m_left == 0.0 or m_right == 0.0 or (m_left > 0.0) != (m_right > 0.0):
        return 0.0
    w1 = 2.0 * h_right + h_left
    w2 = h_right + 2.0 * h_left
    return (w1 + w2) / (w1 / m_left + w2 / m_right)


@njit(cache=True, nogil=True)
def _fill_gaps(x, t, max_gap, out, filled):
    """Interpolate interior NaN runs whose bridged time ``t[b] - t[a] <= max_gap``.

    ``a`` is the last finite sample before the run and ``b`` the first finite one after it
    (times ``t``, shape (n,), strictly increasing seconds). With finite samples at ``a-1`` and
    ``b+1`` as well, the run is filled by the monotone cubic (PCHIP) Hermite segment that a
    PchipInterpolator through ``(a-1, a, b, b+1)`` would give on ``[t[a], t[b]]``; otherwise by
    linear interpolation between ``a`` and ``b``. Leading/trailing NaN runs and longer runs
    stay NaN. ``filled`` flags the samples written by interpolation.
    """
    m, n = x.shape
    for r in range(m):
        for i in range(n):
            out[r, i] = x[r, i]
            filled[r, i] = False
        i = 0
        while i < n:
            if math.isfinite(x[r, i]):
                i += 1
                continue
            s = i                      # first missing sample of the run
            while i < n and not math.isfinite(x[r, i]):
                i += 1
            a = s - 1
            b = i                      # first finite sample after the run (or n)
            if a < 0 or b >= n:
                continue
            if t[b] - t[a] > max_gap:
                continue
            ya = x[r, a]
            yb = x[r, b]
            h1 = t[b] - t[a]
            m1 = (yb - ya) / h1
            da = 0.0
            db = 0.0
            cubic = a >= 1 and b + 1 < n and math.isfinite(x[r, a - 1]) and math.isfinite(x[r, b + 1])
            if cubic:
                h0 = t[a] - t[a - 1]
                h2 = t[b + 1] - t[b]
                m0 = (ya - x[r, a - 1]) / h0
                m2 = (x[r, b + 1] - yb) / h2
                da = _pchip_slope(h0, h1, m0, m1)
                db = _pchip_slope(h1, h2, m1, m2)
            for j in range(s, b):
                u = (t[j] - t[a]) / h1
                if cubic:
                    u2 = u * u
                    u3 = u2 * u
                    out[r, j] = ((2.0 * u3 - 3.0 * u2 + 1.0) * ya + (u3 - 2.0 * u2 + u) * h1 * da
                                 + (-2.0 * u3 + 3.0 * u2) * yb + (u3 - u2) * h1 * db)
                else:
                    out[r, j] = ya + u * (yb - ya)
                filled[r, j] = True


@njit(cache=True)
def _unwrap(x, period, out):
    """Remove jumps larger than ``period / 2`` (same rule as ``np.unwrap(..., period=period)``).

    NaN samples stay NaN; each finite sample is unwrapped relative to the last *finite* one
    before it, so the result is continuous across NaN gaps.
    """
    m, n = x.shape
    half = 0.5 * period
    for r in range(m):
        offset = 0.0
        last = math.nan
        for i in range(n):
            v = x[r, i]
            if not math.isfinite(v):
                out[r, i] = math.nan
                continue
            if math.isfinite(last):
                d = v - last
                if abs(d) >= half:
                    dmod = ((d + half) % period) - half
                    if dmod == -half and d > 0.0:
                        dmod = half
                    offset += dmod - d
            last = v
            out[r, i] = v + offset


@njit(cache=True)
def _filtfilt_lanes(x, rows, starts, nl, length, sos, zi, padlen, ext, out):
    """``scipy.signal.sosfiltfilt(sos, run, padlen=min(padlen, length - 1))`` of ``nl`` (1 to
    4) runs ``x[rows[l], starts[l]:starts[l] + length]`` of one length, written to ``out``
    at the same places; bit-identical to SciPy (same odd extension, steady-state initial
    state ``zi * first sample``, direct form II transposed in the same operation order).

    The runs are filtered side by side (``ext`` is a (>= length + 2·padlen, 4) work array,
    time-major) with their states in registers, so the four independent recursions overlap
    instead of each waiting on its own multiply-add latency; lanes past ``nl`` repeat lane 0
    and are not written back.
    """
    ns = sos.shape[0]
    edge = min(padlen, length - 1)
    n_ext = length + 2 * edge
    r0, a0 = rows[0], starts[0]                   # unused lanes repeat lane 0
    r1, a1_ = (rows[1], starts[1]) if nl > 1 else (r0, a0)
    r2, a2_ = (rows[2], starts[2]) if nl > 2 else (r0, a0)
    r3, a3_ = (rows[3], starts[3]) if nl > 3 else (r0, a0)
    for j in range(length):                       # time-major copy, four read streams
        ext[edge + j, 0] = x[r0, a0 + j]
        ext[edge + j, 1] = x[r1, a1_ + j]
        ext[edge + j, 2] = x[r2, a2_ + j]
        ext[edge + j, 3] = x[r3, a3_ + j]
    for lane in range(4):                         # odd extension, as scipy's odd_ext
        first = ext[edge, lane]
        last = ext[edge + length - 1, lane]
        for j in range(edge):
            ext[j, lane] = 2.0 * first - ext[2 * edge - j, lane]
            ext[edge + length + j, lane] = 2.0 * last - ext[edge + length - 2 - j, lane]
    for backward in range(2):
        i0 = n_ext - 1 if backward else 0
        step = -1 if backward else 1
        # steady-state initial state from the first input sample of this pass (all sections)
        f0 = ext[i0, 0]
        f1 = ext[i0, 1]
        f2 = ext[i0, 2]
        f3 = ext[i0, 3]
        # one section at a time over the whole run (the cascade's section s only sees the
        # output of section s - 1, so this is the same arithmetic as sample by sample); the
        # four lanes' states stay in registers
        for s in range(ns):
            b0 = sos[s, 0]
            b1 = sos[s, 1]
            b2 = sos[s, 2]
            a1 = sos[s, 4]
            a2 = sos[s, 5]
            u0 = zi[s, 0] * f0
            v0 = zi[s, 1] * f0
            u1 = zi[s, 0] * f1
            v1 = zi[s, 1] * f1
            u2 = zi[s, 0] * f2
            v2 = zi[s, 1] * f2
            u3 = zi[s, 0] * f3
            v3 = zi[s, 1] * f3
            i = i0
            for _ in range(n_ext):
                x0 = ext[i, 0]
                x1 = ext[i, 1]
                x2 = ext[i, 2]
                x3 = ext[i, 3]
                y0 = b0 * x0 + u0
                u0 = b1 * x0 - a1 * y0 + v0
                v0 = b2 * x0 - a2 * y0
                y1 = b0 * x1 + u1
                u1 = b1 * x1 - a1 * y1 + v1
                v1 = b2 * x1 - a2 * y1
                y2 = b0 * x2 + u2
                u2 = b1 * x2 - a1 * y2 + v2
                v2 = b2 * x2 - a2 * y2
                y3 = b0 * x3 + u3
                u3 = b1 * x3 - a1 * y3 + v3
                v3 = b2 * x3 - a2 * y3
                ext[i, 0] = y0
                ext[i, 1] = y1
                ext[i, 2] = y2
                ext[i, 3] = y3
                i += step
    for j in range(length):
        out[r0, a0 + j] = ext[edge + j, 0]
        if nl > 1:
            out[r1, a1_ + j] = ext[edge + j, 1]
        if nl > 2:
            out[r2, a2_ + j] = ext[edge + j, 2]
        if nl > 3:
            out[r3, a3_ + j] = ext[edge + j, 3]


@njit(cache=True, nogil=True)
def _lowpass(x, regular, sos, zi, padlen, min_run, out, pending):
    """Zero-lag filtering of every finite run of every row of ``x`` (m, n).

    ``regular`` (n - 1,) bool: the interval from sample i to i + 1 is close enough to the
    nominal one to filter as uniform. Each run of at least ``min_run`` finite samples whose
    intervals are all regular is replaced by its ``sosfiltfilt`` (see
    :func:`_filtfilt_lanes`; runs of equal length are batched four at a time). Runs with an
    irregular interval are copied unfiltered and flagged at their first sample in
    ``pending`` (m, n) for the caller's resampling path; shorter runs and NaN are copied.
    """
    m, n = x.shape
    n_jobs = 0
    for r in range(m):
        for i in range(n):
            out[r, i] = x[r, i]
            pending[r, i] = False
        for i in range(n):                        # count the runs to allocate
            if math.isfinite(x[r, i]) and (i == 0 or not math.isfinite(x[r, i - 1])):
                n_jobs += 1
    job_row = np.empty(n_jobs, np.int64)
    job_start = np.empty(n_jobs, np.int64)
    job_len = np.empty(n_jobs, np.int64)
    n_jobs = 0
    longest = 0
    for r in range(m):
        i = 0
        while i < n:
            if not math.isfinite(x[r, i]):
                i += 1
                continue
            a = i
            while i < n and math.isfinite(x[r, i]):
                i += 1
            if i - a < min_run:
                continue
            ok = True
            for j in range(a, i - 1):
                if not regular[j]:
                    ok = False
                    break
            if not ok:
                pending[r, a] = True
                continue
            job_row[n_jobs] = r
            job_start[n_jobs] = a
            job_len[n_jobs] = i - a
            longest = max(longest, i - a)
            n_jobs += 1
    if n_jobs == 0:
        return
    # runs grouped by length (counting sort: no sort routine to compile)
    start = np.zeros(longest + 2, np.int64)
    for k in range(n_jobs):
        start[job_len[k] + 1] += 1
    for length in range(1, longest + 2):
        start[length] += start[length - 1]
    order = np.empty(n_jobs, np.int64)
    for k in range(n_jobs):
        order[start[job_len[k]]] = k
        start[job_len[k]] += 1
    ext = np.empty((longest + 2 * padlen, 4))
    rows = np.empty(4, np.int64)
    starts = np.empty(4, np.int64)
    k = 0
    while k < n_jobs:
        length = job_len[order[k]]
        nl = 0
        while nl < 4 and k + nl < n_jobs and job_len[order[k + nl]] == length:
            rows[nl] = job_row[order[k + nl]]
            starts[nl] = job_start[order[k + nl]]
            nl += 1
        _filtfilt_lanes(x, rows, starts, nl, length, sos, zi, padlen, ext, out)
        k += nl


@njit(cache=True, nogil=True)
def _rolling_percentile(x, half, q, min_count, out):
    """out[i] = the q-th percentile (0–100, linear interpolation as ``np.percentile``) of
    the finite values of rows max(0, i − half) … i + half of ``x`` (n, m), all columns
    pooled; NaN when fewer than ``min_count`` are finite.

    The window's values are kept sorted by insertion/deletion as it slides (O(w·m) per
    row instead of a sort per row)."""
    n, m = x.shape
    buf = np.empty((2 * half + 1) * m)
    c = 0
    for r in range(0, min(n, half)):
        for j in range(m):
            v = x[r, j]
            if math.isfinite(v):
                _sorted_insert(buf, c, v)
                c += 1
    for i in range(n):
        r_in = i + half
        r_out = i - half - 1
        for j in range(m):
            if r_in < n:
                v = x[r_in, j]
                if math.isfinite(v):
                    _sorted_insert(buf, c, v)
                    c += 1
            if r_out >= 0:
                v = x[r_out, j]
                if math.isfinite(v):
                    _sorted_remove(buf, c, v)
                    c -= 1
        if c < min_count or c == 0:
            out[i] = math.nan
            continue
        pos = q / 100.0 * (c - 1)
        lo = int(math.floor(pos))
        hi = min(lo + 1, c - 1)
        out[i] = buf[lo] + (pos - lo) * (buf[hi] - buf[lo])
