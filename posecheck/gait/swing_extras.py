"""Per-swing values read at the instants of the Sprint Mechanics Assessment Score (S-MAS,
Bramah et al. 2024) and the thigh's angular velocity (``docs/metrics.md`` §4).

S-MAS scores max-velocity sprinting from a side view at five instants; four of them are
read here for each swing of one leg:

* **toe-off** of this leg: its thigh angle (``thigh_to_deg``; trailing-limb extension);
* **maximal vertical projection** (MVP) of the flight after that toe-off, the frame where
  the hip midpoint is highest: how far the shank of this (trailing) leg points above the
  horizontal (``shin_above_parallel_mvp_deg``; S-MAS "back kick": the heel above the
  calf);
* **late swing** of this leg, its least knee flexion between peak knee flexion and
  touchdown: the *other* leg's thigh angle (``other_thigh_late_swing_deg``; S-MAS "thigh
  separation": the trailing knee behind the gluteals);
* **touchdown** of this leg: the trunk lean (``trunk_lean_td_deg``; S-MAS "forward lean").

Thigh angular velocity (Clark et al. 2020 relate it to running speed): the fastest forward
(flexing) and backward (extending) rotation of this leg's thigh in its swing, deg/s, from
the 10 Hz thigh series.

Heel-to-glute posture: how long in this swing the knee is flexed beyond
:data:`HEEL_GLUTE_KNEE_DEG` (the heel up near the buttock, the hamstrings shortened at the
knee; ``heel_glute_time_s``). A description with a chosen angle, not a norm; MediaPipe reads
deep knee flexion ~9° low (``docs/metrics.md`` §4), so on its landmarks the time is short.
"""

from __future__ import annotations

import numpy as np

from posecheck.gait._windows import _interp_many
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import GaitEvent, Kinematics

EXTRA_FIELDS = ("thigh_to_deg", "mvp_frame", "shin_above_parallel_mvp_deg", "late_swing_frame",
                "other_thigh_late_swing_deg", "trunk_lean_td_deg",
                "thigh_forward_velocity_dps", "thigh_backward_velocity_dps", "heel_glute_time_s")
#: knee flexion (deg) beyond which the heel is counted as up at the glute
HEEL_GLUTE_KNEE_DEG = 120.0


def swing_extras(kin: Kinematics, times: np.ndarray, events: tuple[GaitEvent, ...],
                 legs: np.ndarray, toe_off_s: np.ndarray, touchdown_s: np.ndarray,
                 toe_off_frame: np.ndarray, touchdown_frame: np.ndarray,
                 peak_knee_frame: np.ndarray) -> dict[str, list]:
    """The values of the module docstring for k swings.

    Args:
        kin: per-frame kinematics (angles in degrees, (n, 2) = [left, right]).
        times: (n,) real seconds.
        events: the clip's gait events (for the other foot's touchdown ending a flight).
        legs: (k,) 0 = left, 1 = right, the leg of each swing.
        toe_off_s, touchdown_s: (k,) the swing's toe-off and touchdown times (s).
        toe_off_frame, touchdown_frame: (k,) their frames (first airborne / first contact).
        peak_knee_frame: (k,) the swing's peak knee flexion frame (−1 = none).

    Returns:
        name → list of k values (NaN / −1 where not measurable), names as
        :data:`EXTRA_FIELDS`.
    """
    t = np.asarray(times, dtype=np.float64)
    n = t.size
    out: dict[str, list] = {k: [] for k in EXTRA_FIELDS}
    hip_y = 0.5 * (kin.xy[:, L["left_hip"], 1] + kin.xy[:, L["right_hip"], 1])
    thigh_rate = (np.gradient(kin.thigh, t, axis=0) if n >= 3
                  else np.full(kin.thigh.shape, np.nan))
    tds = {s: np.array(sorted(e.time_s for e in events if e.kind == "touchdown" and e.side == s))
           for s in ("left", "right")}
    nan = float("nan")
    for j in range(len(legs)):
        s = int(legs[j])
        other = 1 - s
        a, b = int(toe_off_frame[j]), min(int(touchdown_frame[j]), n - 1)
        out["thigh_to_deg"].append(float(_interp_many(kin.thigh[:, s], t, toe_off_s[j:j + 1])[0]))
        # MVP: highest hip in the flight after this toe-off (until the other foot lands)
        other_td = tds["right" if s == 0 else "left"]
        later = other_td[other_td > toe_off_s[j]]
        end = later[0] if later.size else nan
        flight = np.flatnonzero((t > toe_off_s[j]) & (t < end) & np.isfinite(hip_y))
        if flight.size:
            mvp = int(flight[np.argmin(hip_y[flight])])
            out["mvp_frame"].append(mvp)
            out["shin_above_parallel_mvp_deg"].append(float(kin.shank[mvp, s] - 90.0))
        else:
            out["mvp_frame"].append(-1)
            out["shin_above_parallel_mvp_deg"].append(nan)
        # late swing: least knee flexion between peak knee flexion and touchdown
        pk = int(peak_knee_frame[j])
        late = np.arange(pk, b + 1) if 0 <= pk <= b else np.zeros(0, dtype=np.int64)
        late = late[np.isfinite(kin.knee_flexion[late, s])]
        if late.size:
            f = int(late[np.argmin(kin.knee_flexion[late, s])])
            out["late_swing_frame"].append(f)
            out["other_thigh_late_swing_deg"].append(float(kin.thigh[f, other]))
        else:
            out["late_swing_frame"].append(-1)
            out["other_thigh_late_swing_deg"].append(nan)
        out["trunk_lean_td_deg"].append(
            float(_interp_many(kin.trunk_lean, t, touchdown_s[j:j + 1])[0]))
        rate = thigh_rate[a:b + 1, s]
        rate = rate[np.isfinite(rate)]
        out["thigh_forward_velocity_dps"].append(float(rate.max()) if rate.size else nan)
        out["thigh_backward_velocity_dps"].append(float(-rate.min()) if rate.size else nan)
        knee = kin.knee_flexion[a:b + 1, s]
        dt = np.diff(t[a:b + 2]) if b + 1 < n else np.append(np.diff(t[a:b + 1]), np.nan)
        folded = (knee >= HEEL_GLUTE_KNEE_DEG) & np.isfinite(dt[:knee.size])
        out["heel_glute_time_s"].append(float(np.sum(dt[:knee.size][folded]))
                                        if np.isfinite(knee).any() else nan)
    return out
