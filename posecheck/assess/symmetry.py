"""Left and right side by side, and the hamstring model's estimate per leg
(``docs/metrics.md`` §6).

A sprinter's complaint is often one-sided (a right hamstring), so each key metric is given
per leg (median over that leg's strides), with the difference right − left and the symmetry
angle θ_SYM (Zifchock et al. 2008; 0 % = symmetric) where the metric is positive. A
difference is flagged when it exceeds the metric's between-stride spread (pooled standard
deviation of each leg's strides): larger than the stride-to-stride scatter, so worth a
look; never below the measurement's resolution (:func:`resolution`: 2° for angles, half a
frame or 3 % for times, 3 % otherwise), where a near-perfect clip's tiny scatter would flag
the camera's near and far leg. Flagged is not a fault: trained sprinters show kinematic asymmetries up to ~7 % that
are unrelated to performance (Exell et al. 2017).
"""

from __future__ import annotations

import math

import numpy as np

from posecheck.gait.strides import Stride

LR_METRICS = ("hip_flexion_at_peak_knee_deg", "peak_knee_flexion_deg", "peak_thigh_deg",
              "knee_flexion_to_deg", "contact_time_s", "flight_time_s", "step_length_leg",
              "foot_ahead_of_hip_td_leg", "thigh_forward_velocity_dps",
              "thigh_backward_velocity_dps", "hamstring_bflh_peak",
              "hamstring_peak_lengthening_per_s")


def _values(strides, side: str, name: str) -> np.ndarray:
    v = np.array([getattr(s, name) for s in strides if s.side == side], dtype=float)
    return v[np.isfinite(v)]


def symmetry_angle(left: float, right: float) -> float:
    """θ_SYM in % (Zifchock et al. 2008): (45° − atan(left/right)) / 90° × 100; 0 =
    symmetric, ± up to 100; NaN unless both are positive."""
    if not (left > 0 and right > 0):
        return float("nan")
    return (45.0 - math.degrees(math.atan(left / right))) / 90.0 * 100.0


def resolution(name: str, value: float, frame_s: float) -> float:
    """The smallest left/right difference of metric ``name`` (typical size ``value``) that
    is flagged, whatever the scatter: 2° for angles, max(half a frame ``frame_s``, 3 %) for
    times, 3 % of the value otherwise."""
    if name.endswith("_deg"):
        return 2.0
    rel = 0.03 * abs(value)
    return max(0.5 * frame_s, rel) if name.endswith("_s") else rel


def left_right(strides: tuple[Stride, ...], frame_s: float = 0.0) -> dict:
    """metric → {left, right, difference (right − left), symmetry_pct, spread, flagged,
    strides: [n_left, n_right]}; metrics measured on fewer than 2 strides of a leg are
    left out. ``frame_s``: the clip's frame interval (s)."""
    out = {}
    for name in LR_METRICS:
        lv, rv = _values(strides, "left", name), _values(strides, "right", name)
        if lv.size < 2 or rv.size < 2:
            continue
        ml, mr = float(np.median(lv)), float(np.median(rv))
        pooled = math.sqrt(((lv.size - 1) * lv.var(ddof=1) + (rv.size - 1) * rv.var(ddof=1))
                           / (lv.size + rv.size - 2))
        diff = mr - ml
        out[name] = {"left": round(ml, 4), "right": round(mr, 4), "difference": round(diff, 4),
                     "symmetry_pct": _round(symmetry_angle(ml, mr), 2),
                     "spread": round(pooled, 4),
                     "flagged": bool(abs(diff) > max(pooled, resolution(name, 0.5 * (ml + mr),
                                                                         frame_s))),
                     "strides": [int(lv.size), int(rv.size)]}
    return out


#: near- and far-foot touchdowns are timed with different biases (6.5 ms on a simulated jog
#: with exact landmarks at 240 fps, tests/gait/test_cadence.py; more with a pose model's far
#: foot), which shifts one foot's steps longer and the other's shorter by that much
TOUCHDOWN_BIAS_S = 0.010


def cadence_by_leg(cadence: dict | None, frame_s: float = 0.0) -> dict:
    """The left/right row of the fitted step frequency (:mod:`posecheck.gait.cadence`):
    the frequency of the steps ending with each foot's touchdown; ``spread`` is the fit's
    standard error (steps/s). Flagged only when the two step times differ by more than
    twice that error, 3 %, a frame (``frame_s``) and twice :data:`TOUCHDOWN_BIAS_S`: a
    per-foot timing bias of the touchdowns splits the step times without any limp. ``{}`` without
    a fit."""
    if not cadence:
        return {}
    ml, mr = cadence["left_step_frequency_hz"], cadence["right_step_frequency_hz"]
    if ml is None or mr is None:
        return {}
    mean = 0.5 * (ml + mr)
    se = (cadence["standard_error_pct"] or 0.0) / 100.0 * mean
    diff = mr - ml
    return {"step_frequency_hz": {
        "left": round(ml, 4), "right": round(mr, 4), "difference": round(diff, 4),
        "symmetry_pct": _round(symmetry_angle(ml, mr), 2), "spread": round(se, 4),
        "flagged": bool(abs(1.0 / ml - 1.0 / mr) > max(2.0 * se / mean**2,
                                                       0.03 / mean, frame_s,
                                                       2.0 * TOUCHDOWN_BIAS_S)),
        "strides": [cadence["n_touchdowns"]] * 2}}


def hamstring_by_leg(strides: tuple[Stride, ...]) -> dict:
    """Per leg, the biceps femoris model estimate: peak stretch (% above upright), its
    timing (% of the stride), peak lengthening velocity (upright lengths/s), the time per
    swing in the heel-to-glute posture (knee flexed beyond 120°, s), with the
    published reference (Thelen et al. 2005: 9.5 % in late swing). A model estimate, never
    an injury or cramp risk (Miller et al. 2010: the cause of cramps is unknown)."""
    out = {"reference": {"bflh_peak_pct": 9.5, "timing": "late swing, about 90% of the stride",
                         "source": "Thelen et al. 2005; Chumanov et al. 2011"},
           "note": "model estimate (Delp et al. 1990 leg model); not an injury or cramp risk"}
    for side in ("left", "right"):
        peak = _values(strides, side, "hamstring_bflh_peak")
        when = _values(strides, side, "hamstring_peak_pct_stride")
        speed = _values(strides, side, "hamstring_peak_lengthening_per_s")
        folded = _values(strides, side, "heel_glute_time_s")
        if not peak.size:
            continue
        out[side] = {"bflh_peak_pct": round(100.0 * (float(np.median(peak)) - 1.0), 2),
                     "peak_pct_stride": _round(float(np.median(when)) if when.size else math.nan, 1),
                     "peak_lengthening_per_s": _round(float(np.median(speed)) if speed.size
                                                      else math.nan, 3),
                     "heel_glute_time_s": _round(float(np.median(folded)) if folded.size
                                                 else math.nan, 3),
                     "strides": int(peak.size)}
    return out


def _round(v: float, digits: int):
    return None if not math.isfinite(v) else round(v, digits)
