"""A crouch start seen in the clip: the set position and the push out of the blocks
(``docs/metrics.md`` §6).

In the set position the trunk is near horizontal (hips a little above the shoulders), far
beyond any running lean: the trunk leans about 45° at the first touchdowns out of the
blocks and rises from there (Nagahara et al. 2014; Debaere et al. 2013), so a lean above
:data:`SET_LEAN_DEG` is a crouch, not a running stride. The feet rest on the block pedals
and nothing moves relative to them; the feet leave the blocks one after the other (rear
first), the front leg extending until block exit, and the body leaves the blocks at about
40–45° to the track (Harland & Steele 1997; Bezodis et al. 2019). Sprinters adopt a wide
range of set positions, none associated with block performance (Bezodis et al. 2019), so
the set posture is reported, never judged.

What this finds:

* the **set**: the longest run of crouched frames (lean > :data:`SET_LEAN_DEG`) during
  which the hips stay still relative to the ankles and knees (within :data:`STILL_LEG` leg
  lengths of their median position) for at least :data:`MIN_SET_S`;
* the **movement onset**: the end of that stillness;
* **block exit**: the front foot leaving its pedal. The front leg (its ankle further
  ahead in the set) extends nearly straight while it pushes and the rear leg folds to
  swing, so block exit is the frame of least flexion of the straighter knee between the
  onset and the first touchdown found at least :data:`MIN_BLOCK_S` after it (the rear
  leg's first step; both feet push for longer than that), or within :data:`MAX_PUSH_S`
  if there is none; and not before the trunk lean falls below :data:`EXIT_LEAN_DEG` (the
  body leaves the blocks at about 45° to the track, Harland & Steele 1997, and the pose
  model reads a trunk too upright rather than too low). The lean bound catches a pose
  model's false touchdown of a foot still on its pedal, which would end the knee window
  early. A slightly early estimate costs little (a block exit without a touchdown before
  it makes no stride); a late one would drop the first step.

Events inside the blocks (anything up to block exit) are not gait events: the feet rest on
pedals above the track, and leaving a pedal is not a toe-off from the ground. They are
dropped (:func:`events_after_start`), so no stride is invented in the blocks; the first
touchdown after block exit is the first step.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from posecheck.gait.events import _runs
from posecheck.types import GaitEvent, Kinematics, LANDMARK_INDEX as L

SET_LEAN_DEG = 60.0
STILL_LEG = 0.04
MIN_SET_S = 0.2
MAX_PUSH_S = 0.6
MIN_BLOCK_S = 0.2
EXIT_LEAN_DEG = 55.0


@dataclass(frozen=True)
class BlockStart:
    """A crouch start (module docstring). Times in real seconds from the clip's start;
    ``front_side`` is the athlete's leg on the front pedal (``"left"``/``"right"``); angles
    (deg) are medians over the set: trunk lean from the upward vertical (+ forward; 90 =
    horizontal), knee flexion (0 = straight; interior knee angle = 180 − flexion)."""

    set_from_s: float
    set_to_s: float
    block_exit_s: float
    front_side: str
    trunk_lean_deg: float
    front_knee_flexion_deg: float
    rear_knee_flexion_deg: float

    def to_dict(self) -> dict:
        r = lambda x: None if not np.isfinite(x) else round(float(x), 3)  # noqa: E731
        return {"set_from_s": r(self.set_from_s), "set_to_s": r(self.set_to_s),
                "block_exit_s": r(self.block_exit_s), "front_side": self.front_side,
                "set_trunk_lean_deg": r(self.trunk_lean_deg),
                "set_front_knee_angle_deg": r(180.0 - self.front_knee_flexion_deg),
                "set_rear_knee_angle_deg": r(180.0 - self.rear_knee_flexion_deg)}


def _set_shape(xy: np.ndarray, leg_px: float) -> np.ndarray:
    """(n, 4) the hip midpoint relative to the midpoint of the ankles and of the knees (x, y),
    in leg lengths: the same whichever leg is labelled left (a still set gives leg identity
    nothing to go by)."""
    hip = 0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]])
    ank = 0.5 * (xy[:, L["left_ankle"]] + xy[:, L["right_ankle"]])
    knee = 0.5 * (xy[:, L["left_knee"]] + xy[:, L["right_knee"]])
    return np.concatenate([hip - ank, hip - knee], axis=1) / leg_px


def _knee_flexion(xy: np.ndarray, side: str) -> np.ndarray:
    """(n,) knee flexion (deg, 0 = straight) of one labelled leg from landmarks."""
    h, k, a = (xy[:, L[f"{side}_{j}"]] for j in ("hip", "knee", "ankle"))
    u, v = h - k, a - k
    cos = np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def find_block_start(kin: Kinematics, times: np.ndarray, raw_xy: np.ndarray | None = None,
                     events: tuple[GaitEvent, ...] = ()) -> BlockStart | None:
    """The set position and block exit in the clip, or ``None`` (module docstring).

    Args:
        kin: the clip's kinematics (``trunk_lean`` (n,), ``xy`` (n, 33, 2) px,
            ``clip_direction``, ``leg_length_px``).
        times: (n,) real seconds, increasing.
        raw_xy: (n, 33, 2) the pose model's landmarks as detected (px); the set's knee
            angles are read from them, front leg = the ankle further ahead in each frame
            (``kin.xy`` when omitted).
        events: the clip's gait events; the first touchdown after block exit is the rear
            leg's, which names the front leg (else the label of the leg ahead in the set).
    """
    t = np.asarray(times, dtype=np.float64)
    lean = np.asarray(kin.trunk_lean, dtype=np.float64)
    n = t.size
    if n < 3 or lean.shape != (n,) or not (np.isfinite(kin.leg_length_px)
                                          and kin.leg_length_px > 0):
        return None
    xy = np.asarray(kin.xy, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        crouch = lean > SET_LEAN_DEG
    shape = _set_shape(xy, kin.leg_length_px)
    best = None
    for a, b in _runs(crouch):
        with warnings.catch_warnings():  # a crouch on frames without landmarks: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = np.nanmedian(shape[a:b], axis=0)
        with np.errstate(invalid="ignore"):
            still = np.all(np.abs(shape[a:b] - ref) < STILL_LEG, axis=1)
        for sa, sb in _runs(still):
            if t[a + sb - 1] - t[a + sa] >= MIN_SET_S and (
                    best is None or sb - sa > best[1] - best[0]):
                best = (a + sa, a + sb)
    if best is None:
        return None
    s0, s1 = best
    onset = float(t[s1 - 1] if s1 == n else t[s1])
    raw = xy if raw_xy is None else np.asarray(raw_xy, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        knees = np.stack([_knee_flexion(raw, "left"), _knee_flexion(raw, "right")], axis=1)
        ahead = kin.clip_direction * raw[:, [L["left_ankle"], L["right_ankle"]], 0]
    rows = np.arange(s0, s1)
    ok = np.all(np.isfinite(ahead[rows]), axis=1)
    rows = rows[ok]
    front_idx = np.argmax(ahead[rows], axis=1) if rows.size else np.array([], dtype=int)
    front_knee = knees[rows, front_idx] if rows.size else np.array([np.nan])
    rear_knee = knees[rows, 1 - front_idx] if rows.size else np.array([np.nan])
    exit_s = _block_exit(kin, t, onset, events)
    first_td = next((e for e in events if e.kind == "touchdown" and e.time_s > exit_s), None)
    if first_td is not None:
        front = "left" if first_td.side == "right" else "right"
    else:
        front = ("left", "right")[int(np.round(np.mean(front_idx))) if front_idx.size else 0]
    return BlockStart(float(t[s0]), onset, exit_s, front, float(np.nanmedian(lean[s0:s1])),
                      float(np.nanmedian(front_knee)), float(np.nanmedian(rear_knee)))


def _block_exit(kin: Kinematics, t: np.ndarray, onset: float,
                events: tuple[GaitEvent, ...]) -> float:
    """Block exit (s): the frame of least flexion of the straighter knee (either label: the
    front leg extends on its pedal while the rear leg folds to swing) after ``onset`` and
    before the first touchdown at least :data:`MIN_BLOCK_S` after it (the rear leg's first
    step), or within :data:`MAX_PUSH_S` when there is none."""
    knee = np.asarray(kin.knee_flexion, dtype=np.float64)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        straighter = np.nanmin(knee, axis=1)
    first_td = next((e.time_s for e in events if e.kind == "touchdown"
                     and e.time_s >= onset + MIN_BLOCK_S), None)
    end = first_td if first_td is not None else onset + MAX_PUSH_S
    idx = np.nonzero((t >= onset) & (t < end))[0]
    idx = idx[np.isfinite(straighter[idx])]
    knee_exit = float(t[idx[np.argmin(straighter[idx])]]) if idx.size else float(min(end, t[-1]))
    # the trunk: still leaning more than EXIT_LEAN_DEG means still in the blocks
    lean = np.asarray(kin.trunk_lean, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        up = np.nonzero((t >= onset) & (lean < EXIT_LEAN_DEG))[0]
    lean_exit = float(t[up[0]]) if up.size else knee_exit
    return max(knee_exit, min(lean_exit, onset + MAX_PUSH_S))


def events_after_start(events: tuple[GaitEvent, ...], start: BlockStart | None,
                       frame_s: float = 0.0) -> tuple[GaitEvent, ...]:
    """``events`` without those up to block exit (plus half a frame, ``frame_s`` s) and
    without a foot's toe-offs before its first touchdown after it (that foot leaving its
    pedal): the first step starts with the first touchdown after block exit."""
    if start is None:
        return tuple(events)
    cut = start.block_exit_s + 0.5 * frame_s
    out, landed = [], set()
    for e in sorted(events, key=lambda e: e.time_s):
        if e.time_s <= cut or (e.kind == "toe_off" and e.side not in landed):
            continue
        if e.kind == "touchdown":
            landed.add(e.side)
        out.append(e)
    return tuple(out)
