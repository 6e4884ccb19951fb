"""Signal conditioning of pose landmark and angle series (see ``docs/filtering.md``).

The chain :func:`smooth_pose` applies to every landmark coordinate series is

1. optional visibility gate (``FilterConfig.min_visibility``, off by default);
2. :func:`hampel` outlier rejection, outliers become NaN;
3. :func:`fill_gaps`, which bridges short NaN runs (rejected samples and dropped frames)
   with PCHIP, in real seconds;
4. :func:`lowpass`, a zero-lag Butterworth filter whose cut-off is in real Hz, corrected
   for the two passes so the -3 dB point of the whole forward-backward filter is the
   requested cut-off.

Conventions: series are arrays whose **axis 0 is time** (one row per decoded frame); any
trailing shape is allowed ((n,), (n, 33, 2), ...). ``times`` are real seconds (slow-motion
factor already applied), finite and strictly increasing. Pixel series are in image pixels,
angles in degrees. NaN = missing; nothing here raises on NaN.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, sosfiltfilt

from posecheck import _signal_kernels as _k
from posecheck.types import N_LANDMARKS, PoseSequence

__all__ = [
    "FilterConfig", "FilterWarning", "SmoothedPose", "butter_sos", "fill_gaps", "hampel",
    "lowpass", "sampling_rate", "smooth_pose", "two_pass_correction", "two_pass_design_cutoff",
    "unwrap_degrees",
]

#: The Hampel half-window never drops below this many samples (7-sample window): with fewer,
#: the MAD of a clean, smooth peak can be tiny and the peak itself gets flagged.
MIN_HAMPEL_HALF = 3
#: In :func:`smooth_pose` the Hampel trend cut-off is ``min(cutoff_hz, fs * this)``: at 30 fps
#: a 10 Hz zero-lag filter keeps 71 % of a one-frame spike, so the trend would follow it.
HAMPEL_TREND_FS_FRACTION = 1.0 / 8.0
#: Finite runs shorter than this are returned unfiltered by :func:`lowpass`.
MIN_RUN = 4
_GAP_EPS = 1e-9  # seconds of slack so that e.g. 3/30 s counts as <= 0.1 s


class FilterWarning(UserWarning):
    """A filter could not be applied as asked (e.g. cut-off at or above Nyquist)."""


@dataclass(frozen=True)
class FilterConfig:
    """Settings of :func:`smooth_pose`. All times in real seconds, frequencies in real Hz.

    Attributes:
        cutoff_hz: -3 dB cut-off of the whole zero-lag low-pass (after the two-pass
            correction). ``None`` disables low-pass filtering. Default 10 Hz (see docs).
        order: order of the Butterworth filter applied in *each* of the two passes
            (2 = the classic biomechanics "4th-order zero-lag" filter).
        max_gap_s: bridge NaN runs whose surrounding finite samples are at most this many
            seconds apart; ``0`` disables gap filling.
        hampel_window_s: full length of the Hampel window; ``None`` disables outlier
            rejection. Converted to ``half = max(3, round(window_s * fs / 2))`` samples.
        hampel_k: threshold in robust standard deviations (k · 1.4826 · MAD). The test runs
            on the residual from a low-pass trend at ``min(cutoff_hz, fs / 8)`` Hz
            (``trend_hz`` of :func:`hampel`), or on the raw values when ``cutoff_hz`` is
            ``None``.
        hampel_min_dev: floor of the Hampel threshold in the series' units (pixels for
            landmarks), so that sub-pixel wiggles in near-constant windows (MAD ≈ 0, e.g.
            duplicated frames) are never called outliers.
        jitter_tol: largest relative deviation of a frame interval from the median one that
            is filtered as if uniform; runs with more irregular times are resampled.
        min_visibility: landmarks with MediaPipe visibility below this are treated as
            missing before anything else; ``None`` keeps every detected landmark.
    """

    cutoff_hz: float | None = 10.0
    order: int = 2
    max_gap_s: float = 0.1
    hampel_window_s: float | None = 0.2
    hampel_k: float = 3.0
    hampel_min_dev: float = 1.0
    jitter_tol: float = 0.05
    min_visibility: float | None = None

    def __post_init__(self) -> None:
        if self.cutoff_hz is not None and not (math.isfinite(self.cutoff_hz) and self.cutoff_hz > 0):
            raise ValueError(f"cutoff_hz must be a positive number of Hz or None, got {self.cutoff_hz!r}")
        if not isinstance(self.order, int) or not 1 <= self.order <= 8:
            raise ValueError(f"order must be an integer from 1 to 8, got {self.order!r}")
        if not (math.isfinite(self.max_gap_s) and self.max_gap_s >= 0):
            raise ValueError(f"max_gap_s must be >= 0 seconds, got {self.max_gap_s!r}")
        if self.hampel_window_s is not None and not (
                math.isfinite(self.hampel_window_s) and self.hampel_window_s > 0):
            raise ValueError(f"hampel_window_s must be > 0 seconds or None, got {self.hampel_window_s!r}")
        if not (math.isfinite(self.hampel_k) and self.hampel_k > 0):
            raise ValueError(f"hampel_k must be > 0, got {self.hampel_k!r}")
        if not (math.isfinite(self.hampel_min_dev) and self.hampel_min_dev >= 0):
            raise ValueError(f"hampel_min_dev must be >= 0, got {self.hampel_min_dev!r}")
        if not (math.isfinite(self.jitter_tol) and self.jitter_tol >= 0):
            raise ValueError(f"jitter_tol must be >= 0, got {self.jitter_tol!r}")
        if self.min_visibility is not None and not 0.0 <= self.min_visibility <= 1.0:
            raise ValueError(f"min_visibility must be in [0, 1] or None, got {self.min_visibility!r}")


@dataclass(frozen=True)
class SmoothedPose:
    """What :func:`smooth_pose` returns.

    Attributes:
        pose: the input :class:`PoseSequence` with conditioned ``xy`` and ``z`` (all other
            fields, ``times`` included, are the input's; row = frame as before).
        filled: (n_frames, 33) bool, the landmark's xy was interpolated in this frame (it was
            missing, rejected as an outlier, or below ``min_visibility``, and the gap was
            short enough). Frames without a person can become filled this way.
        rejected: (n_frames, 33) bool, the raw xy was discarded (Hampel outlier in x or y,
            or visibility below ``min_visibility``); it is either filled or NaN now.
        sampling_rate_hz: median frames per real second used for all filter design.
        resampled: some finite run had irregular times and was filtered on a uniform grid.
        warnings: plain-language notes (e.g. low-pass skipped because the frame rate is too
            low for the cut-off).
    """

    pose: PoseSequence
    filled: np.ndarray
    rejected: np.ndarray
    sampling_rate_hz: float
    resampled: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> np.ndarray:
        """(n_frames, 33) bool: the conditioned xy is finite."""
        return np.isfinite(self.pose.xy).all(axis=2)


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


# --------------------------------------------------------------------------- design


def sampling_rate(times) -> float:
    """Median frames per real second of ``times`` ((n,) seconds, n >= 2), in Hz."""
    t = _check_times(times)
    if t.size < 2:
        raise ValueError("need at least 2 time stamps to know the sampling rate")
    return float(1.0 / np.median(np.diff(t)))


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


# --------------------------------------------------------------------------- low-pass


def _filtfilt_run(sos: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Forward-backward filter along the last axis of y ((n,) or (m, n))."""
    padlen = min(3 * (2 * sos.shape[0] + 1), y.shape[-1] - 1)
    return sosfiltfilt(sos, y, axis=-1, padlen=padlen)


