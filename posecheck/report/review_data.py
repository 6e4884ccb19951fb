"""Plain-language views of the verdict, cues and strides, shared by the app and the report.

No Streamlit here: :mod:`posecheck.ui.st_review` draws these rows with Streamlit widgets,
:mod:`posecheck.report.html_report` as static HTML.
"""

from __future__ import annotations

import numpy as np

from posecheck.types import Analysis
from posecheck.report.frames import KeyFrame

#: verdict -> (headline, colour, one-line meaning)
VERDICT_TEXT = {
    "front-side": ("Front-side style", "#2e9e55",
                   "the heel is recovered in front of the trunk line (a style, not a grade)"),
    "back-side": ("Back-side style (back kicking)", "#c62828",
                  "the heel comes up behind the trunk line while the thigh stays back"),
    "mixed": ("Mixed style", "#e08a00",
              "the thigh is about on the trunk line when the heel is highest"),
    "unknown": ("No style verdict", "#5a6270",
                "no max-velocity stride was measured (too short, the feet were not seen, "
                "acceleration or steady running only)"),
}
#: summary.phase -> why there is or is not a verdict
PHASE_TEXT = {
    "max_velocity": "maximum-velocity strides",
    "acceleration": "acceleration only: max-velocity norms do not apply",
    "not_sprinting": "steady running, not sprinting",
    "unknown": "phase not determined",
}
#: cue kind -> (Streamlit markdown badge, word); the badge uses Streamlit's bundled
#: Material icons (no emoji font needed)
CUE_KIND = {"fault": (":red[:material/error: **Fix**]", "Fix"),
            "good": (":green[:material/check_circle: **Good**]", "Good"),
            "info": (":gray[:material/info: **Info**]", "Info")}

#: stride table: (header, Stride field or "score", format)
STRIDE_COLUMNS = (
    ("Leg", "side", "{}"),
    ("Toe-off (s)", "toe_off_s", "{:.2f}"),
    ("Touchdown (s)", "touchdown_s", "{:.2f}"),
    ("Phase", "phase", "{}"),
    ("Front-side index", "score", "{:.0f}"),
    ("Thigh vs trunk at peak knee (°)", "hip_flexion_at_peak_knee_deg", "{:+.0f}"),
    ("Thigh at peak knee (°)", "thigh_at_peak_knee_deg", "{:+.0f}"),
    ("Peak thigh (°)", "peak_thigh_deg", "{:.0f}"),
    ("Step-over (shank)", "step_over_shank", "{:+.2f}"),
    ("Peak knee flexion (°)", "peak_knee_flexion_deg", "{:.0f}"),
    ("Knee at toe-off (°)", "knee_flexion_to_deg", "{:.0f}"),
    ("Contact (s)", "contact_time_s", "{:.3f}"),
    ("Flight (s)", "flight_time_s", "{:.3f}"),
    ("Step length (leg)", "step_length_leg", "{:.2f}"),
)

#: summary.key_metrics name -> plain label
KEY_METRIC_LABELS = {
    "hip_flexion_at_peak_knee_deg": "Thigh vs trunk line at peak knee flexion",
    "thigh_at_peak_knee_deg": "Thigh angle at peak knee flexion",
    "thigh_separation_td_deg": "Thigh separation at touchdown",
    "trunk_lean_td_deg": "Trunk lean at touchdown",
    "thigh_forward_velocity_dps": "Peak forward thigh angular velocity",
    "thigh_backward_velocity_dps": "Peak backward thigh angular velocity",
    "shin_above_parallel_mvp_deg": "Trailing shin above horizontal at mid-flight",
    "peak_thigh_deg": "Peak thigh angle (knee lift)",
    "step_over_shank": "Step-over height",
    "peak_knee_flexion_deg": "Peak knee flexion in swing",
    "max_heel_behind_hip_leg": "Heel furthest behind the hip",
    "foot_ahead_of_hip_td_leg": "Foot ahead of the hip at touchdown",
    "shank_td_deg": "Shank angle at touchdown",
    "knee_flexion_to_deg": "Knee flexion at toe-off",
    "trunk_lean_contact_deg": "Trunk lean in contact",
    "contact_time_s": "Contact time",
    "flight_time_s": "Flight time",
    "step_frequency_hz": "Step frequency",
    "step_length_leg": "Step length",
    "step_length_m": "Step length",
    "hamstring_bflh_peak": "Hamstring (BFlh) peak length",
    "hamstring_peak_pct_swing": "Hamstring peak, time in swing",
    "hamstring_peak_pct_stride": "Hamstring peak, time in stride",
}


def verdict_view(analysis: Analysis) -> dict:
    """Headline, colour, meaning, score text, confidence text and stride count."""
    s = analysis.summary
    verdict = getattr(s, "verdict", "unknown") if s is not None else "unknown"
    head, colour, meaning = VERDICT_TEXT.get(verdict, VERDICT_TEXT["unknown"])
    score = getattr(s, "score", float("nan")) if s is not None else float("nan")
    conf = getattr(s, "confidence", 0.0) if s is not None else 0.0
    label = getattr(s, "confidence_label", "none") if s is not None else "none"
    phase = getattr(s, "phase", "unknown") if s is not None else "unknown"
    if verdict == "unknown" and phase in ("acceleration", "not_sprinting"):
        meaning = PHASE_TEXT[phase]
    return {
        "verdict": verdict, "headline": head, "colour": colour, "meaning": meaning,
        "phase": PHASE_TEXT.get(phase, phase),
        "score": "–" if not np.isfinite(score) else f"{score:.0f} / 100",
        "confidence": f"{label} ({conf:.0%})" if label != "none" else "none",
        "confidence_label": label.capitalize(), "confidence_pct": f"{conf:.0%}",
        "n_strides": int(getattr(s, "n_strides", 0) or 0) if s is not None else 0,
        "start": start_text(getattr(s, "start", None) if s is not None else None),
        "cadence": cadence_text(getattr(s, "cadence", None) if s is not None else None),
    }


