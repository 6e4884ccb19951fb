"""Rigid-segment correction of the shank (``docs/metrics.md`` §1, step 2b).

A bone does not change length. Pose models do not respect that on a folded leg: in late
swing MediaPipe pulls the knee and ankle landmarks toward each other along the shank
(measured on 5 synthetic clips with known joint centres, frames with > 100° knee flexion:
knee 9 px down the shank, ankle 14 px up it, the shank 14 % short), so the knee angle reads
~24° too small there and the thigh direction (hip → knee) is off as well.
:func:`restore_shank_length` moves the two landmarks apart again, symmetrically about the
shank's midpoint and along its own image direction, to the length the shank should have in
that frame. It never shortens a shank and never turns one.

The length it should have: the shank moves in the athlete's sagittal plane, which the camera
sees at an angle θ off side-on. An image vector (x, y) of a sagittal segment of length L0
is (L0 sin φ cos θ, L0 cos φ), so its sagittal length is hypot(x / cos θ, y); cos θ per
frame comes from :func:`view_cosine`. The reference L0 is a high percentile of that
sagittal length over the surrounding half second (about one stride: the fold happens
within every swing, while the view, the distance and the zoom change slowly), and a
frame's expected image length is its own image length × L0 / its sagittal length. Side-on
(cos θ = 1) this is just L0; 40° off side-on a horizontal shank legitimately looks 23 %
shorter and is left alone. On exact landmarks of the synthetic clips (panning camera, up to
~45° off side-on at the ends) it moves the knee angle by < 1° on average; with the whole
clip as reference it moved it 1–2° (the estimate of θ is rough).
"""

from __future__ import annotations

import numpy as np

from posecheck.signals.butterworth import _check_times, _rate
from posecheck.signals.rolling import rolling_percentile
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import check_landmark_xy

#: The reference shank length is this percentile (0–100) of its sagittal length ...
REFERENCE_PERCENTILE = 90.0
#: ... over a window of this many seconds centred on the frame ...
REFERENCE_WINDOW_S = 0.5
#: ... sampled at about this rate (Hz) and interpolated in between.
REFERENCE_RATE_HZ = 30.0
#: Fewer finite frames than this: the leg is left as it is (no reliable reference).
MIN_FRAMES = 10
#: Shoulder (or hip) width of a body seen from the front, per trunk length (shoulder
#: midpoint → hip midpoint): 0.40 m over 0.50 m, the same assumption as the side-on
#: warning (:data:`posecheck.assess.quality.MAX_WIDTH_RATIO`).
WIDTH_PER_TRUNK = 0.8
#: The width ratio is a rolling median over this many seconds (the view changes slowly).
VIEW_WINDOW_S = 0.25
#: cos θ is never taken below this (θ ≤ ~72°): beyond, the clip is not a side view.
MIN_VIEW_COSINE = 0.3
_SHANKS = ((L["left_knee"], L["left_ankle"]), (L["right_knee"], L["right_ankle"]))


def width_per_trunk(xy: np.ndarray) -> np.ndarray:
    """Per frame: the larger of the shoulder and hip separations along x over the trunk
    length (shoulder midpoint → hip midpoint), in the image; ~0 side-on, ~0.8 from the
    front (:data:`WIDTH_PER_TRUNK`). ``xy``: (n, 33, 2) pixels; returns (n,), NaN where a
    landmark is missing or the trunk has no length."""
    sw = np.abs(xy[:, L["left_shoulder"], 0] - xy[:, L["right_shoulder"], 0])
    hw = np.abs(xy[:, L["left_hip"], 0] - xy[:, L["right_hip"], 0])
    mid = 0.5 * (xy[:, L["left_shoulder"]] + xy[:, L["right_shoulder"]]) \
        - 0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.fmax(sw, hw) / np.hypot(mid[:, 0], mid[:, 1])
    ratio[~np.isfinite(ratio)] = np.nan
    return ratio


