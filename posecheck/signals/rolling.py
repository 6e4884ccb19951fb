"""Sliding-window percentile over time: the robust local reference that the ground line
(:mod:`posecheck.gait.events`), the camera-angle estimate (:mod:`posecheck.kinematics.segments`)
and the collapsed-pose check (:mod:`posecheck.signals.outliers`) compare against."""

from __future__ import annotations

import numpy as np

from posecheck.signals import _kernels, _split


def rolling_percentile(x: np.ndarray, half: int, q: float, min_count: int = 1,
                       split: bool = True) -> np.ndarray:
    """The ``q``-th percentile (0–100, linear interpolation as :func:`numpy.percentile`) of
    the finite values in rows ``max(0, i − half) … i + half`` of ``x``, all columns pooled.

    Args:
        x: (n,) or (n, m) samples, time along axis 0; NaN = missing.
        half: window half-width in samples (≥ 0).
        q: percentile in [0, 100].
        min_count: fewer finite values than this in a window gives NaN (≥ 1).
        split: run on time slices on several threads when the work is large (same result).

    Returns:
        (n,) float64.
    """
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"x must have shape (n,) or (n, m), got {np.shape(x)}")
    if int(half) != half or half < 0:
        raise ValueError(f"half must be a non-negative integer, got {half!r}")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be within [0, 100], got {q!r}")
    if int(min_count) != min_count or min_count < 1:
        raise ValueError(f"min_count must be a positive integer, got {min_count!r}")
    a = np.ascontiguousarray(a)
    out = np.empty(a.shape[0])
    if split:
        _split.by_windows(_kernels._rolling_percentile, a, int(half), (float(q), int(min_count)), out)
    else:
        _kernels._rolling_percentile(a, int(half), float(q), int(min_count), out)
    return out
