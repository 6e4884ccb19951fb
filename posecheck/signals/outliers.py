"""Outlier rejection (Hampel identifier, optionally on the residual from a low-pass trend)
and gap filling of pose series (see ``docs/filtering.md`` §2–3).

Series follow the conventions of :mod:`posecheck.signals.butterworth`: axis 0 is time, ``times``
are real seconds (finite, strictly increasing), NaN = missing and never raises. Both
functions are re-exported by :mod:`posecheck.signals.filtering`.
"""

from __future__ import annotations

import math

import numpy as np

from posecheck.signals import _split
from posecheck.signals import _jump_kernels as _jk
from posecheck.signals import _kernels as _k
from posecheck.signals.butterworth import MIN_RUN, _check_times, _lowpass_rows, _rate, _rows, _unrows
from posecheck.signals.rolling import rolling_percentile
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import check_landmark_xy

__all__ = ["MIN_HAMPEL_HALF", "fill_gaps", "hampel", "implausible_poses", "remove_jumps"]

#: The Hampel half-window never drops below this many samples (7-sample window): with fewer,
#: the MAD of a clean, smooth peak can be tiny and the peak itself gets flagged.
MIN_HAMPEL_HALF = 3
_GAP_EPS = 1e-9  # seconds of slack so that e.g. 3/30 s counts as <= 0.1 s


def _hampel_half(t: np.ndarray, window_s: float) -> int:
    if t.size < 2:
        return MIN_HAMPEL_HALF
    return max(MIN_HAMPEL_HALF, int(round(0.5 * window_s * _rate(t))))


