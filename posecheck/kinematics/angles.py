"""Joint angles in the image plane (degrees), with validated wrappers over numba kernels.

Sign conventions (also in ``docs/metrics.md``):

* knee flexion = 180° − interior hip–knee–ankle angle: 0° straight leg, larger = more bent,
  always in [0°, 180°];
* hip flexion = signed angle between the trunk line (shoulder midpoint → hip midpoint,
  extended downward) and the thigh (hip → knee): 0° when aligned, positive when the thigh
  is ahead of the trunk line in the running direction, negative when behind; in (−180°, 180°].

Image coordinates are pixels, x right, y down.
"""

from __future__ import annotations

import numpy as np

from posecheck.kinematics import _kernels
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import Angles, PoseSequence, check_landmark_xy

SIDES = ("left", "right")


def _points(name: str, a) -> np.ndarray:
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2) (x, y pixels), got {arr.shape}")
    return arr


def _same_length(**arrays: np.ndarray) -> int:
    lengths = {k: v.shape[0] for k, v in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"point arrays differ in length: {lengths}")
    return next(iter(lengths.values()))


def knee_flexion(hip, knee, ankle) -> np.ndarray:
    """Knee flexion in degrees for (n, 2) pixel arrays of hip, knee and ankle points.

    Returns (n,) float64; 0° = straight leg. NaN where a point is NaN or coincident.
    """
    hip, knee, ankle = _points("hip", hip), _points("knee", knee), _points("ankle", ankle)
    n = _same_length(hip=hip, knee=knee, ankle=ankle)
    out = np.empty(n, dtype=np.float64)
    _kernels._knee_flexion(hip, knee, ankle, out)
    return out


def hip_flexion(shoulder_mid, hip_mid, hip, knee, direction: int) -> np.ndarray:
    """Signed hip flexion in degrees, (n,) float64, for (n, 2) pixel arrays.

    ``direction``: +1 if the athlete runs towards +x (right of the image), −1 towards −x.
    Positive = thigh ahead of the trunk line in the running direction.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    sm, hm = _points("shoulder_mid", shoulder_mid), _points("hip_mid", hip_mid)
    hip, knee = _points("hip", hip), _points("knee", knee)
    n = _same_length(shoulder_mid=sm, hip_mid=hm, hip=hip, knee=knee)
    out = np.empty(n, dtype=np.float64)
    _kernels._hip_flexion(sm, hm, hip, knee, float(direction), out)
    return out


def running_direction(xy: np.ndarray, times: np.ndarray | None = None) -> int:
    """+1 if the athlete runs towards +x, −1 towards −x, from (n, 33, 2) pixel landmarks.

    Two cues, because a panning or tracking camera breaks the obvious one:

    * **facing** — in a side view the nose is ahead of the ears in the running direction. On
      the synthetic clips (static, panning, tracking, 15° yaw) it agreed with the truth in
      95–100 % of frames; it is used when at least 75 % of frames agree.
    * **hip travel** — the horizontal travel of the hip midpoint over the clip (the athlete
      crosses a static camera's view). A camera that pans or tracks keeps the hips nearly
      still, or even moves them backwards when it leads the runner, so this is used only
      when the facing cue is undecided and the travel exceeds half a trunk length.

    Falls back to the feet (toe ahead of heel; ~70 % reliable, since a foot recovering behind
    the body points backwards) and finally to +1 when nothing is detected.
    """
    xy = check_landmark_xy(xy)
    face = xy[:, L["nose"], 0] - 0.5 * (xy[:, L["left_ear"], 0] + xy[:, L["right_ear"], 0])
    face = face[np.isfinite(face) & (face != 0)]
    if face.size:
        share_right = float(np.mean(face > 0))
        if max(share_right, 1 - share_right) >= 0.75:
            return 1 if share_right > 0.5 else -1
    hip_x = 0.5 * (xy[:, L["left_hip"], 0] + xy[:, L["right_hip"], 0])
    ok = np.isfinite(hip_x)
    if ok.sum() >= 2:
        trunk = np.nanmedian(np.linalg.norm(
            0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]])
            - 0.5 * (xy[:, L["left_shoulder"]] + xy[:, L["right_shoulder"]]), axis=1))
        t = (np.asarray(times, dtype=np.float64)[ok] if times is not None
             else np.flatnonzero(ok).astype(float))
        if np.ptp(t) > 0:
            travel = np.polyfit(t, hip_x[ok], 1)[0] * np.ptp(t)
            if np.isfinite(trunk) and abs(travel) > 0.5 * trunk:
                return 1 if travel > 0 else -1
    feet = np.concatenate([xy[:, L[f"{s}_foot_index"], 0] - xy[:, L[f"{s}_heel"], 0] for s in SIDES])
    cues = np.concatenate([np.sign(feet[np.isfinite(feet)]), np.sign(face)])
    return -1 if cues.size and cues.sum() < 0 else 1


def compute_angles(pose: PoseSequence, direction: int | None = None) -> Angles:
    """Knee and hip flexion per frame for both legs from a :class:`PoseSequence`."""
    xy = pose.xy
    if direction is None:
        direction = running_direction(xy, pose.times)
    shoulder_mid = 0.5 * (xy[:, L["left_shoulder"]] + xy[:, L["right_shoulder"]])
    hip_mid = 0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]])
    knee = np.empty((pose.n_frames, 2))
    hipf = np.empty((pose.n_frames, 2))
    for j, side in enumerate(SIDES):
        h, k, a = (np.ascontiguousarray(xy[:, L[f"{side}_{p}"]], dtype=np.float64)
                   for p in ("hip", "knee", "ankle"))   # once each, not per wrapper call
        knee[:, j] = knee_flexion(h, k, a)
        hipf[:, j] = hip_flexion(shoulder_mid, hip_mid, h, k, direction)
    return Angles(knee_flexion=knee, hip_flexion=hipf, direction=int(direction))
