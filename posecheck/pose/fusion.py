"""Fusing MoveNet's keypoints on the athlete's crop with MediaPipe's landmarks (issue #17).

MediaPipe finds and tracks the people and gives 33 landmarks; MoveNet, run on a square crop
around the chosen athlete (:mod:`posecheck.pose.refine`), reads hips, knees and ankles
closer to the joint centres (knee / hip flexion error about half of MediaPipe's on the
rendered clips, docs/metrics.md §8) but has no heel or toe, and its shoulders are no better.
The fusion, per frame where MoveNet ran (all NumPy, no model):

1. **Leg labels follow MoveNet** (:func:`legs_swapped`, :func:`swap_leg_labels`): where
   MediaPipe's left/right legs (hip, knee, ankle, heel, toe — positions, depth, visibility)
   are the reverse of MoveNet's, MediaPipe's are exchanged, so the feet kept from MediaPipe
   belong to the leg MoveNet calls left/right. MoveNet mixes the legs up less often (1–3 %
   of frames vs 7–9 %); the leg-swap repair of :mod:`posecheck.kinematics.legs` still runs
   on the result.
2. **Hips, knees, ankles from MoveNet** (:data:`FROM_MOVENET`) where its score is at least
   ``min_score``; elsewhere (occluded, off the crop) MediaPipe's stay.
3. **Feet stay MediaPipe's** (heel and toe, in MoveNet's leg labels). Translating them
   with the move of their ankle (``move_feet=True``, :data:`FOOT_OF_ANKLE`) keeps the foot
   attached to the fused ankle, but MoveNet's frame-by-frame ankle jitter then reaches the
   foot height the gait events are timed on: measured on a held-out 120 fps render, events
   within ±1 frame fell from 72 % (MediaPipe alone) to 44 % (56–67 % with the translation
   smoothed over 0.1–0.3 s), while untranslated feet gave 72 % there and 85 % / 100 % on
   the samples (MediaPipe alone 85 % / 96 %; docs/metrics.md §8).

Shoulders, head, arms, depth ``z``, world landmarks stay MediaPipe's. Pixel convention as
:class:`posecheck.types.PoseSequence`: x right, y down, frame pixels.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from posecheck.types import LANDMARK_INDEX, N_LANDMARKS, PoseSequence

#: MediaPipe landmark ids taken from MoveNet (hips, knees, ankles).
FROM_MOVENET: tuple[int, ...] = tuple(LANDMARK_INDEX[f"{s}_{p}"] for p in ("hip", "knee", "ankle")
                                      for s in ("left", "right"))
#: (left id, right id) of the leg landmarks exchanged when the legs' labels disagree.
LEG_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (LANDMARK_INDEX[f"left_{p}"], LANDMARK_INDEX[f"right_{p}"])
    for p in ("hip", "knee", "ankle", "heel", "foot_index"))
#: ankle id -> the foot landmark ids translated with it.
FOOT_OF_ANKLE: dict[int, tuple[int, ...]] = {
    LANDMARK_INDEX[f"{s}_ankle"]: (LANDMARK_INDEX[f"{s}_heel"], LANDMARK_INDEX[f"{s}_foot_index"])
    for s in ("left", "right")}
#: MoveNet keypoints below this score are not used (MediaPipe's landmark stays).
MIN_SCORE = 0.2
# MoveNet keypoint rows of the knees and ankles (COCO order: 13/14 knees, 15/16 ankles)
_MN = {"left_knee": 13, "right_knee": 14, "left_ankle": 15, "right_ankle": 16}


def body_boxes(xy: np.ndarray) -> np.ndarray:
    """(n, 4) ``[x_min, y_min, x_max, y_max]`` around each frame's finite landmarks
    (``xy``: (n, 33, 2) pixels); NaN rows where there are none."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (N_LANDMARKS, 2):
        raise ValueError(f"xy must have shape (n, {N_LANDMARKS}, 2), got {xy.shape}")
    out = np.full((len(xy), 4), np.nan)
    ok = np.isfinite(xy).all(axis=2)
    rows = ok.any(axis=1)
    if rows.any():
        lo = np.where(ok[..., None], xy, np.inf).min(axis=1)
        hi = np.where(ok[..., None], xy, -np.inf).max(axis=1)
        out[rows] = np.concatenate([lo, hi], axis=1)[rows]
    return out


