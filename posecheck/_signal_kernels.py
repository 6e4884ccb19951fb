"""Private numba kernels for signal conditioning. Public, validated wrappers live in
:mod:`posecheck.filtering`.

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


@njit(cache=True, inline="always")
def _sorted_replace(buf, c, v_out, v_in):
    """Replace one occurrence of v_out by v_in in the ascending buf[:c], shifting only the
    elements between their two positions; returns c (unchanged)."""
    lo = 0
    hi = c
    while lo < hi:                      # first index with buf[idx] >= v_out
        mid = (lo + hi) // 2
        if buf[mid] < v_out:
            lo = mid + 1
        else:
            hi = mid
    j = lo
    if v_in >= v_out:
        while j + 1 < c and buf[j + 1] < v_in:
            buf[j] = buf[j + 1]
            j += 1
    else:
        while j > 0 and buf[j - 1] > v_in:
            buf[j] = buf[j - 1]
            j -= 1
    buf[j] = v_in
    return c


@njit(cache=True)
def _sorted_median(buf, c):
    h = c // 2
    if c % 2 == 1:
        return buf[h]
    return 0.5 * (buf[h - 1] + buf[h])


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


@njit(cache=True)
def _hampel(x, half, k, min_dev, replace_with_median, out, outlier):
    """Hampel identifier over a centred window of ``2*half + 1`` samples (truncated at ends).

    For sample i with finite value v, the window's finite values give the median ``med`` and
    ``mad = median(|w - med|)``; v is an outlier when
    ``|v - med| > max(k * MAD_SCALE * mad, min_dev)``. Outliers are written as NaN (or as
    ``med`` when ``replace_with_median``) and flagged in ``outlier``; other samples are
    copied. NaN samples stay NaN and are never flagged; windows holding fewer than 3 finite
    values are not judged. The window always reads the *input* (non-recursive filter).

    Cost O(n · w) per row instead of O(n · w log w): the window's finite values are kept
    sorted by insertion/deletion as it slides, the median is read off the middle and the
    MAD is a merge outward from the middle (only computed when ``|v - med| > min_dev``).
    """
    m, n = x.shape
    buf = np.empty(2 * half + 1)
    for r in range(m):
        c = 0
        for j in range(0, min(n, half)):          # window of i = 0 is [0, half]
            w = x[r, j]
            if math.isfinite(w):
                _sorted_insert(buf, c, w)
                c += 1
        for i in range(n):
            j_in = i + half                       # enters the window of i
            w_in = x[r, j_in] if j_in < n else math.nan
            j_out = i - half - 1                  # left the window of i
            w_out = x[r, j_out] if j_out >= 0 else math.nan
            if math.isfinite(w_in) and math.isfinite(w_out):
                c = _sorted_replace(buf, c, w_out, w_in)
            elif math.isfinite(w_in):
                _sorted_insert(buf, c, w_in)
                c += 1
            elif math.isfinite(w_out):
                _sorted_remove(buf, c, w_out)
                c -= 1
            v = x[r, i]
            out[r, i] = v
            outlier[r, i] = False
            if not math.isfinite(v) or c < 3:
                continue
            med = _sorted_median(buf, c)
            dv = abs(v - med)
            if dv <= min_dev:
                continue
            if dv > k * MAD_SCALE * _sorted_mad(buf, c, med):
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


@njit(cache=True)
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
