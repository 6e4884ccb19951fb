"""A sprint start: set position, block push, first flight, then the accelerating run of
:mod:`tools.synth.acceleration` (``docs/synthetic_sprinter.md``).

Timeline (s): ``[0, set_s)`` the set position, still; ``[set_s, set_s + push_s)`` the push
against the blocks (the rear foot leaves after ``rear_push_s``, the front foot at block
exit); ``flight_s`` of first flight; then the first touchdown (the rear leg, ``left``) and
the accelerating run.

* **Set position** (:class:`SetPosture`): front knee 90° and rear knee 130° interior angle,
  hips "moderately high" above the shoulders (Harland & Steele 1997: front and rear knee
  angles of about 90° and 130° in the set position); front hip 45° and rear hip 85° interior
  (trunk–thigh; the rear one adjusted so both feet reach their pedals), trunk 20° below the horizontal (lean 110° from the upward vertical); arms
  straight and vertical. Bezodis et al. 2019 (review): sprinters adopt a wide range of set
  configurations, none of them associated with block performance.
* **Push**: the hips follow a smooth path from rest to the block-exit position and velocity,
  the planted feet fixed on the block pedals (two-link inverse kinematics; the feet cannot
  slide); the rear foot leaves after ``rear_push_s`` and swings forward (thigh and knee
  through :attr:`BlockStart.rear_swing_thigh` / ``rear_swing_knee`` at 60 % of its swing,
  ``rear_landing`` at 85 %, so the foot comes down onto the track at the touchdown). Block
  time 0.36 s with the rear foot leaving after half of it, and a block velocity of
  3.2 m/s, are model choices typical of trained sprinters, not fitted values.
* **First flight**: ballistic (gravity only) from block exit to the first touchdown, whose
  hip position and velocity are those of the acceleration's first step; the exit angle of
  the hip path follows from the front leg extended to ``exit_knee`` on its pedal (the body
  leaves the blocks at about 40–45° to the track, Harland & Steele 1997).

Ground-truth events: only the acceleration's touchdowns and toe-offs (leaving a block is
not a gait event); the payload's ``start`` holds the set interval, movement onset, the
rear and front block exits and the first touchdown, and the set posture.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import CubicHermiteSpline

from .acceleration import (AccelerationProfile, acceleration_kinematics, finish, lean_at,
                           step_cycle)
from .motion import G, seg_vec
from .params import SprintParams
from .simulation import GroundTruth, _body_cache


@dataclass(frozen=True)
class SetPosture:
    """Set-position angles (deg; module docstring for sources)."""

    front_knee_interior: float = 90.0
    rear_knee_interior: float = 130.0
    front_hip_interior: float = 45.0
    rear_hip_interior: float = 85.0
    lean: float = 110.0
    foot_pitch: float = -45.0   # foot on the inclined pedal, toes down (motion.py convention)


@dataclass(frozen=True)
class BlockStart:
    """Timing of the start (s) and the swing of the rear leg out of the blocks."""

    set_s: float = 0.8
    push_s: float = 0.36
    rear_push_s: float = 0.18
    flight_s: float = 0.06
    exit_knee: float = 15.0           # front knee flexion at block exit
    rear_swing_thigh: float = 45.0    # rear thigh at 60 % of its swing (deg, knee ahead)
    rear_swing_knee: float = 100.0
    rear_landing: tuple[float, float] = (20.0, 75.0)   # thigh, knee at 85 % of the swing
    posture: SetPosture = field(default_factory=SetPosture)


def _ik(hip: np.ndarray, ankle: np.ndarray, L1: float, L2: float):
    """Thigh (from the downward vertical, + knee ahead) and knee flexion (deg) of a leg
    whose hip (n, 2) and ankle (2,) are given (forward, up); the knee bends forward."""
    d_vec = ankle - hip
    d = np.linalg.norm(d_vec, axis=-1)
    if np.any(d > L1 + L2 - 1e-6):
        raise ValueError("block leg over-extended: lengthen the push or the exit knee angle")
    cos_int = (L1**2 + L2**2 - d**2) / (2 * L1 * L2)
    knee = 180.0 - np.degrees(np.arccos(np.clip(cos_int, -1, 1)))
    phi = np.degrees(np.arctan2(d_vec[:, 0], -d_vec[:, 1]))
    beta = np.degrees(np.arccos(np.clip((L1**2 + d**2 - L2**2) / (2 * L1 * d), -1, 1)))
    return phi + beta, knee


def _ankle(thigh, knee, L1, L2):
    """Ankle relative to the hip (forward, up) for thigh / knee flexion angles."""
    return seg_vec(thigh, L1) + seg_vec(thigh - knee, L2)


def _spline(knots):
    """C1 cubic through ``[(t, value, slope or None)]`` (None: Catmull-Rom slope)."""
    t = np.array([k[0] for k in knots], float)
    y = np.array([k[1] for k in knots], float)
    dy = [k[2] if k[2] is not None else (y[i + 1] - y[i - 1]) / (t[i + 1] - t[i - 1])
          for i, k in enumerate(knots)]
    return CubicHermiteSpline(t, y, np.array(dy, float))


def simulate_block_start(p: SprintParams | None = None,
                         profile: AccelerationProfile | None = None,
                         start: BlockStart | None = None) -> GroundTruth:
    """Kinematics and 2D ground truth of a start from the blocks (module docstring); the
    clip lasts the set, the push, the first flight and the profile's steps."""
    p = p or SprintParams()
    prof = profile or AccelerationProfile()
    bs = start or BlockStart()
    sp = bs.posture
    body = _body_cache(p.body)
    t_td = bs.set_s + bs.push_s + bs.flight_s          # first touchdown
    t_on, t_exit = bs.set_s, bs.set_s + bs.push_s
    t_rear = bs.set_s + bs.rear_push_s
    kin_a, events, steps, cycle, x_end = acceleration_kinematics(p, prof, t_start=t_td)
    first = step_cycle(body, p, prof, 0)
    L1, L2 = first.L1, first.L2
    # the first touchdown: hip position, velocity and every angle with its rate
    h = 1e-4
    s0, s1 = first.sample(np.array([0.0])), first.sample(np.array([h]))
    root0 = np.array([0.0, float(s0["root_y"][0])])
    v0 = np.array([first.v, float((s1["root_y"][0] - s0["root_y"][0]) / h)])
    # ground level: the touchdown foot's toe tip is on the ground
    ank_l = root0 + _ankle(s0["thigh_L"][0], s0["knee_L"][0], L1, L2)
    y_ground = float(ank_l[1] - first._ankle_rel_contact(s0["foot_L"][0], s0["toes_L"][0])[1])
    # first flight: ballistic back from the touchdown to block exit
    F = bs.flight_s
    v_exit = np.array([v0[0], v0[1] + G * F])
    hip_exit = root0 - np.array([v0[0] * F, v_exit[1] * F - 0.5 * G * F**2])
    # the front foot on its pedal, toe tip on the track; the leg reaches it with exit_knee
    ank_rel_toe = first._ankle_rel_contact(sp.foot_pitch, 0.0)
    ankle_y = y_ground + float(ank_rel_toe[1])
    d_exit = np.sqrt(L1**2 + L2**2 + 2 * L1 * L2 * np.cos(np.radians(bs.exit_knee)))
    dy = hip_exit[1] - ankle_y
    front_ankle = np.array([hip_exit[0] - np.sqrt(d_exit**2 - dy**2), ankle_y])
    # the set posture hangs from the hip: place the hip so the front ankle is on its pedal
    trunk_dir = 180.0 - sp.lean                          # hip->shoulder from the downward vertical
    th_f = trunk_dir - sp.front_hip_interior
    kn_f, kn_r = 180.0 - sp.front_knee_interior, 180.0 - sp.rear_knee_interior
    hip_set = front_ankle - _ankle(th_f, kn_f, L1, L2)
    # the rear foot on its pedal too (same height): the rear thigh angle that puts it there,
    # nearest to the rear hip angle asked for
    grid = trunk_dir - sp.rear_hip_interior + np.linspace(-30.0, 30.0, 6001)
    miss = np.abs(hip_set[1] + _ankle(grid, kn_r, L1, L2)[:, 1] - ankle_y)
    th_r = float(grid[np.argmin(miss + 1e-3 * np.abs(grid - grid[3000]))])
    rear_ankle = hip_set + _ankle(th_r, kn_r, L1, L2)
    # hip path: at rest until movement onset, C1 cubic to block exit, ballistic to touchdown
    t = np.arange(int(np.ceil(t_td * p.fps - 1e-9))) / p.fps
    hip = np.empty((t.size, 2))
    for c in range(2):
        sp_c = CubicHermiteSpline([t_on, t_exit], [hip_set[c], hip_exit[c]], [0.0, v_exit[c]])
        hip[:, c] = sp_c(np.clip(t, t_on, t_exit))
    fl = t >= t_exit
    w = t[fl] - t_exit
    hip[fl, 0] = hip_exit[0] + v_exit[0] * w
    hip[fl, 1] = hip_exit[1] + v_exit[1] * w - 0.5 * G * w**2
    kin = {"t": t, "root_x": hip[:, 0], "root_y": hip[:, 1]}
    # legs: planted (IK) on the pedals, then a C1 swing into the first touchdown's angles
    for s, ankle, t_off, extra in (("R", front_ankle, t_exit, None),
                                   ("L", rear_ankle, t_rear,
                                    (bs.rear_swing_thigh, bs.rear_swing_knee))):
        on = t < t_off
        th, kn = np.empty(t.size), np.empty(t.size)
        th[on], kn[on] = _ik(hip[on], ankle, L1, L2)
        hip_off = np.array([[_hip_at(hip_set, hip_exit, v_exit, t_on, t_exit, tq)
                             for tq in (t_off - h, t_off)]]).reshape(2, 2)
        th2, kn2 = _ik(hip_off, ankle, L1, L2)
        for name, y_off, rate in (("thigh", th2[1], (th2[1] - th2[0]) / h),
                                  ("knee", kn2[1], (kn2[1] - kn2[0]) / h)):
            y_td = float(s0[f"{name}_{s}"][0])
            r_td = float((s1[f"{name}_{s}"][0] - s0[f"{name}_{s}"][0]) / h)
            knots = [(t_off, y_off, rate)]
            if extra is not None:   # the rear leg: knee folds first, then the thigh swings
                for frac, vals in ((0.3, (0.5 * (y_off + extra[0]), extra[1])), (0.6, extra),
                                   (0.85, bs.rear_landing)):
                    knots.append((t_off + frac * (t_td - t_off),
                                  vals[0 if name == "thigh" else 1], None))
            knots.append((t_td, y_td, r_td))
            (th if name == "thigh" else kn)[~on] = _spline(knots)(t[~on])
        kin[f"thigh_{s}"], kin[f"knee_{s}"] = th, kn
        for name, on_value in (("foot", sp.foot_pitch), ("toes", 0.0)):
            y_td = float(s0[f"{name}_{s}"][0])
            r_td = float((s1[f"{name}_{s}"][0] - s0[f"{name}_{s}"][0]) / h)
            arr = np.full(t.size, on_value)
            arr[~on] = _spline([(t_off, on_value, 0.0), (t_td, y_td, r_td)])(t[~on])
            kin[f"{name}_{s}"] = arr
        kin[f"contact_{s}"] = on
    # trunk, arms, head: still in the set, then C1 into the first touchdown's values
    lean_td = float(lean_at(prof, 0.0))
    lean_rate = -(prof.lean[0] - prof.lean[1]) / prof.lean_tau_s
    set_values = {"lean": sp.lean, "neck": 0.9 * sp.lean, "head": sp.lean - 25.0,
                  "shoulder_L": sp.lean, "shoulder_R": sp.lean, "elbow_L": 0.0, "elbow_R": 0.0}
    td_values = {"lean": (lean_td, lean_rate), "neck": (0.5 * lean_td, 0.5 * lean_rate)}
    for name, y_set in set_values.items():
        if name in td_values:
            y_td, r_td = td_values[name]
        else:
            y_td = float(s0[name][0])
            r_td = float((s1[name][0] - s0[name][0]) / h)
        kin[name] = _spline([(t_on, y_set, 0.0), (t_td, y_td, r_td)])(np.clip(t, t_on, t_td))
    kin = {k: np.concatenate([np.asarray(kin[k], dtype=np.asarray(kin_a[k]).dtype), kin_a[k]])
           for k in kin_a}
    gt = finish(p, prof, kin, events, steps, cycle, x_end - float(hip_set[0]))
    gt.payload["start"] = {
        "set_from_s": 0.0, "movement_onset_s": t_on, "rear_block_exit_s": t_rear,
        "block_exit_s": t_exit, "first_touchdown_s": t_td,
        "front_side": "right", "rear_side": "left",
        "set_knee_flexion": {"front": kn_f, "rear": kn_r}, "set_trunk_lean": sp.lean,
        "set_hip_interior": {"front": sp.front_hip_interior, "rear": trunk_dir - th_r},
    }
    return gt


def _hip_at(hip_set, hip_exit, v_exit, t_on, t_exit, tq):
    """Hip position (2,) at time ``tq`` during the push (the path of
    :func:`simulate_block_start`)."""
    out = np.empty(2)
    for c in range(2):
        sp_c = CubicHermiteSpline([t_on, t_exit], [hip_set[c], hip_exit[c]], [0.0, v_exit[c]])
        out[c] = sp_c(np.clip(tq, t_on, t_exit))
    return out
