"""Plain-language cues with the frame that shows them and the source they rest on
(``docs/metrics.md`` §6, references §9).

* **faults** only where a published definition or criterion is crossed by more than the
  pose model's known error: the back-side heel recovery (Mann 1986's definition, the
  style of :mod:`posecheck.assess.verdict`) and the touchdown items of the Sprint Mechanics
  Assessment Score (Bramah et al. 2024: trunk lean > 15°, ankle ahead of the knee, thighs
  > 20° apart), in max-velocity strides only;
* **info** where only published values exist (knee lift, contact time, touchdown distance,
  thigh angular velocity, the hamstring model), shown next to them, and where a value sits
  within the model's error of a criterion (posecheck says it cannot tell);
* acceleration and steady-running clips get their own information and no max-velocity
  fault.
"""

from __future__ import annotations

import numpy as np

from posecheck.assess.norms import CRITERION_ERROR, cite
from posecheck.assess.verdict import (BACK_SIDE_MAX, FRONT_SIDE_MIN, STYLE_METRIC, Cue,
                                      front_side_index, judged, median_of, style_sigma,
                                      typical)
from posecheck.gait.strides import Stride

#: S-MAS touchdown criteria (Bramah et al. 2024): metric → (limit, fault above (+1) or below (−1))
SMAS_TOUCHDOWN = {"trunk_lean_td_deg": (15.0, +1), "shank_td_deg": (0.0, -1),
                  "thigh_separation_td_deg": (20.0, +1)}


def make_cues(strides: tuple[Stride, ...], times: np.ndarray, model: str = "full",
              phase: str = "max_velocity") -> tuple[Cue, ...]:
    """Faults first, then what is fine, then information (see module docstring)."""
    t = np.asarray(times, dtype=float)
    at = lambda f: float(t[f]) if 0 <= f < t.size else float("nan")  # noqa: E731
    if not strides:
        return ()
    if phase == "not_sprinting":
        return _steady_running(strides)
    if phase == "acceleration":
        return _acceleration(strides)
    mv = judged(strides)
    if not mv:
        return ()
    cues = _style(mv, model, at) + _touchdown(mv, model, at) + _reference_info(mv)
    order = {"fault": 0, "good": 1, "info": 2}
    return tuple(sorted(cues, key=lambda c: order[c.kind]))


def _style(mv, model: str, at) -> list[Cue]:
    med = median_of(mv, STYLE_METRIC)
    if not np.isfinite(med):
        return []
    n = int(np.isfinite([getattr(s, STYLE_METRIC) for s in mv]).sum())
    index = front_side_index(med, model, n)
    s = typical(mv, STYLE_METRIC)
    f = s.peak_knee_frame
    src = cite(STYLE_METRIC)
    if index <= BACK_SIDE_MAX:
        return [Cue("fault", f"the heel comes up behind you: when the {s.side} heel is highest "
                    f"the thigh is {-s.hip_flexion_at_peak_knee_deg:.0f}° behind the line of the "
                    f"trunk (frame {f}, {at(f):.2f} s; median {-med:.0f}°). Front-side mechanics "
                    f"bring the knee in front of the trunk line as the heel comes up",
                    STYLE_METRIC, med, f, at(f), src)]
    if index >= FRONT_SIDE_MIN:
        return [Cue("good", f"the heel is recovered in front: the thigh is {med:.0f}° in front of "
                    f"the trunk line when the heel is highest (median): front-side mechanics",
                    STYLE_METRIC, med, f, at(f), src)]
    return [Cue("info", f"when the heel is highest the thigh is about on the trunk line "
                f"({med:+.0f}°, within the pose model's ±{style_sigma(model, n):.0f}°): neither "
                f"clearly front- nor back-side", STYLE_METRIC, med, f, at(f), src)]


def _touchdown(mv, model: str, at) -> list[Cue]:
    cues = []
    words = {
        "trunk_lean_td_deg": ("leaning forward at touchdown: the trunk is {v:.0f}° from vertical",
                              "S-MAS flags more than 15° at top speed"),
        "shank_td_deg": ("reaching with the shin at touchdown: the ankle lands {w:.0f}° ahead of "
                         "the knee", "S-MAS flags an ankle ahead of the knee"),
        "thigh_separation_td_deg": ("the thighs are {v:.0f}° apart at touchdown",
                                    "S-MAS flags more than 20°"),
    }
    for name, (limit, sign) in SMAS_TOUCHDOWN.items():
        med = median_of(mv, name)
        if not np.isfinite(med):
            continue
        err = CRITERION_ERROR[name].get(model, CRITERION_ERROR[name]["full"])
        beyond = sign * (med - limit)
        what, rule = words[name]
        s = typical(mv, name)
        f = s.touchdown_frame
        text = what.format(v=med, w=-med)
        if beyond > err:
            cues.append(Cue("fault", f"{text} (median; frame {f}, {at(f):.2f} s); {rule}",
                            name, med, f, at(f), cite(name)))
        elif beyond > -err and name != "shank_td_deg":
            cues.append(Cue("info", f"{text} (median): {rule}, but this reading is within the "
                            f"pose model's error (±{err:.0f}°) of it, so posecheck cannot tell",
                            name, med, f, at(f), cite(name)))
    return cues