def legs_swapped(mp_xy: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(n,) bool: MediaPipe's leg labels are the reverse of MoveNet's in that frame — its
    left knee + ankle lie nearer MoveNet's right ones and its right ones nearer the left
    (summed distance smaller crossed than straight). ``mp_xy``: (n, 33, 2) pixels;
    ``keypoints``: (n, 17, >=2) MoveNet ``[x, y, ...]`` in frame pixels (NaN rows where it
    did not run: never swapped)."""
    mp = np.asarray(mp_xy, dtype=np.float64)
    kp = np.asarray(keypoints, dtype=np.float64)
    if mp.ndim != 3 or mp.shape[1:] != (N_LANDMARKS, 2) or kp.shape[:1] != mp.shape[:1] \
            or kp.ndim != 3 or kp.shape[1] != 17 or kp.shape[2] < 2:
        raise ValueError(f"need mp_xy (n, 33, 2) and keypoints (n, 17, 2+), got {mp.shape}, {kp.shape}")
    L = LANDMARK_INDEX

    def dist(mp_side: str, mn_side: str) -> np.ndarray:
        return sum(np.linalg.norm(mp[:, L[f"{mp_side}_{p}"]] - kp[:, _MN[f"{mn_side}_{p}"], :2], axis=1)
                   for p in ("knee", "ankle"))

    straight = dist("left", "left") + dist("right", "right")
    crossed = dist("left", "right") + dist("right", "left")
    return np.isfinite(straight) & np.isfinite(crossed) & (crossed < straight)


def swap_leg_labels(values: np.ndarray, swapped: np.ndarray) -> np.ndarray:
    """A copy of ``values`` ((n, 33, ...) per-landmark array: positions, depth, visibility)
    with each left/right leg landmark pair (:data:`LEG_PAIRS`) exchanged in the frames where
    ``swapped`` ((n,) bool) is set."""
    out = np.array(values, dtype=np.float64, copy=True)
    sw = np.asarray(swapped, dtype=bool)
    if out.ndim < 2 or out.shape[1] != N_LANDMARKS or sw.shape != out.shape[:1]:
        raise ValueError(f"values must be (n, {N_LANDMARKS}, ...) and swapped (n,), got {out.shape}, {sw.shape}")
    for a, b in LEG_PAIRS:
        out[sw, a], out[sw, b] = values[sw, b], values[sw, a]
    return out


def fuse_xy(mp_xy: np.ndarray, keypoints: np.ndarray, min_score: float = MIN_SCORE,
            move_feet: bool = False) -> np.ndarray:
    """Fused (n, 33, 2) pixels from MediaPipe's ``mp_xy`` (n, 33, 2), already in MoveNet's
    leg labels, and MoveNet's ``keypoints`` (n, 17, 3) ``[x, y, score]`` in frame pixels
    (NaN rows where it did not run): :data:`FROM_MOVENET` replaced where the score is at
    least ``min_score`` and MediaPipe found the athlete; heel and toe stay MediaPipe's, or
    with ``move_feet`` are moved with their ankle (module docstring, steps 2 and 3)."""
    from posecheck.pose.movenet import LANDMARK_IDS

    mp = np.asarray(mp_xy, dtype=np.float64)
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (17, 3) or mp.shape != (len(kp), N_LANDMARKS, 2):
        raise ValueError(f"need mp_xy (n, 33, 2) and keypoints (n, 17, 3), got {mp.shape}, {kp.shape}")
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"min_score must be in [0, 1], got {min_score!r}")
    out = mp.copy()
    row_of = {lm: r for r, lm in enumerate(LANDMARK_IDS)}
    for lm in FROM_MOVENET:
        r = row_of[lm]
        use = (kp[:, r, 2] >= min_score) & np.isfinite(kp[:, r, :2]).all(axis=1) \
            & np.isfinite(mp[:, lm]).all(axis=1)
        out[use, lm] = kp[use, r, :2]
    if move_feet:
        for ankle, foot in FOOT_OF_ANKLE.items():
            move = out[:, ankle] - mp[:, ankle]  # zero where the ankle was kept
            for lm in foot:
                out[:, lm] = mp[:, lm] + move
    return out


def fill_between(mp_xy: np.ndarray, keypoints: np.ndarray, max_gap: int) -> np.ndarray:
    """MoveNet keypoints for the frames it skipped (NaN rows) between two frames it ran on
    at most ``max_gap`` frames apart: MediaPipe's landmark there plus the MoveNet − MediaPipe
    difference interpolated linearly in frame index between the two (MediaPipe follows the
    motion frame by frame, MoveNet corrects where it puts the joint). MediaPipe's legs are
    first labelled as MoveNet's would be there (:func:`legs_swapped` against MoveNet's
    keypoints interpolated in time). Score: the lower of the two. Returns a new
    (n, 17, 3) array; rows that cannot be filled stay NaN.

    ``mp_xy``: (n, 33, 2) pixels; ``keypoints``: (n, 17, 3) ``[x, y, score]``."""
    from posecheck.pose.movenet import LANDMARK_IDS

    mp = np.asarray(mp_xy, dtype=np.float64)
    kp = np.array(keypoints, dtype=np.float64, copy=True)
    if kp.ndim != 3 or kp.shape[1:] != (17, 3) or mp.shape != (len(kp), N_LANDMARKS, 2):
        raise ValueError(f"need mp_xy (n, 33, 2) and keypoints (n, 17, 3), got {mp.shape}, {kp.shape}")
    ran = np.flatnonzero(np.isfinite(kp[:, 0, 0]))
    if len(ran) < 2 or max_gap < 2:
        return kp
    ids = list(LANDMARK_IDS)
    sw = legs_swapped(mp[ran], kp[ran])
    diff = kp[ran, :, :2] - swap_leg_labels(mp[ran], sw)[:, ids]  # (m, 17, 2)
    for a, b, da, db in zip(ran[:-1], ran[1:], diff[:-1], diff[1:]):
        if not 1 < b - a <= max_gap:
            continue
        w = ((np.arange(a + 1, b) - a) / (b - a))[:, None, None]  # (g, 1, 1)
        kp_t = (1 - w) * kp[a, :, :2] + w * kp[b, :, :2]            # MoveNet in time
        guess = np.concatenate([kp_t, np.zeros(kp_t.shape[:2] + (1,))], axis=2)
        mid = mp[a + 1:b]
        relabelled = swap_leg_labels(mid, legs_swapped(mid, guess))[:, ids]
        kp[a + 1:b, :, :2] = relabelled + (1 - w) * da + w * db
        kp[a + 1:b, :, 2] = np.minimum(kp[a, :, 2], kp[b, :, 2])
    return kp


def fuse_pose(pose: PoseSequence, keypoints: np.ndarray, model: str,
              min_score: float = MIN_SCORE) -> PoseSequence:
    """``pose`` (MediaPipe) fused with MoveNet's ``keypoints`` ((n_frames, 17, 3) ``[x, y,
    score]`` frame pixels, NaN rows where MoveNet did not run), labelled ``model`` (the pose
    mode): leg labels follow MoveNet, hips/knees/ankles from MoveNet, heel/toe MediaPipe's
    (module docstring)."""
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.shape != (pose.n_frames, 17, 3):
        raise ValueError(f"keypoints must have shape ({pose.n_frames}, 17, 3), got {kp.shape}")
    sw = legs_swapped(pose.xy, kp)
    xy = fuse_xy(swap_leg_labels(pose.xy, sw), kp, min_score)
    return replace(pose, xy=xy, z=swap_leg_labels(pose.z, sw),
                   visibility=swap_leg_labels(pose.visibility, sw),
                   presence=swap_leg_labels(pose.presence, sw),
                   world=swap_leg_labels(pose.world, sw), model=model)
