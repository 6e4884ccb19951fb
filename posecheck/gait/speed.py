"""Running speed in the image, seen from the feet (``docs/metrics.md`` §3).

In contact the toe is still in the world, so the hip's image velocity minus the toe's is
the running speed whatever the camera does (pan, track, zoom-free). The gait-event
detector uses it to tell a planted foot (still relative to the ground) from a swing foot
skimming the track.
"""

from __future__ import annotations

import numpy as np

#: Half-width (s) of the window of the local running speed (:func:`local_running_speed_px`):
#: two to three steps of a sprint, and the fewest low-foot frames it needs.
SPEED_WINDOW_S = 0.35
MIN_SPEED_SAMPLES = 6


def running_speed_px(toe_x: np.ndarray, hip_x: np.ndarray, times: np.ndarray,
                     low: np.ndarray) -> float:
    """Running speed in image pixels per second, signed like the running direction.

    In contact the toe is still in the world, so hip velocity − toe velocity is the running
    speed whatever the camera does. Frames where a foot is near the ground (``low``, (n, 2)
    bool) also include a swing foot skimming the track (slower relative to the hip), so the
    speed is the median of the upper half of |hip − toe| velocities over those frames.
    """
    t_s, r = _speed_samples(toe_x, hip_x, times, low)
    return _upper_median(r)


def _speed_samples(toe_x, hip_x, times, low):
    """``(t, r)``: times and hip − toe image velocities (px/s) of the frames where a foot is
    low, time-ordered, finite only."""
    vh = np.gradient(hip_x, times)
    tt = np.concatenate([times[low[:, j]] for j in range(2)])
    r = np.concatenate([(vh - np.gradient(toe_x[:, j], times))[low[:, j]] for j in range(2)])
    ok = np.isfinite(r)
    order = np.argsort(tt[ok], kind="stable")
    return tt[ok][order], r[ok][order]


def _upper_median(r: np.ndarray) -> float:
    """Signed median of the upper half of |r| (NaN with fewer than 2 samples)."""
    if r.size < 2:
        return float("nan")
    sign = 1.0 if np.median(r) >= 0 else -1.0
    mag = np.sort(np.abs(r))
    return sign * float(np.median(mag[mag.size // 2:]))


def local_running_speed_px(toe_x: np.ndarray, hip_x: np.ndarray, times: np.ndarray,
                           low: np.ndarray) -> np.ndarray:
    """(n,) running speed (px/s, signed like the clip's running direction) around each frame:
    :func:`running_speed_px` over the low-foot frames within :data:`SPEED_WINDOW_S` of it
    (the whole clip's value where that window holds fewer than :data:`MIN_SPEED_SAMPLES`).
    An accelerating sprinter goes from about 3 m/s out of the blocks to 9+ m/s; one speed for
    the whole clip would make the planted feet of the first steps seem to slide."""
    t_s, r = _speed_samples(toe_x, hip_x, times, low)
    overall = _upper_median(r)
    out = np.full(times.shape, overall)
    if r.size < MIN_SPEED_SAMPLES or not np.isfinite(overall):
        return out
    sign = np.sign(overall)
    lo = np.searchsorted(t_s, times - SPEED_WINDOW_S, side="left")
    hi = np.searchsorted(t_s, times + SPEED_WINDOW_S, side="right")
    for i in range(times.size):
        w = r[lo[i]:hi[i]]
        if w.size >= MIN_SPEED_SAMPLES:
            mag = np.sort(np.abs(w))
            out[i] = sign * float(np.median(mag[mag.size // 2:]))
    return out
