"""Per-frame sprint kinematics: leg-swap repair → landmark filtering → angles (see
``docs/metrics.md`` for every definition and sign convention).

Order matters:

0. whole frames whose pose cannot be the runner's body are left out
   (:func:`posecheck.signals.outliers.implausible_poses`; bridged in step 3);
1. running direction of the clip (:func:`posecheck.kinematics.angles.running_direction`) and per frame
   (:func:`direction_per_frame`, for an athlete who turns);
2. left/right leg swaps are repaired on the *raw* landmarks (:mod:`posecheck.kinematics.legs`), then
   shanks the pose model shortened get their length back (:mod:`posecheck.kinematics.segments`);
3. landmarks are conditioned by :func:`posecheck.signals.filtering.smooth_pose` (Hampel, gap fill,
   zero-lag Butterworth at the clip's real frame rate);
4. angles are computed from the filtered landmarks (filter landmarks, then angles), and
   kept continuous across ±180° by wrapping them into fixed physical ranges.

All angles are degrees in the image plane; (n, 2) arrays are [left, right] = the athlete's
own sides; NaN where the landmarks are missing.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from posecheck.kinematics import _kernels
from posecheck.kinematics.angles import SIDES, compute_angles, running_direction
from posecheck.config import KinematicsConfig
from posecheck.signals.filtering import smooth_pose, wrap_degrees
from posecheck.kinematics.hamstring import hamstring_lengths
from posecheck.kinematics.legs import leg_length_px, repair_leg_swaps, swap_legs
from posecheck.signals.outliers import implausible_poses
from posecheck.kinematics.segments import restore_shank_length, view_cosine
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import Angles, Kinematics, PoseSequence

#: Landmarks the core uses after filtering (shoulders, hips, knees, ankles, heels, toes);
#: only these are conditioned (the others, e.g. arms for the overlay, stay as repaired).
CORE_LANDMARKS = tuple(L[f"{s}_{p}"] for s in SIDES for p in (
    "shoulder", "hip", "knee", "ankle", "heel", "foot_index"))

#: Leg length (pixels) at which the filter's Hampel floor ``hampel_min_dev`` applies as is.
HAMPEL_REF_LEG_PX = 200.0

#: Landmarks conditioned without low-pass for the gait events (hips, heels, toes).
EVENT_LANDMARKS = tuple(L[f"{s}_{p}"] for s in SIDES for p in ("hip", "heel", "foot_index"))

#: Window (s) of the running majority vote of the facing cue in :func:`direction_per_frame`.
DIRECTION_WINDOW_S = 1.0
#: A direction segment shorter than this (s) is merged into its neighbours.
MIN_DIRECTION_SEGMENT_S = 0.75


def _pts(name: str, a) -> np.ndarray:
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2) (x, y pixels), got {arr.shape}")
    return arr


def _dir_array(direction, n: int) -> np.ndarray:
    d = np.broadcast_to(np.asarray(direction, dtype=np.float64), (n,)).copy()
    if not np.all(np.isin(d, (-1.0, 1.0))):
        raise ValueError("direction must be +1 or -1 (scalar or one per frame)")
    return d


def segment_angle(a, b, direction, from_up: bool = False) -> np.ndarray:
    """Angle (degrees, (n,)) of the segment a → b from the vertical, + when b is ahead of a
    in the running direction.

    Args:
        a, b: (n, 2) pixel arrays (x right, y down).
        direction: +1/−1, scalar or (n,) per frame (running towards +x / −x).
        from_up: measure from the upward vertical (shank ankle → knee, trunk hip → shoulder)
            instead of the downward one (thigh hip → knee).
    """
    a, b = _pts("a", a), _pts("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b differ in shape: {a.shape} vs {b.shape}")
    out = np.empty(a.shape[0])
    _kernels._segment_angle(a, b, _dir_array(direction, a.shape[0]), 1 if from_up else 0, out)
    return out


def ankle_angle(knee, ankle, heel, toe) -> np.ndarray:
    """Ankle angle (degrees, (n,)): 90° − angle(shank ankle → knee, foot heel → toe).
    0 = foot at right angles to the shank, + dorsiflexed, − plantarflexed."""
    knee, ankle, heel, toe = _pts("knee", knee), _pts("ankle", ankle), _pts("heel", heel), _pts("toe", toe)
    if not (knee.shape == ankle.shape == heel.shape == toe.shape):
        raise ValueError("knee, ankle, heel and toe must have the same shape")
    out = np.empty(knee.shape[0])
    _kernels._ankle_angle(knee, ankle, heel, toe, out)
    return out


def direction_per_frame(xy, times, clip_direction: int | None = None) -> np.ndarray:
    """(n,) int8 running direction per frame (+1 towards +x, −1 towards −x).

    The facing cue (nose ahead of the ears) is voted over a centred window of
    ``DIRECTION_WINDOW_S``; frames whose window is undecided (< 75 % agreement) or missing
    take ``clip_direction`` (default :func:`running_direction`); segments shorter than
    ``MIN_DIRECTION_SEGMENT_S`` are merged into the clip direction. A clip without a turn
    gives a constant array.
    """
    xy = np.asarray(xy, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    n = xy.shape[0]
    clip = running_direction(xy, t) if clip_direction is None else int(clip_direction)
    out = np.full(n, clip, dtype=np.int8)
    if n < 3:
        return out
    face = xy[:, L["nose"], 0] - 0.5 * (xy[:, L["left_ear"], 0] + xy[:, L["right_ear"], 0])
    vote = np.where(np.isfinite(face), np.sign(face), 0.0)
    fps = 1.0 / float(np.median(np.diff(t)))
    half = max(1, int(round(0.5 * DIRECTION_WINDOW_S * fps)))
    half = min(half, max(1, (n - 1) // 2))  # np.convolve "same" returns len(k) if k is longer
    k = np.ones(2 * half + 1)
    s = np.convolve(vote, k, "same")
    c = np.convolve((vote != 0).astype(float), k, "same")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = s / c
    decided = np.isfinite(share) & (np.abs(share) >= 0.5)  # >= 75 % agree
    out[decided] = np.sign(share[decided]).astype(np.int8)
    # merge short segments
    min_len = int(round(MIN_DIRECTION_SEGMENT_S * fps))
    edges = np.flatnonzero(np.diff(out)) + 1
    bounds = np.concatenate(([0], edges, [n]))
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a < min_len and out[a] != clip:
            out[a:b] = clip
    return out


def _hip_flexion(sm: np.ndarray, hm: np.ndarray, pts: dict[str, np.ndarray],
                 direction: np.ndarray) -> np.ndarray:
    """(n, 2) hip flexion with a per-frame direction (the kernel is linear in direction);
    ``sm``/``hm`` the (n, 2) shoulder/hip midpoints, ``pts`` contiguous (n, 2) points."""
    from posecheck.kinematics.angles import hip_flexion

    out = np.empty((sm.shape[0], 2))
    for j, side in enumerate(SIDES):
        out[:, j] = hip_flexion(sm, hm, pts[f"{side}_hip"], pts[f"{side}_knee"], 1) * direction
    return out


#: Each angle series is kept in the 360° range starting here (degrees), which holds every
#: value a sprinting body can reach: hip flexion and thigh stay within ±180°, the shank
#: passes +180° when the heel is recovered to the buttock with the thigh behind vertical
#: (thigh −30° + knee flexion 150°). A fixed range keeps them continuous across the seam
#: frame by frame; running unwrapping (``np.unwrap``) turned one wild frame into a 360°
#: offset for the rest of the clip (seen on MediaPipe IMAGE-mode landmarks).
ANGLE_RANGE_LOW = {"hip_flexion": -180.0, "thigh": -180.0, "shank": -120.0}

#: Landmarks :func:`angles_from_landmarks` reads.
_ANGLE_POINTS = tuple(f"{s}_{p}" for s in SIDES for p in (
    "shoulder", "hip", "knee", "ankle", "heel", "foot_index"))


def angles_from_landmarks(xy: np.ndarray, direction: np.ndarray) -> dict[str, np.ndarray]:
    """All per-frame angles from (n, 33, 2) landmarks and a per-frame direction.

    Returns name → array: ``knee_flexion``, ``hip_flexion``, ``thigh``, ``shank``,
    ``ankle`` (n, 2) [left, right] and ``trunk_lean`` (n,), degrees; hip flexion, thigh and
    shank wrapped into the ranges of :data:`ANGLE_RANGE_LOW`.
    """
    from posecheck.kinematics.angles import knee_flexion

    xy = np.asarray(xy, dtype=np.float64)
    n = xy.shape[0]
    d = _dir_array(direction, n)
    # each landmark once as a contiguous (n, 2) array (the kernels need contiguous points)
    block = np.ascontiguousarray(xy[:, [L[k] for k in _ANGLE_POINTS]].transpose(1, 0, 2))
    pts = dict(zip(_ANGLE_POINTS, block))

    def seg(a: np.ndarray, b: np.ndarray, from_up: bool = False) -> np.ndarray:
        out = np.empty(n)                   # segment_angle without re-validating d
        _kernels._segment_angle(a, b, d, 1 if from_up else 0, out)
        return out

    res = {k: np.empty((n, 2)) for k in ("knee_flexion", "thigh", "shank", "ankle")}
    for j, side in enumerate(SIDES):
        hip, knee, ankle = (pts[f"{side}_{p}"] for p in ("hip", "knee", "ankle"))
        heel, toe = pts[f"{side}_heel"], pts[f"{side}_foot_index"]
        res["knee_flexion"][:, j] = knee_flexion(hip, knee, ankle)
        res["thigh"][:, j] = seg(hip, knee)
        res["shank"][:, j] = seg(ankle, knee, from_up=True)
        res["ankle"][:, j] = ankle_angle(knee, ankle, heel, toe)
    sm = 0.5 * (pts["left_shoulder"] + pts["right_shoulder"])
    hm = 0.5 * (pts["left_hip"] + pts["right_hip"])
    res["hip_flexion"] = _hip_flexion(sm, hm, pts, d)
    res["trunk_lean"] = seg(hm, sm, from_up=True)
    for k, low in ANGLE_RANGE_LOW.items():
        res[k] = wrap_degrees(res[k], low)
    return res


def compute_kinematics(pose: PoseSequence, cfg: KinematicsConfig | None = None) -> Kinematics:
    """Swap repair, filtering and every per-frame angle for one clip (see module docstring)."""
    cfg = cfg or KinematicsConfig()
    if not isinstance(pose, PoseSequence):
        raise ValueError(f"pose must be a PoseSequence, got {type(pose).__name__}")
    n = pose.n_frames
    notes: list[str] = []
    bad = implausible_poses(pose.xy, pose.times)
    if bad.any():  # whole frames that are not the runner's body: gaps, bridged below
        gone = bad[:, None]
        pose = replace(pose, xy=np.where(gone[..., None], np.nan, pose.xy),
                       z=np.where(gone, np.nan, pose.z),
                       visibility=np.where(gone, np.nan, pose.visibility),
                       presence=np.where(gone, np.nan, pose.presence))
        notes.append(f"{int(bad.sum())} frame(s) with an implausible pose (the body's trunk "
                     f"far shorter or longer than around them) were left out and bridged")
    clip_dir = running_direction(pose.xy, pose.times)
    direction = direction_per_frame(pose.xy, pose.times, clip_dir)
    if cfg.repair_leg_swaps and n >= 3:
        rep = repair_leg_swaps(pose.xy, pose.times, clip_dir, cfg.swap_switch_cost,
                               cfg.swap_cost_per_s)
        swapped = rep.swapped
        fixed = replace(pose, xy=rep.xy, z=swap_legs(pose.z, swapped),
                        visibility=swap_legs(pose.visibility, swapped),
                        presence=swap_legs(pose.presence, swapped))
    else:
        swapped = np.zeros(n, dtype=bool)
        fixed = pose
    # leg length as the pose model gives it (the event thresholds in leg lengths were set
    # on it); the restored shanks are for the angles
    leg0 = leg_length_px(fixed.xy)
    if cfg.restore_shank_length and n >= 2:
        # the pose model's shortened shanks restored (segments.py), before the low-pass
        # (which shortens fast-moving shanks a little on its own, as the metrics expect)
        cos_view = view_cosine(fixed.xy, fixed.times)
        fixed = replace(fixed, xy=restore_shank_length(fixed.xy, fixed.times, cos_view)[0])
    # raw angles: unfiltered, labels as detected (strides.py applies the swap repair)
    raw_angles = compute_angles(replace(fixed, xy=swap_legs(fixed.xy, swapped)), clip_dir)
    xy_events = None
    if n >= 2:
        # the Hampel floor is in pixels; scale it with the athlete's size in the image so the
        # result does not depend on zoom (floor = hampel_min_dev at a 200 px leg)
        if np.isfinite(leg0) and leg0 > 0:
            cfg = replace(cfg, filter=replace(
                cfg.filter, hampel_min_dev=cfg.filter.hampel_min_dev * leg0 / HAMPEL_REF_LEG_PX))
        sm = smooth_pose(fixed, cfg.filter, landmarks=CORE_LANDMARKS)
        xy, filled = sm.pose.xy, sm.filled
        notes.extend(sm.warnings)
        fs = sm.sampling_rate_hz
        # gait events are timed on feet that are not low-passed (docs/metrics.md §3)
        ev = smooth_pose(fixed, replace(cfg.filter, cutoff_hz=None), landmarks=EVENT_LANDMARKS)
        xy_events = np.full((n, 33, 2), np.nan)
        cols = [2 * i + c for i in EVENT_LANDMARKS for c in (0, 1)]  # x, y columns of (n, 66)
        xy_events.reshape(n, 66)[:, cols] = np.asarray(ev.pose.xy).reshape(n, 66)[:, cols]
    else:
        xy, filled, fs = fixed.xy, np.zeros((n, 33), dtype=bool), float("nan")
    ang = angles_from_landmarks(xy, direction)
    ham = hamstring_lengths(ang["hip_flexion"], ang["knee_flexion"])
    return Kinematics(
        xy=xy, direction=direction, clip_direction=int(clip_dir),
        knee_flexion=ang["knee_flexion"], hip_flexion=ang["hip_flexion"], thigh=ang["thigh"],
        shank=ang["shank"], ankle=ang["ankle"], trunk_lean=ang["trunk_lean"], hamstring=ham,
        knee_flexion_raw=raw_angles.knee_flexion, hip_flexion_raw=raw_angles.hip_flexion,
        leg_swapped=swapped, filled=filled, leg_length_px=leg0,
        sampling_rate_hz=fs, near_side="right" if clip_dir > 0 else "left",
        notes=tuple(notes), xy_events=xy_events)


def best_angles(kin: Kinematics) -> Angles:
    """The :class:`Angles` of the output contract from the conditioned kinematics."""
    return Angles(knee_flexion=kin.knee_flexion, hip_flexion=kin.hip_flexion,
                  direction=kin.clip_direction)
