"""Signal conditioning of pose landmark and angle series (see ``docs/filtering.md``).

The chain :func:`smooth_pose` applies to every landmark coordinate series is

1. optional visibility gate (``FilterConfig.min_visibility``, off by default);
2. :func:`hampel` outlier rejection, outliers become NaN;
3. :func:`fill_gaps`, which bridges short NaN runs (rejected samples and dropped frames)
   with PCHIP, in real seconds;
4. :func:`lowpass`, a zero-lag Butterworth filter whose cut-off is in real Hz, corrected
   for the two passes so the -3 dB point of the whole forward-backward filter is the
   requested cut-off.

This module holds the settings (:class:`FilterConfig`), the pose-level chain and angle
unwrapping, and re-exports the per-series tools: the low-pass and filter design live in
:mod:`posecheck.signals.butterworth`, Hampel and gap filling in :mod:`posecheck.signals.outliers`.

Conventions: series are arrays whose **axis 0 is time** (one row per decoded frame); any
trailing shape is allowed ((n,), (n, 33, 2), ...). ``times`` are real seconds (slow-motion
factor already applied), finite and strictly increasing. Pixel series are in image pixels,
angles in degrees. NaN = missing; nothing here raises on NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from posecheck.signals import _kernels as _k
from posecheck.signals import _split
from posecheck.signals.butterworth import (
    MIN_RUN, FilterWarning, _check_times, _lowpass_rows, _rate, _rows, _unrows, butter_sos,
    lowpass, sampling_rate, two_pass_correction, two_pass_design_cutoff,
)
from posecheck.signals.outliers import MIN_HAMPEL_HALF  # noqa: F401  (re-exported, as before the split)
from posecheck.signals.outliers import _GAP_EPS, _hampel_rows, fill_gaps, hampel
from posecheck.config import FilterConfig
from posecheck.types import N_LANDMARKS, PoseSequence

__all__ = [
    "FilterConfig", "FilterWarning", "SmoothedPose", "butter_sos", "fill_gaps", "hampel",
    "lowpass", "sampling_rate", "smooth_pose", "two_pass_correction", "two_pass_design_cutoff",
    "unwrap_degrees",
    "wrap_degrees",
]

#: In :func:`smooth_pose` the Hampel trend cut-off is ``min(cutoff_hz, fs * this)``: at 30 fps
#: a 10 Hz zero-lag filter keeps 71 % of a one-frame spike, so the trend would follow it.
HAMPEL_TREND_FS_FRACTION = 1.0 / 8.0


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


def wrap_degrees(angles, low: float) -> np.ndarray:
    """Angles in degrees mapped into the fixed range ``[low, low + 360)`` (NaN stays NaN).

    For a series whose physically possible values all lie in such a range this keeps it
    continuous across the ±180° seam *without* looking at neighbouring samples, so a wild
    frame stays a one-frame outlier; :func:`unwrap_degrees` would carry its 360° step into
    every later sample. Returns float64 degrees of the input's shape.
    """
    a = np.asarray(angles, dtype=np.float64)
    if not np.isfinite(low):
        raise ValueError(f"low must be a finite number of degrees, got {low!r}")
    return low + np.mod(a - low, 360.0)


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
    xy_all = np.array(pose.xy, dtype=np.float64, order="C")  # reshape below is a view
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
    # x, y of the landmarks (and z) as rows of n samples: row 2j is x, 2j + 1 is y of ids[j]
    n_rows = 3 * k if with_z else 2 * k
    cols = np.stack([2 * ids, 2 * ids + 1], axis=1).ravel()   # x, y columns of (n, 66)
    rows = np.empty((n_rows, n))
    rows[: 2 * k] = xy_all.reshape(n, 2 * N_LANDMARKS)[:, cols].T
    if with_z:
        rows[2 * k:] = z_all[:, ids].T
    notes: list[str] = []
    fs = _rate(t) if n >= 2 else float("nan")
    if n < MIN_RUN:
        notes.append(f"only {n} frame(s): too few to low-pass")

    rejected = np.zeros((k, n), dtype=bool)               # per landmark (row-major in time)
    if cfg.min_visibility is not None:
        seen = np.isfinite(rows[0: 2 * k: 2]) & np.isfinite(rows[1: 2 * k: 2])
        rejected |= seen & ~(pose.visibility[:, ids].T >= cfg.min_visibility)
    if cfg.hampel_window_s is not None and n >= 2:
        xy_rows = np.where(np.repeat(rejected, 2, axis=0), np.nan, rows[: 2 * k])
        trend_hz = None if cfg.cutoff_hz is None else min(cfg.cutoff_hz, HAMPEL_TREND_FS_FRACTION * fs)
        out_mask, _ = _hampel_rows(xy_rows, t, cfg.hampel_window_s, cfg.hampel_k,
                                   cfg.hampel_min_dev, trend_hz, cfg.order, cfg.jitter_tol)
        rejected |= out_mask[0::2] | out_mask[1::2]
    if rejected.any():
        rows[: 2 * k][np.repeat(rejected, 2, axis=0)] = np.nan
        if with_z:
            rows[2 * k:][rejected] = np.nan

    filled_rows = np.zeros(rows.shape, dtype=np.bool_)
    if cfg.max_gap_s > 0:
        src = rows
        rows = np.empty_like(src)
        _split.by_rows(_k._fill_gaps, (src, t, cfg.max_gap_s + _GAP_EPS, rows, filled_rows),
                       (0, 3, 4), *src.shape)
    resampled = False
    if cfg.cutoff_hz is not None and n >= MIN_RUN:
        rows, resampled, lp_notes = _lowpass_rows(rows, t, cfg.cutoff_hz, cfg.order, cfg.jitter_tol)
        notes.extend(lp_notes)
    xy_all.reshape(n, 2 * N_LANDMARKS)[:, cols] = rows[: 2 * k].T
    if with_z:
        z_all[:, ids] = rows[2 * k:].T
    filled = np.zeros((n, N_LANDMARKS), dtype=bool)
    filled[:, ids] = (filled_rows[0: 2 * k: 2] | filled_rows[1: 2 * k: 2]).T
    rejected_all = np.zeros((n, N_LANDMARKS), dtype=bool)
    rejected_all[:, ids] = rejected.T
    return SmoothedPose(pose=replace(pose, xy=xy_all, z=z_all), filled=filled,
                        rejected=rejected_all, sampling_rate_hz=fs, resampled=resampled,
                        warnings=tuple(notes))
