"""Front-side score, verdict, confidence and plain-language cues (``docs/metrics.md`` §6).

Three metrics, each mapped linearly onto 0–100 between a **back-kick prototype (0)** and a
**front-side prototype (100)** and clipped:

=================================  ===========  ============  ==========================
metric                             back (0)     front (100)   what it shows
=================================  ===========  ============  ==========================
thigh angle at peak knee flexion   −16°         +30°          heel recovered behind the
                                                              body vs. under/in front
peak thigh angle (knee lift)       55°          80°           low vs. high knee lift
step-over (ankle vs. stance knee)  −0.50 shank  +0.19 shank   foot passes low vs. over
                                                              the other knee
=================================  ===========  ============  ==========================

The prototypes are the two ends of the synthetic sprinter's style axis
(``tools/synth`` ``STYLE_KEYS``, values in the range of published max-velocity sprint
kinematics), i.e. the committed sample clips; the step-over values are what those keys
produce. A stride's score is the mean of its three sub-scores. The **clip score** is the
mean of the sub-scores of each metric's *median over strides*: per-stride values are
noisy (on MediaPipe, single strides of one clip spread by ±10° in thigh angle at peak knee
flexion, whose peak is flat-topped) and clipping each stride before averaging would bias
the mean, so each metric is first summarised robustly.

Verdict: the prototype-to-prototype scale is cut into **equal thirds**: ≥ 66.7 front-side,
≤ 33.3 back-side, else mixed. The one-third points fall on the coaching definitions: the
back-side third of the thigh metric starts at −0.7° (thigh behind vertical when the heel is
highest: the heel recovers behind the body), the front-side third of the step-over metric
at −0.04 shank lengths (ankle at the height of the other knee). A 50/50 blend of the
prototypes sits at 50, 17 points from either threshold. Toe-off extension is reported but
not scored (elite sprinters do not lock out at maximum velocity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from posecheck.gait.strides import Stride

#: metric → (back-kick prototype = 0, front-side prototype = 100)
ANCHORS = {
    "thigh_at_peak_knee_deg": (-16.0, 30.0),
    "peak_thigh_deg": (55.0, 80.0),
    "step_over_shank": (-0.50, 0.19),
}
#: verdict thresholds: equal thirds of the prototype-to-prototype scale
FRONT_SIDE_MIN = 200.0 / 3.0
BACK_SIDE_MAX = 100.0 / 3.0


def metric_at_score(name: str, score: float) -> float:
    """The value of metric ``name`` whose sub-score is ``score`` (0–100), e.g. the metric's
    back-side boundary is ``metric_at_score(name, BACK_SIDE_MAX)``."""
    lo, hi = ANCHORS[name]
    return lo + (hi - lo) * score / 100.0


@dataclass(frozen=True)
class Cue:
    """One coaching cue: ``kind`` is ``fault``, ``good`` or ``info``; ``frame``/``time_s``
    point at the frame that shows it (−1/NaN if none); ``metric`` names the stride field."""

    kind: str
    text: str
    metric: str
    value: float
    frame: int = -1
    time_s: float = float("nan")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "metric": self.metric,
                "value": None if not np.isfinite(self.value) else round(float(self.value), 3),
                "frame": self.frame,
                "time_s": None if not np.isfinite(self.time_s) else round(float(self.time_s), 4)}


@dataclass(frozen=True)
class Summary:
    """Clip verdict. ``score`` 0–100 (NaN without strides), ``verdict`` ``front-side`` |
    ``mixed`` | ``back-side`` | ``unknown``, ``confidence`` 0–1 and a label,
    ``key_metrics`` name → {value, unit} (medians over strides)."""

    score: float
    verdict: str
    confidence: float
    confidence_label: str
    n_strides: int
    key_metrics: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"verdict": self.verdict,
                "score": None if not np.isfinite(self.score) else round(self.score, 1),
                "confidence": round(self.confidence, 2), "confidence_label": self.confidence_label,
                "n_strides": self.n_strides, "key_metrics": self.key_metrics}


KEY_METRICS = {
    "peak_knee_flexion_deg": "deg", "thigh_at_peak_knee_deg": "deg", "peak_thigh_deg": "deg",
    "step_over_shank": "shank lengths", "max_heel_behind_hip_leg": "leg lengths",
    "foot_ahead_of_hip_td_leg": "leg lengths", "shank_td_deg": "deg",
    "knee_flexion_to_deg": "deg", "trunk_lean_contact_deg": "deg",
    "contact_time_s": "s", "flight_time_s": "s", "step_frequency_hz": "steps/s",
    "step_length_leg": "leg lengths", "step_length_m": "m",
    "hamstring_bflh_peak": "x upright length", "hamstring_peak_pct_swing": "% of swing",
    "hamstring_peak_pct_stride": "% of stride",
}


def sub_score(name: str, value: float) -> float:
    """Sub-score 0–100 of one metric value (linear between its prototypes, clipped; NaN in,
    NaN out)."""
    lo, hi = ANCHORS[name]
    v = float(value)
    if not math.isfinite(v):
        return float("nan")
    return min(max((v - lo) / (hi - lo), 0.0), 1.0) * 100.0


def _mean_finite(parts) -> float:
    """Mean of the finite values of ``parts`` (NaN if none); plain Python (a stride has
    three parts), summed left to right as ``np.mean`` sums so few values."""
    p = [float(x) for x in parts]
    p = [x for x in p if math.isfinite(x)]
    return sum(p) / len(p) if p else float("nan")


def stride_score(s: Stride) -> float:
    """Front-side score 0–100 of one stride: mean of its measurable sub-scores (NaN if
    none is measurable)."""
    return _mean_finite([sub_score(name, getattr(s, name)) for name in ANCHORS])


def clip_score(strides) -> float:
    """Front-side score 0–100 of a clip: mean over metrics of the sub-score of the metric's
    median over strides (NaN without a measurable metric)."""
    return _mean_finite([sub_score(name, _median(strides, name)) for name in ANCHORS])


def _median(strides, name) -> float:
    v = np.array([getattr(s, name) for s in strides], dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


def summarise(strides: tuple[Stride, ...], swap_rate: float = 0.0,
              n_quality_warnings: int = 0) -> Summary:
    """Clip score (:func:`clip_score`), verdict and confidence (see module docstring).

    Confidence (0–1): 0.3 + margin/20 (margin = score points to the nearest threshold),
    times penalties for fewer than 4 scored strides, a wide inter-quartile range of stride
    scores, a high leg-swap rate and each quality warning."""
    scores = np.array([stride_score(s) for s in strides])
    scores = scores[np.isfinite(scores)]
    meds = {k: _median(strides, k) for k in {**KEY_METRICS, **ANCHORS}}
    key = {k: {"value": None if not np.isfinite(meds[k]) else round(meds[k], 3), "unit": u}
           for k, u in KEY_METRICS.items()}
    # = clip_score(strides), from the medians already taken
    score = (_mean_finite([sub_score(name, meds[name]) for name in ANCHORS]) if scores.size
             else float("nan"))
    if not np.isfinite(score):
        return Summary(float("nan"), "unknown", 0.0, "none", 0, key)
    verdict = ("front-side" if score >= FRONT_SIDE_MIN else
               "back-side" if score <= BACK_SIDE_MAX else "mixed")
    if verdict == "mixed":
        margin = min(score - BACK_SIDE_MAX, FRONT_SIDE_MIN - score)
    else:
        margin = abs(score - (FRONT_SIDE_MIN if verdict == "front-side" else BACK_SIDE_MAX))
    conf = min(1.0, 0.3 + margin / 20.0)
    conf *= min(1.0, scores.size / 4.0)                       # few strides
    iqr = float(np.subtract(*np.percentile(scores, [75, 25]))) if scores.size > 1 else 30.0
    conf *= max(0.3, 1.0 - iqr / 60.0)                        # inconsistent strides
    conf *= max(0.3, 1.0 - 2.0 * swap_rate)                   # many leg swaps repaired
    conf *= 0.85 ** n_quality_warnings
    label = "high" if conf >= 0.7 else "medium" if conf >= 0.4 else "low"
    return Summary(score, verdict, float(conf), label, int(scores.size), key)


def _worst(strides, name, lowest=True):
    """The stride that best *shows* the typical value: the one closest to the median (a
    single extreme stride is more likely a tracking error than the athlete's habit)."""
    vals = [(getattr(s, name), s) for s in strides if np.isfinite(getattr(s, name))]
    if not vals:
        return None
    med = float(np.median([v for v, _ in vals]))
    return min(vals, key=lambda p: abs(p[0] - med))[1]


def _back_edge(name: str) -> float:
    """Metric value at the back-side threshold (a fault cue at or below it)."""
    return metric_at_score(name, BACK_SIDE_MAX)


def _front_edge(name: str) -> float:
    """Metric value at the front-side threshold (a "good" cue at or above it)."""
    return metric_at_score(name, FRONT_SIDE_MIN)


def make_cues(strides: tuple[Stride, ...], times: np.ndarray) -> tuple[Cue, ...]:
    """Faults (with the frame that shows them) and what is fine, most important first.

    A metric whose median over strides lies in the back-side third of its scale gives a
    fault, one in the front-side third a "good" cue (the same thresholds as the verdict)."""
    t = np.asarray(times, dtype=float)
    ts = lambda f: float(t[f]) if 0 <= f < t.size else float("nan")  # noqa: E731
    cues: list[Cue] = []
    if not strides:
        return ()
    th = _median(strides, "thigh_at_peak_knee_deg")
    if np.isfinite(th):
        s = _worst(strides, "thigh_at_peak_knee_deg")
        f = s.peak_knee_frame
        if th <= _back_edge("thigh_at_peak_knee_deg"):
            cues.append(Cue("fault", f"your heel recovers behind you: the {s.side} knee reaches "
                            f"{s.peak_knee_flexion_deg:.0f}° flexion while the thigh is still "
                            f"{-s.thigh_at_peak_knee_deg:.0f}° behind vertical (frame {f}, "
                            f"{ts(f):.2f} s); bring the knee forward as the heel comes up",
                            "thigh_at_peak_knee_deg", th, f, ts(f)))
        elif th >= _front_edge("thigh_at_peak_knee_deg"):
            s = _worst(strides, "thigh_at_peak_knee_deg", lowest=False)
            cues.append(Cue("good", f"the heel is recovered in front: the thigh is already "
                            f"{th:.0f}° ahead of vertical at peak knee flexion (median)",
                            "thigh_at_peak_knee_deg", th, s.peak_knee_frame, ts(s.peak_knee_frame)))
    pt = _median(strides, "peak_thigh_deg")
    if np.isfinite(pt):
        s = _worst(strides, "peak_thigh_deg")
        if pt <= _back_edge("peak_thigh_deg"):
            cues.append(Cue("fault", f"knee lift is low: the {s.side} thigh only reaches "
                            f"{s.peak_thigh_deg:.0f}° from vertical (frame {s.peak_thigh_frame}, "
                            f"{ts(s.peak_thigh_frame):.2f} s); aim for about 75–85°",
                            "peak_thigh_deg", pt, s.peak_thigh_frame, ts(s.peak_thigh_frame)))
        elif pt >= _front_edge("peak_thigh_deg"):
            cues.append(Cue("good", f"good knee lift: the thigh reaches {pt:.0f}° from vertical "
                            f"(median)", "peak_thigh_deg", pt))
    so = _median(strides, "step_over_shank")
    if np.isfinite(so):
        s = _worst(strides, "step_over_shank")
        if so <= _back_edge("step_over_shank"):
            cues.append(Cue("fault", f"no step-over: the {s.side} ankle passes "
                            f"{-s.step_over_shank:.1f} shank lengths below the other knee "
                            f"(frame {s.step_over_frame}, {ts(s.step_over_frame):.2f} s)",
                            "step_over_shank", so, s.step_over_frame, ts(s.step_over_frame)))
        elif so >= _front_edge("step_over_shank"):
            cues.append(Cue("good", "good step-over: the swing ankle passes at or above the "
                            "other knee", "step_over_shank", so))
    fa = _median(strides, "foot_ahead_of_hip_td_leg")
    if np.isfinite(fa) and fa > 0.6:
        s = _worst(strides, "foot_ahead_of_hip_td_leg", lowest=False)
        cues.append(Cue("fault", f"overstriding: the foot lands {s.foot_ahead_of_hip_td_leg:.2f} "
                        f"leg lengths ahead of the hip (frame {s.touchdown_frame}, "
                        f"{ts(s.touchdown_frame):.2f} s)", "foot_ahead_of_hip_td_leg", fa,
                        s.touchdown_frame, ts(s.touchdown_frame)))
    hp = _median(strides, "hamstring_peak_pct_swing")
    hb = _median(strides, "hamstring_bflh_peak")
    hs = _median(strides, "hamstring_peak_pct_stride")
    if np.isfinite(hp) and np.isfinite(hb):
        s = _worst(strides, "hamstring_bflh_peak", lowest=False)
        of_stride = f", {hs:.0f}% of the stride" if np.isfinite(hs) else ""
        cues.append(Cue("info", f"hamstring stretch peaks at {hp:.0f}% of the swing{of_stride} "
                        f"(late swing), "
                        f"biceps femoris about {100 * (hb - 1):.0f}% longer than standing; most "
                        f"at frame {s.hamstring_peak_frame}", "hamstring_bflh_peak", hb,
                        s.hamstring_peak_frame, ts(s.hamstring_peak_frame)))
    kt = _median(strides, "knee_flexion_to_deg")
    if np.isfinite(kt):
        cues.append(Cue("info", f"knee flexion at toe-off {kt:.0f}° (median); at top speed the "
                        f"leg need not lock out", "knee_flexion_to_deg", kt))
    order = {"fault": 0, "good": 1, "info": 2}
    return tuple(sorted(cues, key=lambda c: order[c.kind]))
