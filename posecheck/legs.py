"""Leg identity: which leg is near the camera, and detection + repair of left/right swaps.

MediaPipe confuses the legs of a side-on runner when they cross, mostly in late swing. On
the synthetic clips (``docs/synthetic_sprinter.md``) it swaps knee, ankle, heel and toe
together in 8–17 % of frames, in runs of 2–8 frames at 60 fps. Its relative depth ``z`` and
its per-landmark visibility follow *its own* labels (the leg it calls "right" is the nearer
one in > 97 % of frames, swapped or not), so they cannot tell a swap; what gives a swap away
is kinematic continuity: at the start and end of a swapped run each labelled trajectory
jumps from one leg to the other (typically 0.3–1.3 leg lengths in one frame), while a real
foot at 60–240 fps accelerates smoothly.

:func:`repair_leg_swaps` uses the one thing a swap cannot fake: **stride periodicity**. At
sprinting speed the cycle repeats, so each leg at frame t looks like the same leg a whole
stride earlier and later, and like the other leg half a stride away. With the step period P
estimated from the label-free sum of both legs' features (autocorrelation), every frame's
labels are compared with the legs at t ± P, ± 2P, ± 3P, ± 4P (numba kernel
``_kernels._periodic_leg_costs``, median over the references, so the swapped minority among
them cannot outvote the rest) and kept or exchanged, whichever fits; a second pass uses the
repaired labels as references. On the synthetic clips (full model) this leaves 0–2.8 % of
frames mislabelled where MediaPipe had 6.7–10 % (``docs/metrics.md``).

Clips shorter than two strides have too few references; there a second-order Viterbi
(``_kernels._leg_swap_viterbi``) over "labels as given" / "labels swapped" decides, with

* transition cost = summed norm of the second difference (acceleration per frame², in leg
  lengths) of the relabelled knee, ankle, heel and toe trajectories of both legs;
* a switching cost per change of state, and a small per-frame cost of the swapped state,
  scaled by the frame rate so that a swapped run costs the same per *second* at any fps
  (MediaPipe is right most of the time; the prior breaks the left/right symmetry).

It runs on the raw landmarks (before any filtering, which would smear a swap into both
legs). Hips and the upper body are never relabelled: the two hip points are nearly
coincident in a side view, and the athlete's anatomical left/right stay their own sides.

Near leg: running left-to-right (direction +1) the athlete's right side faces the camera,
so the right leg is the near one; right-to-left, the left leg (geometry of an upright
runner, not a choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posecheck import _kernels
from posecheck.types import LANDMARK_INDEX as L

#: Leg landmarks relabelled together, per side (knee, ankle, heel, toe).
LEG_POINTS = ("knee", "ankle", "heel", "foot_index")
LEFT_IDS = np.array([L[f"left_{p}"] for p in LEG_POINTS])
RIGHT_IDS = np.array([L[f"right_{p}"] for p in LEG_POINTS])

#: Cost of one change of state (label swap starts or ends), in leg lengths of acceleration.
SWITCH_COST = 0.4
#: Cost of one *second* spent in the swapped state (per frame: this / fps).
SWAP_COST_PER_S = 12.0
#: References each side for the periodicity test (±1..±4 half-strides).
PERIODIC_REFERENCES = 4
#: Passes of the periodicity test (the second uses the first one's labels as references).
PERIODIC_PASSES = 2
#: Step frequency search range for the period (steps per second; sprinting is ~3.5–5.5).
STEP_FREQ_RANGE_HZ = (2.5, 6.0)


@dataclass(frozen=True)
class LegSwapRepair:
    """What :func:`repair_leg_swaps` returns.

    Attributes:
        xy: (n, 33, 2) pixels with the leg landmarks of swapped frames exchanged.
        swapped: (n,) bool, frames whose raw left/right leg labels were exchanged.
        near_side: ``"right"`` if the athlete's right leg faces the camera, else ``"left"``.
        leg_length_px: median hip–knee + knee–ankle length in pixels (scale of the costs).
    """

    xy: np.ndarray
    swapped: np.ndarray
    near_side: str
    leg_length_px: float

    @property
    def swap_rate(self) -> float:
        """Share of frames relabelled."""
        return float(self.swapped.mean()) if self.swapped.size else 0.0


def near_side(direction: int) -> str:
    """``"right"`` for a runner going towards +x (direction +1), ``"left"`` towards −x."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    return "right" if direction > 0 else "left"


def leg_length_px(xy: np.ndarray) -> float:
    """Median over frames and sides of |hip − knee| + |knee − ankle| (pixels); NaN if unknown."""
    xy = np.asarray(xy, dtype=np.float64)
    lengths = []
    for side in ("left", "right"):
        h, k, a = xy[:, L[f"{side}_hip"]], xy[:, L[f"{side}_knee"]], xy[:, L[f"{side}_ankle"]]
        lengths.append(np.linalg.norm(k - h, axis=1) + np.linalg.norm(a - k, axis=1))
    all_len = np.concatenate(lengths)
    all_len = all_len[np.isfinite(all_len)]
    return float(np.median(all_len)) if all_len.size else float("nan")