def start_text(start) -> str:
    """One line on a crouch start (:class:`posecheck.gait.start.BlockStart`), "" if none:
    the set interval, block exit and the set posture as interior knee angles (the
    published set-position values are interior angles, Harland & Steele 1997)."""
    if start is None:
        return ""
    d = start.to_dict()
    angles = []
    for key, label in (("set_front_knee_angle_deg", "front knee"),
                       ("set_rear_knee_angle_deg", "rear knee")):
        if d[key] is not None:
            angles.append(f"{label} {d[key]:.0f}°")
    if d["set_trunk_lean_deg"] is not None:
        tilt = d["set_trunk_lean_deg"] - 90.0   # > 0: shoulders below the hips
        angles.append(f"trunk {abs(tilt):.0f}° {'down' if tilt >= 0 else 'up'} from "
                      f"horizontal towards the head")
    posture = f" ({', '.join(angles)}; {start.front_side} foot in front)" if angles else ""
    return (f"crouch start: set position {d['set_from_s']:.2f}–{d['set_to_s']:.2f} s{posture}, "
            f"out of the blocks at {d['block_exit_s']:.2f} s; no step is counted in the blocks "
            f"(set knees ≈ 90° front, 130° rear in Harland & Steele 1997; sprinters use a wide "
            f"range, so the set is shown, not judged)")


def cadence_text(cadence: dict | None) -> str:
    """One line on the clip's fitted step frequency (``summary.cadence``, see
    :mod:`posecheck.gait.cadence`), "" without a fit: the value, how many touchdowns the
    line went through and the fit's standard error (omitted when it is unknown)."""
    if not cadence or cadence.get("step_frequency_hz") is None:
        return ""
    se = cadence.get("standard_error_pct")
    spread = f", ±{se:.1f} %" if se is not None and np.isfinite(se) else ""
    return (f"step frequency: {cadence['step_frequency_hz']:.2f} steps/s (a line through "
            f"{cadence['n_touchdowns']} touchdowns{spread})")


def cue_text(cue) -> str:
    """The cue's text with its first letter capitalised and its source in brackets."""
    t = str(cue.text)
    src = getattr(cue, "source", "")
    return t[:1].upper() + t[1:] + (f" [{src}]" if src else "")


def cue_frames(analysis: Analysis) -> list[KeyFrame]:
    """One key frame per cue that points at a frame (caption = the cue text)."""
    n = analysis.pose.n_frames
    out = []
    for i, c in enumerate(analysis.cues):
        if 0 <= int(c.frame) < n:
            icon, word = CUE_KIND.get(c.kind, ("", c.kind))
            out.append(KeyFrame(row=int(c.frame), caption=f"{word}: {cue_text(c)}",
                                kind=f"cue_{i}_{c.metric}"))
    return out


def stride_rows(analysis: Analysis) -> list[dict]:
    """The stride table as display strings, one dict per stride (header → text)."""
    from posecheck.assess.verdict import stride_score

    rows = []
    for i, s in enumerate(analysis.strides, start=1):
        row = {"#": str(i)}
        for head, name, fmt in STRIDE_COLUMNS:
            v = stride_score(s, analysis.pose.model) if name == "score" else getattr(s, name)
            if isinstance(v, str):
                row[head] = v.replace("_", " ").capitalize()
            else:
                row[head] = "–" if v is None or not np.isfinite(v) else fmt.format(v)
        rows.append(row)
    return rows


def key_metric_rows(analysis: Analysis) -> list[tuple[str, str]]:
    """``(label, "value unit")`` of the summary's key metrics (medians over strides)."""
    s = analysis.summary
    if s is None:
        return []
    out = []
    for name, d in (getattr(s, "key_metrics", {}) or {}).items():
        v = d.get("value") if isinstance(d, dict) else d
        if v is None:
            continue
        unit = d.get("unit", "") if isinstance(d, dict) else ""
        unit = {"deg": "°"}.get(unit, unit)
        val = f"{v:.3g}" if abs(v) < 10 else f"{v:.0f}"
        out.append((KEY_METRIC_LABELS.get(name, name.replace("_", " ")),
                    f"{val}{unit}" if unit == "°" else f"{val} {unit}"))
    return out


def left_right_rows(analysis: Analysis) -> list[dict]:
    """The summary's left/right comparison as display strings, one dict per metric
    (Metric, Left, Right, Right − left, Flag)."""
    s = analysis.summary
    lr = getattr(s, "left_right", {}) if s is not None else {}
    units = getattr(s, "key_metrics", {}) if s is not None else {}
    rows = []
    for name, d in (lr or {}).items():
        unit = {"deg": "°"}.get(units.get(name, {}).get("unit", ""), "")
        fmt = (lambda v: f"{v:.3g}{unit}") if abs(d["left"]) < 10 else (lambda v: f"{v:.0f}{unit}")
        rows.append({"Metric": KEY_METRIC_LABELS.get(name, name.replace("_", " ")),
                     "Left": fmt(d["left"]), "Right": fmt(d["right"]),
                     "Right − left": fmt(d["difference"]),
                     "Flag": "beyond stride scatter" if d["flagged"] else ""})
    return rows
