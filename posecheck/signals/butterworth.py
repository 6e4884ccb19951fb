"""Zero-lag Butterworth low-pass in real Hz, and the series conventions shared by the
signal-conditioning modules (:mod:`posecheck.signals.filtering`, :mod:`posecheck.signals.outliers`; see
``docs/filtering.md``).

Conventions: series are arrays whose **axis 0 is time** (one row per decoded frame); any
trailing shape is allowed ((n,), (n, 33, 2), ...). Internally they are handled as (m, n)
C-contiguous float64 *rows* (one series per row, time along the row). ``times`` are real
seconds (slow-motion factor already applied), finite and strictly increasing. Pixel series
are in image pixels, angles in degrees. NaN = missing; nothing here raises on NaN.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, sosfilt_zi, sosfiltfilt

from posecheck.signals import _kernels as _k
from posecheck.signals import _split

__all__ = ["FilterWarning", "butter_sos", "lowpass", "sampling_rate", "two_pass_correction",
           "two_pass_design_cutoff"]

#: Finite runs shorter than this are returned unfiltered by :func:`lowpass`.
MIN_RUN = 4


class FilterWarning(UserWarning):
    """A filter could not be applied as asked (e.g. cut-off at or above Nyquist)."""


# --------------------------------------------------------------------------- validation


def _check_times(times, n: int | None = None) -> np.ndarray:
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError(f"times must be a 1-D array of seconds, got shape {t.shape}")
    if n is not None and t.shape[0] != n:
        raise ValueError(f"times has {t.shape[0]} samples but the series has {n} (axis 0)")
    if not np.all(np.isfinite(t)):
        raise ValueError("times must be finite (real seconds)")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        raise ValueError("times must be strictly increasing")
    return np.ascontiguousarray(t)


def _rows(name: str, x) -> tuple[np.ndarray, tuple[int, ...]]:
    """(n, ...) array → (m, n) C-contiguous float64 rows, plus the original shape."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array: {exc}") from None
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (time on axis 0)")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains ±inf; use NaN for missing samples")
    n = arr.shape[0]
    return np.ascontiguousarray(arr.reshape(n, int(np.prod(arr.shape[1:]))).T), arr.shape