def _reference_info(mv) -> list[Cue]:
    """Metrics with published values only: shown next to them, never faulted."""
    out = []
    pt = median_of(mv, "peak_thigh_deg")
    if np.isfinite(pt):
        out.append(Cue("info", f"knee lift: the thigh reaches {pt:.0f}° from vertical (median); "
                       f"world-class sprinters 65–70°, and knee lift is not related to top "
                       f"speed", "peak_thigh_deg", pt, source=cite("peak_thigh_deg")))
    ct = median_of(mv, "contact_time_s")
    if np.isfinite(ct):
        out.append(Cue("info", f"contact {ct:.3f} s (median); world-class 0.086–0.09 s, and "
                       f"shorter contacts go with faster sprinting", "contact_time_s", ct,
                       source=cite("contact_time_s")))
    fa = median_of(mv, "foot_ahead_of_hip_td_leg")
    if np.isfinite(fa):
        out.append(Cue("info", f"the foot lands {fa:.2f} leg lengths ahead of the hip (median); "
                       f"Gay and Powell landed 0.31 m (about 0.35 leg lengths) ahead of the "
                       f"centre of mass, and it barely separates levels",
                       "foot_ahead_of_hip_td_leg", fa, source=cite("foot_ahead_of_hip_td_leg")))
    fw, bw = median_of(mv, "thigh_forward_velocity_dps"), median_of(mv, "thigh_backward_velocity_dps")
    if np.isfinite(fw) and np.isfinite(bw):
        out.append(Cue("info", f"the thigh swings forward at up to {fw:.0f}°/s and back at up to "
                       f"{bw:.0f}°/s (median of each swing's peak); faster thigh rotation goes "
                       f"with faster running, no norms are published",
                       "thigh_forward_velocity_dps", fw, source=cite("thigh_forward_velocity_dps")))
    hb, hs = median_of(mv, "hamstring_bflh_peak"), median_of(mv, "hamstring_peak_pct_stride")
    if np.isfinite(hb):
        s = typical(mv, "hamstring_bflh_peak")
        when = f" at {hs:.0f}% of the stride" if np.isfinite(hs) else ""
        out.append(Cue("info", f"model estimate: the biceps femoris stretch peaks{when}, about "
                       f"{100 * (hb - 1):.0f}% longer than standing (published: 9.5% in late "
                       f"swing, about 90% of the stride); an estimate, not an injury risk; "
                       f"most at frame {s.hamstring_peak_frame}", "hamstring_bflh_peak", hb,
                       s.hamstring_peak_frame, source=cite("hamstring_bflh_peak")))
    kt = median_of(mv, "knee_flexion_to_deg")
    if np.isfinite(kt):
        out.append(Cue("info", f"knee flexion at toe-off {kt:.0f}° (median); at top speed "
                       f"sprinters do not lock the knee out", "knee_flexion_to_deg", kt,
                       source=cite("knee_flexion_to_deg")))
    return out


def _acceleration(strides) -> tuple[Cue, ...]:
    """Acceleration clip: its own metrics, no max-velocity fault."""
    out = []
    lean = median_of(strides, "trunk_lean_td_deg")
    if np.isfinite(lean):
        out.append(Cue("info", f"acceleration: the trunk leans {lean:.0f}° forward at touchdown "
                       f"(median); it rises towards upright over the first 10–30 m",
                       "trunk_lean_td_deg", lean, source="Debaere et al. 2013; Nagahara et al. 2014"))
    sh = median_of(strides, "shank_td_deg")
    if np.isfinite(sh):
        out.append(Cue("info", f"acceleration: the shin is {sh:.0f}° from vertical at touchdown "
                       f"(median, + = knee ahead of the ankle)", "shank_td_deg", sh))
    ct = median_of(strides, "contact_time_s")
    if np.isfinite(ct):
        out.append(Cue("info", f"acceleration: contact {ct:.3f} s (median); the first contact "
                       f"after the blocks lasts about 0.21 s in world-class men, about 0.09 s at "
                       f"top speed", "contact_time_s", ct, source="Ciacci et al. 2017"))
    return tuple(out)


def _steady_running(strides) -> tuple[Cue, ...]:
    ct, ft = median_of(strides, "contact_time_s"), median_of(strides, "flight_time_s")
    sf = median_of(strides, "step_frequency_hz")
    return (Cue("info", f"steady running, not sprinting: contact {ct:.2f} s is longer than flight "
                f"{ft:.2f} s at {sf:.1f} steps/s (sprinters spend longer in the air than on "
                f"the ground above about 7 m/s); no sprint style verdict is given",
                "contact_time_s", ct, source="van Oeveren et al. 2021"),)
