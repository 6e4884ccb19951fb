"""Array helpers of the per-stride metrics (:mod:`posecheck.gait.strides`): windows of
frames per swing evaluated at once on padded (swings, frames) arrays, sub-frame peaks and
interpolation. Plain NumPy; every function states its shapes."""

from __future__ import annotations

import numpy as np


def _interp_many(series: np.ndarray, times: np.ndarray, tq: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``series`` (n,) at each time of ``tq`` (k,) seconds: between
    the two frames around the time when both are finite, else ``np.interp`` over the finite
    samples (NaN with fewer than 2 finite samples, and for a NaN time)."""
    n = series.shape[0]
    out = np.full(tq.shape[0], np.nan)
    ok_t = np.isfinite(tq)
    i = np.searchsorted(times, tq)
    lo, hi = np.maximum(i - 1, 0), np.minimum(i, n - 1)
    fast = ok_t & (i > 0) & (i < n) & np.isfinite(series[lo]) & np.isfinite(series[hi])
    u = (tq[fast] - times[lo[fast]]) / (times[hi[fast]] - times[lo[fast]])
    out[fast] = series[lo[fast]] + u * (series[hi[fast]] - series[lo[fast]])
    slow = ok_t & ~fast
    if slow.any():
        ok = np.isfinite(series)
        if ok.sum() >= 2:
            out[slow] = np.interp(tq[slow], times[ok], series[ok])
    return out


def _windows(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frame windows [start, stop) (k,) as a padded (k, w) index array and its valid mask
    (padding repeats the window's first frame)."""
    length = stop - start
    w = max(int(length.max()), 1) if length.size else 1
    j = np.arange(w)
    valid = j[None, :] < length[:, None]
    return np.where(valid, start[:, None] + j[None, :], start[:, None]), valid


def _first_max(vals: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per row, the offset of the first largest finite valid value (as ``np.nanargmax`` of
    the window), or -1 when the window has no finite value."""
    ok = valid & np.isfinite(vals)
    idx = np.argmax(np.where(ok, vals, -np.inf), axis=1)
    return np.where(ok.any(axis=1), idx, -1)


def _max_ignoring_nan(vals: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per row, the largest non-NaN valid value (as ``np.nanmax`` of the window); NaN when
    there is none (without ``nanmax``'s all-NaN warning)."""
    ok = valid & ~np.isnan(vals)
    best = np.max(np.where(ok, vals, -np.inf), axis=1)
    return np.where(ok.any(axis=1), best, np.nan)


def _first_upcrossing(vals: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the first offset i with ``vals[i] < 0 <= vals[i + 1]`` inside the window
    (-1 if none) and the fraction ``u = -vals[i] / (vals[i + 1] - vals[i])`` (NaN if none)."""
    v0, v1 = vals[:, :-1], vals[:, 1:]
    cross = (v0 < 0) & (0 <= v1) & valid[:, 1:]
    has = cross.any(axis=1)
    i = np.where(has, np.argmax(cross, axis=1), -1)
    r = np.arange(vals.shape[0])
    ii = np.maximum(i, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = -v0[r, ii] / (v1[r, ii] - v0[r, ii]) if vals.shape[1] > 1 else np.zeros(len(r))
    return i, np.where(has, u, np.nan)


def _cubic_peak(y: np.ndarray, i: np.ndarray, lo: np.ndarray,
                hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sub-frame maximum of the series ``y`` (m,) near each local-maximum sample ``i`` (k,)
    whose series spans the indices ``lo`` … ``hi`` (k,) (inclusive; several series laid end
    to end).

    The cubic through four samples, i − 1 … i + 2 when y[i + 1] ≥ y[i − 1] (else the mirror
    image, i − 2 … i + 1), is maximised between i and its larger neighbour; a four-point
    cubic follows a skewed peak (fast rise, slow fall) where a parabola would lean to the
    slow side. Returns (fractional index, value); the sample itself where the four samples
    are not all finite or inside ``y``."""
    m = y.shape[0]
    ok = (i - 2 >= lo) & (i + 2 <= hi)
    ic = np.clip(i, 2, max(m - 3, 2)) if m >= 5 else np.zeros_like(i)
    yy = y[np.clip(ic[:, None] + np.arange(-2, 3), 0, m - 1)] if m else np.zeros((i.size, 5))
    fwd = yy[:, 3] >= yy[:, 1]
    # samples at u = -1, 0, 1, 2 (forward) or the mirror image (u counted backwards)
    p = np.where(fwd[:, None], yy[:, 1:5], yy[:, 3::-1])
    ym1, y0, y1, y2 = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    c1 = -ym1 / 3.0 - y0 / 2.0 + y1 - y2 / 6.0
    c2 = 0.5 * (ym1 + y1) - y0
    c3 = (y2 - ym1) / 6.0 + 0.5 * (y0 - y1)
    with np.errstate(invalid="ignore", divide="ignore"):
        den = np.sqrt(c2 * c2 - 3.0 * c3 * c1) - c2      # p'(u) = 0 with p''(u) < 0
        u = np.clip(c1 / den, 0.0, 1.0)
    ok &= np.isfinite(p).all(axis=1) & np.isfinite(u) & (den > 0)
    u = np.where(ok, u, 0.0)
    val = y0 + u * (c1 + u * (c2 + u * c3))
    iv = np.clip(i, 0, max(m - 1, 0))
    return (np.where(ok, i + np.where(fwd, u, -u), i.astype(float)),
            np.where(ok, val, y[iv] if m else np.nan))


def _at_fraction(series: np.ndarray, fi: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``series`` (m,) at fractional indices ``fi`` (k,) (NaN → NaN)."""
    f0 = np.clip(np.floor(fi).astype(np.int64), 0, series.shape[0] - 1)
    f1 = np.minimum(f0 + 1, series.shape[0] - 1)
    u = fi - f0
    return series[f0] + u * (series[f1] - series[f0])


def _last_before(ev_times: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Time of the last of the sorted ``ev_times`` strictly before each ``t`` (NaN if none)."""
    j = np.searchsorted(ev_times, t, side="left") - 1
    return np.where(j >= 0, ev_times[np.maximum(j, 0)] if ev_times.size else np.nan, np.nan)


def _nanmean(zeroed: np.ndarray, n_ok: np.ndarray, a: int, b: int) -> float:
    """``np.nanmean(x[a:b])`` (b > a) from ``zeroed`` = x with NaN as 0 and ``n_ok`` the
    cumulative count of non-NaN samples (n_ok[i] = count in x[:i]); the same sum
    (``np.add.reduce`` of the contiguous slice, as nanmean's) without its per-call overhead;
    NaN when the slice has no value."""
    cnt = int(n_ok[b] - n_ok[a]) if b > a else 0
    return float(np.add.reduce(zeroed[a:b]) / cnt) if cnt else float("nan")