def _unrows(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.ascontiguousarray(rows.T).reshape(shape)


def _rate(t: np.ndarray) -> float:
    """Median sampling rate (Hz) of validated times with at least 2 samples."""
    return 1.0 / float(np.median(np.diff(t)))


# --------------------------------------------------------------------------- design


def sampling_rate(times) -> float:
    """Median frames per real second of ``times`` ((n,) seconds, n >= 2), in Hz."""
    t = _check_times(times)
    if t.size < 2:
        raise ValueError("need at least 2 time stamps to know the sampling rate")
    return _rate(t)


def two_pass_correction(order: int = 2, n_passes: int = 2) -> float:
    """Winter's correction factor C = (2^(1/n_passes) − 1)^(1/(2·order)).

    For the usual 2nd-order filter run twice (forward and backward) C = 0.802. Dividing the
    pre-warped cut-off by C makes the -3 dB point of the *cascade* equal the target.
    """
    return float((2.0 ** (1.0 / n_passes) - 1.0) ** (1.0 / (2.0 * order)))


def two_pass_design_cutoff(cutoff_hz: float, fs: float, order: int = 2) -> float:
    """Per-pass Butterworth design frequency (Hz) so that the forward-backward filter has
    its -3 dB point at ``cutoff_hz`` when sampled at ``fs`` Hz.

    Winter (2009, p. 69) / Robertson et al. (2014, p. 288): the correction is applied to
    the pre-warped analog frequency, ``U = tan(π f_c / f_s) / C``, and the design frequency
    is ``f_s / π · atan(U)``; always below Nyquist. Requires ``0 < cutoff_hz < fs / 2``.
    """
    if not (fs > 0 and math.isfinite(fs)):
        raise ValueError(f"sampling rate must be a positive number of Hz, got {fs!r}")
    if not 0 < cutoff_hz < 0.5 * fs:
        raise ValueError(f"cut-off {cutoff_hz} Hz must lie in (0, {0.5 * fs:g}) Hz (Nyquist)")
    u = math.tan(math.pi * cutoff_hz / fs) / two_pass_correction(order, 2)
    return fs / math.pi * math.atan(u)


def butter_sos(cutoff_hz: float, fs: float, order: int = 2) -> np.ndarray:
    """Second-order sections of the per-pass low-pass Butterworth filter (scipy design) whose
    forward-backward application has its -3 dB point at ``cutoff_hz`` for sampling rate
    ``fs`` (both Hz)."""
    return butter(order, two_pass_design_cutoff(cutoff_hz, fs, order), btype="low", fs=fs,
                  output="sos")


@lru_cache(maxsize=64)
def _design(cutoff_hz: float, fs: float, order: int) -> tuple[np.ndarray, np.ndarray]:
    """(sos, zi) of :func:`butter_sos` and ``scipy.signal.sosfilt_zi``, cached: a clip is
    filtered several times with the same design. The arrays are shared: never modify."""
    sos = np.ascontiguousarray(butter_sos(cutoff_hz, fs, order))
    return sos, np.ascontiguousarray(sosfilt_zi(sos))


# --------------------------------------------------------------------------- low-pass


def _filtfilt_run(sos: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Forward-backward filter along the last axis of y ((n,) or (m, n)), with SciPy."""
    padlen = min(3 * (2 * sos.shape[0] + 1), y.shape[-1] - 1)
    return sosfiltfilt(sos, y, axis=-1, padlen=padlen)


def _lowpass_rows(rows: np.ndarray, t: np.ndarray, cutoff_hz: float, order: int,
                  jitter_tol: float) -> tuple[np.ndarray, bool, list[str]]:
    """Low-pass of (m, n) rows sampled at ``t``: ``(filtered, resampled, notes)``.

    Uniformly timed runs go through the numba kernel ``_signal_kernels._lowpass`` (the same
    numbers as ``sosfiltfilt``, runs of equal length four at a time); runs with an interval
    off by more than ``jitter_tol`` go through :func:`_lowpass_irregular`.
    """
    n = t.size
    if n < MIN_RUN:
        return rows.copy(), False, []
    fs = _rate(t)
    if cutoff_hz >= 0.5 * fs:
        return rows.copy(), False, [
            f"low-pass skipped: the cut-off {cutoff_hz:g} Hz is not below the Nyquist "
            f"frequency {0.5 * fs:.1f} Hz of a {fs:.1f} fps clip"]
    sos, zi = _design(cutoff_hz, fs, order)
    regular = np.abs(np.diff(t) * fs - 1.0) <= jitter_tol
    out = np.empty_like(rows)
    pending = np.empty(rows.shape, dtype=np.bool_)
    _split.by_rows(_k._lowpass, (rows, regular, sos, zi, 3 * (2 * sos.shape[0] + 1), MIN_RUN, out,
                                 pending), (0, 6, 7), *rows.shape)
    resampled = False
    if not regular.all():
        for r, a in zip(*np.nonzero(pending)):
            gap = np.flatnonzero(~np.isfinite(rows[r, a:]))
            b = a + (gap[0] if gap.size else n - a)
            resampled |= _lowpass_irregular(out, rows, r, a, b, t[a:b], sos, fs)
    return out, resampled, []


def _lowpass_irregular(out, rows, r, a, b, tt, sos, fs) -> bool:
    """Filter the irregularly timed run rows[r, a:b] through a uniform grid (in place)."""
    y = rows[r, a:b]
    # irregular: uniform grid at the clip's median rate covering the run, filter, back
    n_grid = int(math.ceil((tt[-1] - tt[0]) * fs - 1e-9)) + 1
    if n_grid < MIN_RUN:
        return False
    grid = tt[0] + np.arange(n_grid) / fs
    yu = CubicSpline(tt, y)(grid) if tt.size >= 3 else np.interp(grid, tt, y)
    out[r, a:b] = CubicSpline(grid, _filtfilt_run(sos, yu))(tt)
    return True


def lowpass(x, times, cutoff_hz: float = 10.0, order: int = 2, jitter_tol: float = 0.05) -> np.ndarray:
    """Zero-lag Butterworth low-pass with the cut-off in real Hz.

    Args:
        x: (n, ...) float series, time on axis 0 (pixels, degrees, ...); NaN = missing.
        times: (n,) real seconds, strictly increasing. The sampling rate is its median rate.
        cutoff_hz: -3 dB frequency of the *whole* forward-backward filter, in Hz.
        order: Butterworth order of each pass (designed by ``scipy.signal.butter``).
        jitter_tol: runs whose frame intervals all lie within ±jitter_tol of the median
            interval are filtered as uniform; other runs are interpolated (cubic spline) onto
            a uniform grid at the median rate, filtered, and sampled back at their own times.

    Returns:
        Array of the shape of ``x``. Each contiguous finite run of each series is filtered
        separately (as ``sosfiltfilt``, odd padding of up to 3·(2·sections+1) samples,
        shorter for short runs); runs of fewer than 4 samples are returned unchanged; NaN
        stays NaN. If ``cutoff_hz`` is not below Nyquist the data are returned unfiltered
        with a :class:`FilterWarning`.
    """
    rows, shape = _rows("x", x)
    t = _check_times(times, shape[0])
    if not (math.isfinite(cutoff_hz) and cutoff_hz > 0):
        raise ValueError(f"cutoff_hz must be a positive number of Hz, got {cutoff_hz!r}")
    if not isinstance(order, (int, np.integer)) or not 1 <= order <= 8:
        raise ValueError(f"order must be an integer from 1 to 8, got {order!r}")
    if not (math.isfinite(jitter_tol) and jitter_tol >= 0):
        raise ValueError(f"jitter_tol must be >= 0, got {jitter_tol!r}")
    out, _, notes = _lowpass_rows(rows, t, float(cutoff_hz), int(order), float(jitter_tol))
    for note in notes:
        warnings.warn(note, FilterWarning, stacklevel=2)
    return _unrows(out, shape)