def _lowpass_rows(rows: np.ndarray, t: np.ndarray, cutoff_hz: float, order: int,
                  jitter_tol: float) -> tuple[np.ndarray, bool, list[str]]:
    out = rows.copy()
    n = t.size
    if n < MIN_RUN:
        return out, False, []
    fs = 1.0 / float(np.median(np.diff(t)))
    if cutoff_hz >= 0.5 * fs:
        return out, False, [f"low-pass skipped: the cut-off {cutoff_hz:g} Hz is not below the "
                            f"Nyquist frequency {0.5 * fs:.1f} Hz of a {fs:.1f} fps clip"]
    sos = butter_sos(cutoff_hz, fs, order)
    finite = np.isfinite(rows)
    resampled = False
    # rows with the same missing-sample pattern share their runs: filter them as one 2-D
    # block per run (one sosfiltfilt call along the time axis instead of one per row)
    groups: dict[bytes, list[int]] = {}
    for r in range(rows.shape[0]):
        groups.setdefault(np.packbits(finite[r]).tobytes(), []).append(r)
    for members in groups.values():
        r0 = members[0]
        idx = np.asarray(members)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], finite[r0].view(np.int8), [0]))))
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a < MIN_RUN:
                continue
            tt = t[a:b]
            if np.max(np.abs(np.diff(tt) * fs - 1.0)) <= jitter_tol:
                out[idx, a:b] = _filtfilt_run(sos, rows[idx, a:b])
                continue
            for r in members:
                resampled |= _lowpass_irregular(out, rows, r, a, b, tt, sos, fs)
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
        separately (``sosfiltfilt``, odd padding of up to 3·(2·sections+1) samples, shorter
        for short runs); runs of fewer than 4 samples are returned unchanged; NaN stays NaN.
        If ``cutoff_hz`` is not below Nyquist the data are returned unfiltered with a
        :class:`FilterWarning`.
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