def _hampel_rows(rows: np.ndarray, t: np.ndarray, window_s: float, k: float, min_dev: float,
                 trend_hz: float | None, order: int = 2, jitter_tol: float = 0.05,
                 n_iter: int = 2, want_median: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Outlier mask of (m, n) rows (and, if asked, median replacement values); see :func:`hampel`.

    In the trend mode a row whose mask did not change in an iteration gives the same trend,
    residual and mask in the next one, so only the rows that gained or lost an outlier are
    judged again (same result as judging all rows ``n_iter`` times).
    """
    half = _hampel_half(t, window_s)
    out = np.empty_like(rows)
    mask = np.zeros(rows.shape, dtype=np.bool_)
    fs = _rate(t) if t.size >= 2 else 0.0
    if trend_hz is None or t.size < MIN_RUN or trend_hz >= 0.5 * fs:
        _split.by_rows(_k._hampel, (rows, half, k, min_dev, True, out, mask), (0, 5, 6), *rows.shape)
        return mask, out

    def trend_without(sub: np.ndarray, sub_mask: np.ndarray) -> np.ndarray:
        base = np.where(sub_mask, np.nan, sub)
        filled = np.empty_like(base)
        _split.by_rows(_k._fill_gaps, (base, t, window_s + _GAP_EPS, filled,
                                       np.empty(base.shape, np.bool_)), (0, 3, 4), *base.shape)
        return _lowpass_rows(filled, t, trend_hz, order, jitter_tol)[0]

    finite = np.isfinite(rows)
    todo = np.arange(rows.shape[0])                       # rows whose mask may still change
    for _ in range(n_iter):
        if todo.size == 0:
            break
        every = todo.size == rows.shape[0]
        sub = rows if every else rows[todo]
        sub_mask = mask if every else mask[todo]
        resid = sub - trend_without(sub, sub_mask)
        new = np.empty(sub.shape, dtype=np.bool_)
        _split.by_rows(_k._hampel, (resid, half, k, min_dev, False, np.empty_like(sub), new),
                       (0, 5, 6), *resid.shape)
        # a sample rejected before whose trend is now unknown stays rejected
        new |= sub_mask & (finite if every else finite[todo]) & np.isnan(resid)
        changed = (new != sub_mask).any(axis=1)
        mask[todo] = new
        todo = todo[changed]
    if not want_median:
        return mask, None
    trend = trend_without(rows, mask)
    _split.by_rows(_k._hampel, (rows - trend, half, k, min_dev, True, out,
                                np.empty(rows.shape, np.bool_)), (0, 5, 6), *rows.shape)
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
            :func:`~posecheck.signals.butterworth.lowpass` at ``trend_hz`` of the series with the
            outliers found so far removed and bridged (2 iterations). Use this for
            fast-moving landmarks: on raw values the MAD of a 0.2 s window of a foot in
            swing (~900 px/s) is ~45 px, so spikes below ~200 px go unnoticed. Ignored
            (classic) below 4 samples or when ``trend_hz`` is not below Nyquist.

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
    _split.by_rows(_k._fill_gaps, (rows, t, float(max_gap_s) + _GAP_EPS, out, mask), (0, 3, 4),
                   *rows.shape)
    return _unrows(out, shape), _unrows(mask, shape)


def remove_jumps(x, times, max_rate: float, tol: float, max_s: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Bridge brief jumps that no body part can make: the pose model loses a landmark for a
    few frames and puts it somewhere else (e.g. the far foot as the near leg passes in
    front of it at touchdown), then finds it again.

    A jump starts at a sample that leaves the straight continuation of the two samples
    before it by more than ``max_rate`` × the frame interval (``max_rate`` in units of
    ``x`` per second: a change of speed no body part makes within a frame) and ends at the first later sample, at most ``max_s``
    seconds after the last good one, that lies where the series could have got by keeping
    or losing its speed before the jump (within ``[min(0, s), max(0, s)] ± tol`` of the last
    good sample, ``s`` = that speed × the time since it: a foot may land and stop during
    the jump, but not go back up). The jump's samples are replaced by the straight line
    between the last good sample and that end. A jump with no such end (a real fast move,
    or a landmark that stays elsewhere) is left unchanged.

    Args:
        x: (n, ...) float series, time on axis 0; NaN = missing (never a jump's end).
        times: (n,) real seconds, strictly increasing.
        max_rate: largest plausible change of speed from one sample to the next, units of
            ``x`` per second (> 0).
        tol: slack of the end test, units of ``x`` (>= 0).
        max_s: longest jump bridged, seconds (> 0).

    Returns:
        ``(cleaned, replaced)``: float64 array shaped like ``x`` and a bool mask of the
        replaced samples.
    """
    rows, shape = _rows("x", x)
    t = _check_times(times, shape[0])
    for name, v, low in (("max_rate", max_rate, 0.0), ("max_s", max_s, 0.0)):
        if not (math.isfinite(v) and v > low):
            raise ValueError(f"{name} must be > 0, got {v!r}")
    if not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be >= 0, got {tol!r}")
    out = np.empty_like(rows)
    mask = np.empty(rows.shape, dtype=np.bool_)
    _jk._remove_jumps(rows, t, float(max_rate), float(tol), float(max_s), out, mask)
    return _unrows(out, shape), _unrows(mask, shape)


#: A pose whose trunk (shoulder midpoint → hip midpoint) is shorter than this share of the
#: trunk in the surrounding second, or longer than :data:`TRUNK_RATIO_MAX` of it, is not
#: the runner's body. Side-on, the trunk's image length only changes with lean, yaw and
#: distance, none of which halves it within a second; measured on MediaPipe VIDEO-mode
#: landmarks of 13 synthetic clips (lite, full, heavy) the ratio stays within 0.62–1.20,
#: while collapsed poses of failed frames (IMAGE mode; a partial pose a landmarker locks
#: onto) go down to 0.03–0.36.
TRUNK_RATIO_MIN = 0.45
TRUNK_RATIO_MAX = 1.8
#: the reference trunk length is the median over this many seconds around each frame
TRUNK_WINDOW_S = 1.0


def implausible_poses(xy, times) -> np.ndarray:
    """Frames whose whole pose cannot be the athlete's body: the trunk length is outside
    [:data:`TRUNK_RATIO_MIN`, :data:`TRUNK_RATIO_MAX`] x its rolling median.

    Per-landmark outlier rejection (:func:`hampel`) cannot remove such frames when they
    come in runs (a pose model's failure lasts several frames), and the low-pass then
    spreads them over their neighbours; dropping the whole frame lets the gap filling and
    the filter bridge it instead.

    Args:
        xy: (n, 33, 2) landmark pixels (MediaPipe order), NaN where missing.
        times: (n,) real seconds, strictly increasing.

    Returns:
        (n,) bool, True for an implausible frame (never for a frame without landmarks).
    """
    xy = check_landmark_xy(xy)
    t = _check_times(times, xy.shape[0])
    n = xy.shape[0]
    if n < 3:
        return np.zeros(n, dtype=bool)
    trunk = np.linalg.norm(0.5 * (xy[:, L["left_shoulder"]] + xy[:, L["right_shoulder"]])
                           - 0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]]), axis=1)
    half = max(2, int(round(0.5 * TRUNK_WINDOW_S * _rate(t))))
    ref = rolling_percentile(trunk, half, 50.0, 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = trunk / ref
    return np.isfinite(ratio) & ((ratio < TRUNK_RATIO_MIN) | (ratio > TRUNK_RATIO_MAX))