def view_cosine(xy, times) -> np.ndarray:
    """Per-frame cosine of the camera's angle θ off side-on, from how wide the body looks.

    Side-on, the left and right shoulders (and hips) overlap in the image; seen at θ they are
    ``WIDTH_PER_TRUNK × trunk × sin θ`` apart. The larger of the shoulder and hip separations
    over the trunk length, as a rolling median over :data:`VIEW_WINDOW_S`, gives sin θ.

    Args:
        xy: (n, 33, 2) landmark pixels (MediaPipe order), NaN where missing.
        times: (n,) real seconds, increasing.

    Returns:
        (n,) cos θ in [:data:`MIN_VIEW_COSINE`, 1]; 1 (side-on) where it cannot be told.
    """
    xy = check_landmark_xy(xy)
    t = _check_times(times, xy.shape[0])
    n = xy.shape[0]
    if n < 2:
        return np.ones(n)
    ratio = width_per_trunk(xy)
    half = max(1, int(round(0.5 * VIEW_WINDOW_S * _rate(t))))
    smooth = rolling_percentile(ratio, half, 50.0, 1)
    sin = np.clip(smooth / WIDTH_PER_TRUNK, 0.0, 1.0)
    cos = np.sqrt(1.0 - sin * sin)
    return np.where(np.isfinite(cos), np.maximum(cos, MIN_VIEW_COSINE), 1.0)


def restore_shank_length(xy, times, cos_view=None,
                         percentile: float = REFERENCE_PERCENTILE) -> tuple[np.ndarray, np.ndarray]:
    """Knee and ankle landmarks moved apart to the length each shank should have.

    Args:
        xy: (n, 33, 2) landmark pixels (MediaPipe order), NaN where missing.
        times: (n,) real seconds, increasing.
        cos_view: (n,) cosine of the view's angle off side-on (:func:`view_cosine`);
            ``None`` = side-on in every frame.
        percentile: the reference is this percentile (50–100) of each shank's sagittal
            length within :data:`REFERENCE_WINDOW_S` around the frame.

    Returns:
        ``(xy_out, reference_px)``: a corrected copy of ``xy`` (only knee and ankle
        landmarks change, and only in frames where the shank is shorter than expected: each
        moves by half the shortfall along the shank, away from the other) and the (n, 2)
        sagittal reference lengths in pixels [left, right] (NaN for a leg seen in fewer than
        :data:`MIN_FRAMES` frames, which is left unchanged).
    """
    xy = check_landmark_xy(xy)
    n = xy.shape[0]
    t = _check_times(times, n)
    if not 50.0 <= percentile <= 100.0:
        raise ValueError(f"percentile must be in [50, 100], got {percentile!r}")
    if cos_view is None:
        c = np.ones(n)
    else:
        c = np.asarray(cos_view, dtype=np.float64)
        if c.shape != (n,) or not np.all((c > 0) & (c <= 1)):
            raise ValueError(f"cos_view must be ({n},) values in (0, 1]")
    out = xy.copy()
    refs = np.full((n, 2), np.nan)
    if n < MIN_FRAMES:
        return out, refs
    # the reference changes slowly: computed on every step-th frame (~30 per second) and
    # interpolated, which keeps the cost flat at high frame rates
    step = max(1, int(round(_rate(t) / REFERENCE_RATE_HZ)))
    half_window = max(2, int(round(0.5 * REFERENCE_WINDOW_S * _rate(t) / step)))
    coarse = np.arange(0, n, step)
    for j, (k, a) in enumerate(_SHANKS):
        shank = xy[:, a] - xy[:, k]
        length = np.hypot(shank[:, 0], shank[:, 1])
        sagittal = np.hypot(shank[:, 0] / c, shank[:, 1])
        ok = np.isfinite(sagittal) & (length > 0)
        if ok.sum() < MIN_FRAMES:
            continue
        ref_c = rolling_percentile(np.where(ok, sagittal, np.nan)[coarse], half_window,
                                   percentile, 3, split=False)
        good = np.isfinite(ref_c)
        if not good.any():
            continue
        ref = refs[:, j] = np.interp(np.arange(n), coarse[good], ref_c[good])
        with np.errstate(invalid="ignore", divide="ignore"):
            # half the shortfall, as a share of the current length (0 where not short)
            half = np.where(ok, 0.5 * (ref / sagittal - 1.0), 0.0)
        shift = np.maximum(half, 0.0)[:, None] * shank
        out[:, k] = xy[:, k] - shift
        out[:, a] = xy[:, a] + shift
    return out, refs
