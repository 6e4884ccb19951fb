"""Which part of a sprint each stride shows, and what the clip is (``docs/metrics.md`` §6).

Max-velocity norms (foot landing ahead of the hip, an upright trunk, knee lift) do not
apply while a sprinter accelerates, and a jog is not a sprint. Each stride gets a label from
what the clip shows at its touchdown:

* ``acceleration``: the trunk leans more than :data:`ACCEL_LEAN_DEG` (the S-MAS limit at
  top speed, Bramah et al. 2024) **and** either the foot lands **behind** the hip (before
  Nagahara et al. 2014's first transition the foot lands behind the centre of mass; median
  of the stride and its two neighbours) or the trunk is still rising over the next strides.
  An upright runner whose foot reads behind the hip has a misplaced foot or touchdown, not
  an acceleration stride;
* ``transition``: the foot lands ahead of the hip but the posture is still changing (trunk
  lean falling by more than :data:`POSTURE_SLOPE_DEG` per stride: Nagahara's second
  transition, where posture stops changing, is not reached yet; von Lieres und Wilkau et al.
  2020 find the phases in such step-to-step changes of trunk and shank angles);
* ``max_velocity``: otherwise. Only these strides are judged by the max-velocity style.

The clip is ``not_sprinting`` when its upright strides spend longer on the ground than in
the air and contacts last at least :data:`RUNNING_CONTACT_S` (running below ~7 m/s: flight
is shorter than contact, contact ≈ 0.18 s at 5.6 m/s; van Oeveren et al. 2021; sprinters at
top speed: contact ≈ 0.09 s, flight longer); ``acceleration`` when it has no max-velocity
stride; ``max_velocity`` otherwise; ``unknown`` when its time base is not real (a slowed
clip, :mod:`posecheck.assess.timing`) or it has no stride.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from posecheck.assess.verdict import median_of
from posecheck.gait.strides import Stride

PHASES = ("acceleration", "transition", "max_velocity")
ACCEL_LEAN_DEG = 15.0
POSTURE_SLOPE_DEG = 1.0
RUNNING_CONTACT_S = 0.15
#: strides on each side of a stride whose trunk lean gives its local trend
TREND_HALF = 2


def _lean_slopes(lean: np.ndarray) -> np.ndarray:
    """Per stride, the slope (deg per stride) of a line through the trunk leans of the
    strides within :data:`TREND_HALF` of it (NaN leans left out; 0 with fewer than 3)."""
    n = lean.size
    out = np.zeros(n)
    for k in range(n):
        idx = np.arange(max(0, k - TREND_HALF), min(n, k + TREND_HALF + 1))
        idx = idx[np.isfinite(lean[idx])]
        if idx.size >= 3:
            out[k] = np.polyfit(idx.astype(float), lean[idx], 1)[0]
    return out


def _running_median(x: np.ndarray) -> np.ndarray:
    """Median of each value and its two neighbours (NaN left out): one stride whose foot
    the pose model misplaced does not make an acceleration stride."""
    out = x.copy()
    for k in range(x.size):
        w = x[max(0, k - 1): k + 2]
        w = w[np.isfinite(w)]
        out[k] = np.median(w) if w.size else np.nan
    return out


def label_phases(strides: tuple[Stride, ...]) -> tuple[Stride, ...]:
    """The strides with ``phase`` set (module docstring), in their original order."""
    if not strides:
        return ()
    order = sorted(range(len(strides)), key=lambda i: strides[i].touchdown_s)
    lean = np.array([strides[i].trunk_lean_td_deg for i in order], dtype=float)
    ahead = _running_median(np.array([strides[i].foot_ahead_of_hip_td_leg for i in order],
                                     dtype=float))
    slope = _lean_slopes(lean)
    labels = {}
    for k, i in enumerate(order):
        behind = np.isfinite(ahead[k]) and ahead[k] < 0.0
        rising = slope[k] < -POSTURE_SLOPE_DEG
        leaning = np.isfinite(lean[k]) and lean[k] > ACCEL_LEAN_DEG
        if leaning and (behind or rising):
            labels[i] = "acceleration"
        elif rising:
            labels[i] = "transition"
        else:
            labels[i] = "max_velocity"
    return tuple(replace(s, phase=labels[i]) for i, s in enumerate(strides))


def clip_phase(strides: tuple[Stride, ...], slowed: bool = False) -> tuple[str, dict]:
    """``(phase, counts)``: the clip's phase (module docstring) and strides per label."""
    counts = {p: sum(s.phase == p for s in strides) for p in PHASES}
    if slowed or not strides:
        return "unknown", counts
    upright = [s for s in strides if s.phase in ("transition", "max_velocity")]
    if upright:
        ct, ft = median_of(upright, "contact_time_s"), median_of(upright, "flight_time_s")
        if np.isfinite(ct) and np.isfinite(ft) and ct >= RUNNING_CONTACT_S and ft < ct:
            return "not_sprinting", counts
    if counts["max_velocity"] >= 2:
        return "max_velocity", counts
    return ("acceleration" if counts["acceleration"] + counts["transition"] else "unknown"), counts