# --------------------------------------------------------------------------- per-sample


def _hampel_half(t: np.ndarray, window_s: float) -> int:
    if t.size < 2:
        return MIN_HAMPEL_HALF
    fs = 1.0 / float(np.median(np.diff(t)))
    return max(MIN_HAMPEL_HALF, int(round(0.5 * window_s * fs)))


def _hampel_rows(rows: np.ndarray, t: np.ndarray, window_s: float, k: float, min_dev: float,
                 trend_hz: float | None, order: int = 2, jitter_tol: float = 0.05,
                 n_iter: int = 2, want_median: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Outlier mask of (m, n) rows (and, if asked, median replacement values); see :func:`hampel`."""
    half = _hampel_half(t, window_s)
    out = np.empty_like(rows)
    mask = np.zeros(rows.shape, dtype=np.bool_)
    fs = 1.0 / float(np.median(np.diff(t))) if t.size >= 2 else 0.0
    if trend_hz is None or t.size < MIN_RUN or trend_hz >= 0.5 * fs:
        _k._hampel(rows, half, k, min_dev, True, out, mask)
        return mask, out

    def trend_without(mask: np.ndarray) -> np.ndarray:
        base = np.where(mask, np.nan, rows)
        filled = np.empty_like(base)
        _k._fill_gaps(base, t, window_s + _GAP_EPS, filled, np.empty(base.shape, np.bool_))
        return _lowpass_rows(filled, t, trend_hz, order, jitter_tol)[0]

    finite = np.isfinite(rows)
    for _ in range(n_iter):
        resid = rows - trend_without(mask)
        new = np.empty(rows.shape, dtype=np.bool_)
        _k._hampel(resid, half, k, min_dev, False, out, new)
        # a sample rejected before whose trend is now unknown stays rejected
        mask = new | (mask & finite & np.isnan(resid))
    if not want_median:
        return mask, None
    trend = trend_without(mask)
    _k._hampel(rows - trend, half, k, min_dev, True, out, np.empty(rows.shape, np.bool_))
    return mask, out + trend


def hampel(x, times, window_s: float = 0.2, k: float = 3.0, min_dev: float = 0.0,
           replace: str = "nan", trend_hz: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hampel outlier rejection of each series, NaN-aware.

    Args:
        x: (n, ...) float series, time on axis 0; NaN = missing (never flagged).
        times: (n,) real seconds; ``window_s`` (full window, seconds) becomes a centred
            window of ``2·half + 1`` samples, ``half = max(3, round(window_s · fs / 2))`` at
            the median sampling rate ``fs``; truncated at the ends.
        k: threshold in robust standard deviations: a finite sample is an outlier when
            ``|v − median| > max(k · 1.4826 · MAD, min_dev)`` over the window's finite
            samples (windows with fewer than 3 finite samples are not judged).
        min_dev: threshold floor in the units of ``x`` (e.g. 1 pixel).
        replace: ``"nan"`` (default; let :func:`fill_gaps` interpolate them) or
            ``"median"`` (the window median; with ``trend_hz``, the final trend, fitted
            without the outliers, plus the window median of the residual).
        trend_hz: ``None`` (default): classic Hampel on the values. A cut-off in Hz: the test
            runs on the residual ``x − trend``, where the trend is the zero-lag
            :func:`lowpass` at ``trend_hz`` of the series with the outliers found so far
            removed and bridged (2 iterations). Use this for fast-moving landmarks: on raw
            values the MAD of a 0.2 s window of a foot in swing (~900 px/s) is ~45 px, so
            spikes below ~200 px go unnoticed. Ignored (classic) below 4 samples or when
            ``trend_hz`` is not below Nyquist.

    Returns:
        ``(cleaned, outliers)``: float64 array shaped like ``x`` and a bool mask of the
        samples judged outliers.
    """
    rows, shape = _rows("x", x)
    t = _check_times(times, shape[0])
    if not (math.isfinite(window_s) and window_s > 0):
        raise ValueError(f"window_s must be > 0 seconds, got {window_s!r}")
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be > 0, got {k!r}")
    if not (math.isfinite(min_dev) and min_dev >= 0):
        raise ValueError(f"min_dev must be >= 0, got {min_dev!r}")
    if replace not in ("nan", "median"):
        raise ValueError(f"replace must be 'nan' or 'median', got {replace!r}")
    if trend_hz is not None and not (math.isfinite(trend_hz) and trend_hz > 0):
        raise ValueError(f"trend_hz must be a positive number of Hz or None, got {trend_hz!r}")
    mask, med = _hampel_rows(rows, t, float(window_s), float(k), float(min_dev),
                             None if trend_hz is None else float(trend_hz),
                             want_median=replace == "median")
    out = np.where(mask, med if replace == "median" else np.nan, rows)
    return _unrows(out, shape), _unrows(mask, shape)


def fill_gaps(x, times, max_gap_s: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate short interior NaN runs of each series, in real time.

    A NaN run is filled when the finite samples on its two sides are at most ``max_gap_s``
    seconds apart (``times[b] − times[a]``; at 30 fps 0.1 s bridges up to 2 missing frames,
    at 60 fps 5, at 240 fps 23). It is filled with the PCHIP (monotone cubic Hermite) segment
    through two finite samples on each side, or linearly when either side has only one.
    Leading/trailing NaN and longer runs stay NaN.

    Args:
        x: (n, ...) float series, time on axis 0 (pixels, degrees, ...).
        times: (n,) real seconds, strictly increasing (irregular spacing is fine).
        max_gap_s: longest bridged interval, seconds.

    Returns:
        ``(filled_x, filled_mask)`` shaped like ``x``; the mask flags interpolated samples.
    """
    rows, shape = _rows("x", x)
    t = _check_times(times, shape[0])
    if not (math.isfinite(max_gap_s) and max_gap_s >= 0):
        raise ValueError(f"max_gap_s must be >= 0 seconds, got {max_gap_s!r}")
    out = np.empty_like(rows)
    mask = np.empty(rows.shape, dtype=np.bool_)
    _k._fill_gaps(rows, t, float(max_gap_s) + _GAP_EPS, out, mask)
    return _unrows(out, shape), _unrows(mask, shape)


def unwrap_degrees(angles) -> np.ndarray:
    """Make an angle series in degrees continuous across the ±180° seam.

    ``angles`` is (n, ...) with time on axis 0. A step of 180° or more between consecutive
    finite samples is taken as a wrap and removed by adding a multiple of 360°, as
    ``np.unwrap(period=360)`` does; NaN samples stay NaN and the next finite sample is
    unwrapped relative to the last finite one before the gap. Returns float64 degrees.
    """
    rows, shape = _rows("angles", angles)
    out = np.empty_like(rows)
    _k._unwrap(rows, 360.0, out)
    return _unrows(out, shape)


# --------------------------------------------------------------------------- pose


def smooth_pose(pose: PoseSequence, cfg: FilterConfig | None = None,
                landmarks=None) -> SmoothedPose:
    """Condition every landmark series of ``pose`` (visibility gate → Hampel → gap fill →
    zero-lag low-pass) and return a :class:`SmoothedPose`.

    ``xy`` (pixels) is processed per landmark point: an outlier in x *or* y rejects the
    point (both coordinates), since a mis-tracked landmark is wrong in 2-D. ``z`` gets no
    outlier test of its own; it is discarded where the xy point is, then filled and filtered
    the same way. Rows stay frames; samples still missing after gap filling are NaN.

    ``landmarks``: ``None`` (all 33, xy and z) or a sequence of landmark indices: then only
    the xy of those landmarks is conditioned (what a caller actually uses; the kinematics
    core passes its 12 body landmarks), and ``z`` and the other landmarks are passed through
    unchanged with ``filled``/``rejected`` false.
    """
    cfg = cfg or FilterConfig()
    if not isinstance(pose, PoseSequence):
        raise ValueError(f"pose must be a PoseSequence, got {type(pose).__name__}")
    if not isinstance(cfg, FilterConfig):
        raise ValueError(f"cfg must be a FilterConfig, got {type(cfg).__name__}")
    n = pose.n_frames
    t = _check_times(pose.times, n)
    xy_all = np.array(pose.xy, dtype=np.float64)
    z_all = np.array(pose.z, dtype=np.float64)
    for name, arr in (("xy", xy_all), ("z", z_all)):
        if np.isinf(arr).any():
            raise ValueError(f"pose.{name} contains ±inf; use NaN for missing landmarks")
    if landmarks is None:
        ids = np.arange(N_LANDMARKS)
        with_z = True
    else:
        ids = np.unique(np.asarray(landmarks, dtype=np.int64))
        if ids.size == 0 or ids[0] < 0 or ids[-1] >= N_LANDMARKS:
            raise ValueError(f"landmarks must be indices in [0, {N_LANDMARKS}), got {landmarks!r}")
        with_z = False
    k = ids.size
    xy = np.ascontiguousarray(xy_all[:, ids])
    z = np.ascontiguousarray(z_all[:, ids])
    notes: list[str] = []
    fs = 1.0 / float(np.median(np.diff(t))) if n >= 2 else float("nan")
    if n < MIN_RUN:
        notes.append(f"only {n} frame(s): too few to low-pass")

    rejected = np.zeros((n, k), dtype=bool)
    if cfg.min_visibility is not None:
        rejected |= np.isfinite(xy).all(axis=2) & ~(pose.visibility[:, ids] >= cfg.min_visibility)
    if cfg.hampel_window_s is not None and n >= 2:
        rows = np.ascontiguousarray(np.where(rejected[..., None], np.nan, xy).reshape(n, 2 * k).T)
        trend_hz = None if cfg.cutoff_hz is None else min(cfg.cutoff_hz, HAMPEL_TREND_FS_FRACTION * fs)
        out_mask, _ = _hampel_rows(rows, t, cfg.hampel_window_s, cfg.hampel_k,
                                   cfg.hampel_min_dev, trend_hz, cfg.order, cfg.jitter_tol)
        rejected |= out_mask.T.reshape(n, k, 2).any(axis=2)
    xy[rejected] = np.nan
    z[rejected] = np.nan

    # x, y (and z) of the landmarks as rows of n samples
    parts = [xy.reshape(n, 2 * k), z] if with_z else [xy.reshape(n, 2 * k)]
    rows = np.ascontiguousarray(np.concatenate(parts, axis=1).T)
    filled_rows = np.zeros(rows.shape, dtype=np.bool_)
    if cfg.max_gap_s > 0:
        src = rows
        rows = np.empty_like(src)
        _k._fill_gaps(src, t, cfg.max_gap_s + _GAP_EPS, rows, filled_rows)
    resampled = False
    if cfg.cutoff_hz is not None and n >= MIN_RUN:
        rows, resampled, lp_notes = _lowpass_rows(rows, t, cfg.cutoff_hz, cfg.order, cfg.jitter_tol)
        notes.extend(lp_notes)
    cols = rows.T
    xy_all[:, ids] = cols[:, : 2 * k].reshape(n, k, 2)
    if with_z:
        z_all[:, ids] = cols[:, 2 * k:]
    filled = np.zeros((n, N_LANDMARKS), dtype=bool)
    filled[:, ids] = filled_rows.T[:, : 2 * k].reshape(n, k, 2).any(axis=2)
    rejected_all = np.zeros((n, N_LANDMARKS), dtype=bool)
    rejected_all[:, ids] = rejected
    return SmoothedPose(pose=replace(pose, xy=xy_all, z=z_all), filled=filled,
                        rejected=rejected_all, sampling_rate_hz=fs, resampled=resampled,
                        warnings=tuple(notes))
