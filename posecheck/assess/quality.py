"""Quality warnings about the footage that limit the kinematics (never raised).

Each check returns plain language for the report; thresholds are documented in
``docs/metrics.md`` §Quality warnings.
"""

from __future__ import annotations

import numpy as np

from posecheck.gait.events import warn_low_fps
from posecheck.kinematics.segments import width_per_trunk
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import Kinematics, PoseSequence

#: Shoulder (or hip) width seen in the image / trunk length above which the camera is not
#: side-on: 0.35 ≈ 20–25° off side-on for a 0.40 m shoulder width and 0.50 m trunk.
MAX_WIDTH_RATIO = 0.35
#: Median visibility of the far leg's knee/ankle/heel/toe below which it is flagged.
MIN_FAR_VISIBILITY = 0.5
#: Share of detected frames with a lower-body landmark outside the image that is flagged.
MAX_OUT_OF_FRAME = 0.1
MIN_STRIDES = 2


def _nanmedian(x: np.ndarray) -> float:
    """``np.nanmedian`` of a 1-D array (the median of its non-NaN values; NaN if none),
    without nanmedian's per-call overhead and all-NaN warning."""
    v = x[~np.isnan(x)]
    return float(np.median(v)) if v.size else float("nan")


def kinematics_warnings(pose: PoseSequence, kin: Kinematics, strides) -> list[str]:
    """Plain-language warnings about the footage (frame rate, camera angle, stride count,
    far-leg visibility, out-of-frame landmarks, leg swaps, filter notes); never raises.

    ``pose``: the raw landmarks (n frames); ``kin``: its kinematics; ``strides``: the
    per-stride metrics (only their number is used)."""
    out: list[str] = []
    det = pose.detected
    if pose.n_frames < 2 or not det.any():
        return out
    fps = kin.sampling_rate_hz
    if np.isfinite(fps):
        w = warn_low_fps(fps)
        if w:
            out.append(w)
    ratio = _nanmedian(width_per_trunk(kin.xy))
    if np.isfinite(ratio) and ratio > MAX_WIDTH_RATIO:
        out.append(f"the camera does not look side-on: shoulders/hips appear {ratio:.0%} as wide "
                   f"as the trunk is long; film square to the running lane (angles read smaller "
                   f"than they are when the camera is off to the side)")
    if len(strides) < MIN_STRIDES:
        out.append(f"only {len(strides)} full stride(s) found: the verdict needs at least "
                   f"{MIN_STRIDES}; film a longer stretch at full speed")
    far = "left" if kin.near_side == "right" else "right"
    ids = [L[f"{far}_{p}"] for p in ("knee", "ankle", "heel", "foot_index")]
    all_det = bool(det.all())
    vis_far = pose.visibility[:, ids]
    vis = _nanmedian((vis_far if all_det else vis_far[det]).ravel())
    if np.isfinite(vis) and vis < MIN_FAR_VISIBILITY:
        out.append(f"the far ({far}) leg is hard to see (median visibility {vis:.2f}): its "
                   f"angles are less reliable")
    wpx, hpx = pose.frame_size
    if wpx and hpx:
        low = pose.xy[:, 23:33] if all_det else pose.xy[:, 23:33][det]
        lx, ly = low[..., 0], low[..., 1]
        outside = ((lx < 0) | (lx > wpx) | (ly < 0) | (ly > hpx)).any(axis=1)
        if outside.mean() > MAX_OUT_OF_FRAME:
            out.append(f"the athlete is partly out of frame in {outside.mean():.0%} of frames: "
                       f"keep the whole body, feet included, in view")
    if kin.leg_swapped.mean() > 0.2:
        out.append(f"the pose model mixed up the legs in {kin.leg_swapped.mean():.0%} of frames "
                   f"(repaired); left/right values are less certain")
    out.extend(kin.notes)
    return out