def swap_legs(arr: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Copy of ``arr`` ((n, 33, ...) per-landmark data) with the left and right leg
    landmarks exchanged in the frames where ``frames`` ((n,) bool) is true."""
    out = np.array(arr, copy=True)
    rows = np.flatnonzero(frames)
    if rows.size:
        left = out[np.ix_(rows, LEFT_IDS)].copy()
        out[np.ix_(rows, LEFT_IDS)] = out[np.ix_(rows, RIGHT_IDS)]
        out[np.ix_(rows, RIGHT_IDS)] = left
    return out


def detect_leg_swaps(xy, times, scale_px: float | None = None,
                     switch_cost: float = SWITCH_COST,
                     swap_cost_per_s: float = SWAP_COST_PER_S) -> np.ndarray:
    """(n,) bool: frames whose left/right leg labels look exchanged (see module docstring).

    Args:
        xy: (n, 33, 2) raw landmark pixels, NaN where missing.
        times: (n,) real seconds, strictly increasing (sets the per-frame swap cost).
        scale_px: length scale in pixels (default: :func:`leg_length_px`).
        switch_cost: cost of one change of state, in leg lengths.
        swap_cost_per_s: cost of a second in the swapped state.
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (33, 2):
        raise ValueError(f"xy must have shape (n, 33, 2), got {xy.shape}")
    t = np.asarray(times, dtype=np.float64)
    if t.shape != (xy.shape[0],):
        raise ValueError(f"times must have shape ({xy.shape[0]},), got {t.shape}")
    n = xy.shape[0]
    out = np.zeros(n, dtype=np.int8)
    if n < 3:
        return out.astype(bool)
    scale = leg_length_px(xy) if scale_px is None else float(scale_px)
    if not (np.isfinite(scale) and scale > 0):
        return out.astype(bool)
    a = np.ascontiguousarray(xy[:, LEFT_IDS] / scale)
    b = np.ascontiguousarray(xy[:, RIGHT_IDS] / scale)
    valid = np.isfinite(a).all(axis=(1, 2)) & np.isfinite(b).all(axis=(1, 2))
    fps = 1.0 / float(np.median(np.diff(t)))
    _kernels._leg_swap_viterbi(a, b, valid, float(switch_cost), float(swap_cost_per_s / fps), out)
    return out.astype(bool)


def _leg_features(xy: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(n, 8) left and right leg features: knee, ankle, heel, toe relative to the hip
    midpoint, in leg lengths (so camera panning and zoom do not matter)."""
    hip = 0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]])
    fl = (xy[:, LEFT_IDS] - hip[:, None]) / scale
    fr = (xy[:, RIGHT_IDS] - hip[:, None]) / scale
    n = xy.shape[0]
    return np.ascontiguousarray(fl.reshape(n, -1)), np.ascontiguousarray(fr.reshape(n, -1))


def step_period_frames(fl: np.ndarray, fr: np.ndarray, fps: float) -> int | None:
    """Step period in frames from the autocorrelation of the label-free sum ``fl + fr``
    ((n, m) features; the sum repeats every step whichever leg is which). ``None`` when the
    clip is shorter than two strides or shows no periodicity (correlation < 0.3)."""
    u = fl + fr
    ok = np.isfinite(u).all(axis=1)
    u = np.where(ok[:, None], u - np.nanmean(u[ok], axis=0) if ok.any() else 0.0, 0.0)
    lo = max(2, int(np.floor(fps / STEP_FREQ_RANGE_HZ[1])))
    hi = int(np.ceil(fps / STEP_FREQ_RANGE_HZ[0]))
    n = u.shape[0]
    if n < 4 * lo + 1:
        return None
    best, best_p = -1.0, None
    for p in range(lo, min(hi, (n - 1) // 4) + 1):
        a, b = u[:-p], u[p:]
        den = np.sqrt(np.sum(a * a) * np.sum(b * b))
        r = float(np.sum(a * b) / den) if den > 0 else -1.0
        if r > best:
            best, best_p = r, p
    return best_p if best >= 0.3 else None


def periodic_leg_swaps(xy, times, scale_px: float | None = None) -> np.ndarray | None:
    """(n,) bool frames whose leg labels contradict the stride periodicity (module
    docstring), or ``None`` when the clip is too short or not periodic enough to tell."""
    xy = np.asarray(xy, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    n = xy.shape[0]
    scale = leg_length_px(xy) if scale_px is None else float(scale_px)
    if n < 5 or not (np.isfinite(scale) and scale > 0):
        return None
    fl, fr = _leg_features(xy, scale)
    fps = 1.0 / float(np.median(np.diff(t)))
    period = step_period_frames(fl, fr, fps)
    if period is None:
        return None
    swapped = np.zeros(n, dtype=np.bool_)
    keep, swap = np.empty(n), np.empty(n)
    for _ in range(PERIODIC_PASSES):
        _kernels._periodic_leg_costs(fl, fr, swapped, period, PERIODIC_REFERENCES, keep, swap)
        swapped = np.isfinite(keep) & (swap < keep)
    return swapped


def repair_leg_swaps(xy, times, direction: int, switch_cost: float = SWITCH_COST,
                     swap_cost_per_s: float = SWAP_COST_PER_S) -> LegSwapRepair:
    """Detect and undo left/right leg label swaps in raw landmarks.

    Args:
        xy: (n, 33, 2) raw landmark pixels (x right, y down), NaN where missing.
        times: (n,) real seconds.
        direction: clip running direction, +1 towards +x, −1 towards −x (gives the near leg).

    Returns:
        :class:`LegSwapRepair` (relabelled copy; the input is not modified).
    """
    xy = np.asarray(xy, dtype=np.float64)
    scale = leg_length_px(xy)
    swapped = periodic_leg_swaps(xy, times, scale)
    if swapped is None:  # shorter than two strides: continuity alone
        swapped = detect_leg_swaps(xy, times, scale, switch_cost, swap_cost_per_s)
    return LegSwapRepair(xy=swap_legs(xy, swapped), swapped=swapped,
                         near_side=near_side(direction), leg_length_px=scale)
