"""Style verdict (front-side / mixed / back-side), its confidence and the clip summary
(``docs/metrics.md`` §6).

**A style, by definition, not a grade.** Mann (1986) calls the leg action in front of the
line through the trunk *front-side* and behind it *back-side*; Haugen et al. (2018) found no
front-side or back-side variable related to maximal sprint velocity, so posecheck describes
which style the athlete runs with and never scores it as good or bad. The instant that tells
the styles apart is the one the "back kick" is about: when the heel comes highest (peak knee
flexion in swing), is the thigh in front of the trunk line or behind it? That signed angle,
``hip_flexion_at_peak_knee_deg`` (0 = on the trunk line), is the style metric; its boundary
is the definition's own (0), not a fitted norm.

**Front-side index** (0–100): the probability, given the pose model's known error on this
metric (:data:`posecheck.assess.norms.STYLE_ERROR`: per-stride scatter and bias), that the
athlete's true value lies in front of the trunk line: 100 · Φ(median / σ), σ² = bias² +
(1.25 · mean |error|)² / strides. Per stride the same with one stride. Verdict: front-side
style ≥ 66.7, back-side style ≤ 33.3, mixed in between (the value is then within about
0.4 σ of the trunk line: the model cannot tell).

Only max-velocity strides are judged (:mod:`posecheck.assess.phase`); a clip of
acceleration strides or of steady running gets its phase and metrics, and no style verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from posecheck.assess.norms import STYLE_ERROR
from posecheck.gait.cadence import Cadence, fit_cadence
from posecheck.gait.start import BlockStart
from posecheck.gait.strides import Stride

STYLE_METRIC = "hip_flexion_at_peak_knee_deg"
#: verdict thresholds on the front-side index
FRONT_SIDE_MIN = 200.0 / 3.0
BACK_SIDE_MAX = 100.0 / 3.0
#: phases whose strides are judged by the max-velocity style (``""`` = not labelled)
JUDGED_PHASES = ("max_velocity", "")
#: fewer max-velocity strides than this: no verdict
MIN_STRIDES = 2

KEY_METRICS = {
    "hip_flexion_at_peak_knee_deg": "deg", "thigh_at_peak_knee_deg": "deg",
    "peak_knee_flexion_deg": "deg", "peak_thigh_deg": "deg",
    "step_over_shank": "shank lengths", "max_heel_behind_hip_leg": "leg lengths",
    "foot_ahead_of_hip_td_leg": "leg lengths", "shank_td_deg": "deg",
    "thigh_separation_td_deg": "deg", "trunk_lean_td_deg": "deg",
    "knee_flexion_to_deg": "deg", "trunk_lean_contact_deg": "deg",
    "contact_time_s": "s", "flight_time_s": "s", "step_frequency_hz": "steps/s",
    "step_length_leg": "leg lengths", "step_length_m": "m",
    "thigh_forward_velocity_dps": "deg/s", "thigh_backward_velocity_dps": "deg/s",
    "shin_above_parallel_mvp_deg": "deg",
    "hamstring_bflh_peak": "x upright length", "hamstring_peak_pct_swing": "% of swing",
    "hamstring_peak_pct_stride": "% of stride",
}


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def style_sigma(model: str, n_strides: int = 1) -> float:
    """σ (deg) of the style metric measured by ``model`` as the median of ``n_strides``."""
    mae, bias = STYLE_ERROR.get(model, STYLE_ERROR["full"])
    return math.sqrt(bias * bias + (1.25 * mae) ** 2 / max(1, n_strides))


def front_side_index(value: float, model: str = "full", n_strides: int = 1) -> float:
    """100 · Φ(value / σ) (module docstring); NaN in, NaN out."""
    v = float(value)
    if not math.isfinite(v):
        return float("nan")
    return 100.0 * _phi(v / style_sigma(model, n_strides))


def stride_score(s: Stride, model: str = "full") -> float:
    """Front-side index 0–100 of one stride (NaN if its style metric was not measured)."""
    return front_side_index(getattr(s, STYLE_METRIC), model, 1)


def judged(strides) -> tuple[Stride, ...]:
    """The strides the max-velocity style is judged on."""
    return tuple(s for s in strides if s.phase in JUDGED_PHASES)


def median_of(strides, name: str) -> float:
    v = np.array([getattr(s, name) for s in strides], dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


@dataclass(frozen=True)
class Cue:
    """One coaching cue: ``kind`` is ``fault``, ``good`` or ``info``; ``frame``/``time_s``
    point at the frame that shows it (−1/NaN if none); ``metric`` names the stride field;
    ``source`` the published basis (short citation, empty if none)."""

    kind: str
    text: str
    metric: str
    value: float
    frame: int = -1
    time_s: float = float("nan")
    source: str = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "metric": self.metric,
                "value": None if not np.isfinite(self.value) else round(float(self.value), 3),
                "frame": self.frame,
                "time_s": None if not np.isfinite(self.time_s) else round(float(self.time_s), 4),
                "source": self.source}


@dataclass(frozen=True)
class Summary:
    """Clip summary. ``score`` = front-side index 0–100 (NaN without a verdict),
    ``verdict`` ``front-side`` | ``mixed`` | ``back-side`` | ``unknown`` (a style, see the
    module docstring), ``confidence`` 0–1 and a label, ``n_strides`` max-velocity strides
    judged; ``phase`` of the clip (:func:`posecheck.assess.phase.clip_phase`) with
    ``phase_strides`` (phase → count); ``key_metrics`` name → {value, unit} (medians over
    the judged strides, or over all strides when none is judged); ``left_right`` per-leg
    medians and asymmetry (:mod:`posecheck.assess.symmetry`); ``hamstring`` the model
    estimate against its reference (:mod:`posecheck.assess.symmetry`); ``start`` the set
    position and block exit of a crouch start (:mod:`posecheck.gait.start`), else None;
    ``cadence`` the step timing of a steady clip fitted to all its touchdowns
    (:class:`posecheck.gait.cadence.Cadence` as a dict; ``key_metrics['step_frequency_hz']``
    is its value), else None."""

    score: float
    verdict: str
    confidence: float
    confidence_label: str
    n_strides: int
    key_metrics: dict = field(default_factory=dict)
    phase: str = "unknown"
    phase_strides: dict = field(default_factory=dict)
    left_right: dict = field(default_factory=dict)
    hamstring: dict = field(default_factory=dict)
    start: BlockStart | None = None
    cadence: dict | None = None

    @property
    def style(self) -> str:
        """Plain words: "front-side style", "mixed style", "back-side style" or "not judged"."""
        return f"{self.verdict} style" if self.verdict != "unknown" else "not judged"

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "style": self.style,
                "score": None if not np.isfinite(self.score) else round(self.score, 1),
                "confidence": round(self.confidence, 2), "confidence_label": self.confidence_label,
                "n_strides": self.n_strides, "phase": self.phase,
                "phase_strides": dict(self.phase_strides), "key_metrics": self.key_metrics,
                "left_right": self.left_right, "hamstring": self.hamstring,
                "start": None if self.start is None else self.start.to_dict(),
                "cadence": self.cadence}


def _key_metrics(strides) -> dict:
    meds = {k: median_of(strides, k) for k in KEY_METRICS}
    return {k: {"value": None if not np.isfinite(meds[k]) else round(meds[k], 3), "unit": u}
            for k, u in KEY_METRICS.items()}


def summarise(strides: tuple[Stride, ...], swap_rate: float = 0.0, n_quality_warnings: int = 0,
              model: str = "full", phase: str = "max_velocity",
              phase_strides: dict | None = None, frame_s: float = 0.0) -> Summary:
    """The clip's style verdict from its judged strides (module docstring).

    Confidence (0–1; high ≥ 0.7, medium ≥ 0.4): 0.3 + 0.7 · |2P − 1| (P = index / 100:
    how clearly the model's error allows the call), × min(1, strides / 6), × the share of
    strides whose own index is on the clip's side (for a front- or back-side call), ×
    (1 − 2 · leg-swap rate, ≥ 0.3), × 0.85 per quality warning. ``phase``: the clip's phase;
    only ``max_velocity`` clips get a verdict. ``frame_s``: the frame interval (s), for the
    step-frequency fit (:func:`steady_cadence`)."""
    counts = dict(phase_strides or {})
    mv = judged(strides)
    key = _key_metrics(mv if mv else strides)
    cadence = steady_cadence(mv, phase, frame_s)
    if cadence is not None:
        key["step_frequency_hz"] = {"value": round(cadence.step_frequency_hz, 4),
                                    "unit": KEY_METRICS["step_frequency_hz"]}
    extra = {"cadence": None if cadence is None else cadence.to_dict()}
    values = np.array([getattr(s, STYLE_METRIC) for s in mv], dtype=float)
    values = values[np.isfinite(values)]
    if phase != "max_velocity" or values.size < MIN_STRIDES:
        return Summary(float("nan"), "unknown", 0.0, "none", int(values.size), key, phase, counts,
                       **extra)
    med = float(np.median(values))
    score = front_side_index(med, model, values.size)
    verdict = ("front-side" if score >= FRONT_SIDE_MIN else
               "back-side" if score <= BACK_SIDE_MAX else "mixed")
    p = score / 100.0
    conf = 0.3 + 0.7 * abs(2.0 * p - 1.0)
    conf *= min(1.0, values.size / 6.0)
    per = np.array([front_side_index(v, model, 1) for v in values])
    if verdict == "front-side":
        conf *= float(np.mean(per >= 50.0))
    elif verdict == "back-side":
        conf *= float(np.mean(per <= 50.0))
    else:
        conf = min(conf, 0.5)
    conf *= max(0.3, 1.0 - 2.0 * swap_rate)
    conf *= 0.85 ** n_quality_warnings
    label = "high" if conf >= 0.7 else "medium" if conf >= 0.4 else "low"
    return Summary(score, verdict, float(conf), label, int(values.size), key, phase, counts,
                   **extra)


def steady_cadence(strides, phase: str, frame_s: float = 0.0) -> Cadence | None:
    """The step timing fitted to the touchdowns of ``strides`` (:mod:`posecheck.gait.cadence`;
    ``frame_s`` the frame interval, s) when the clip runs steadily (``max_velocity`` or
    ``not_sprinting``), else ``None``."""
    if phase not in ("max_velocity", "not_sprinting") or not strides:
        return None
    return fit_cadence([s.touchdown_s for s in strides], [s.side for s in strides], frame_s)


def typical(strides, name: str) -> Stride | None:
    """The stride that best *shows* the typical value: the one closest to the median (a
    single extreme stride is more likely a tracking error than the athlete's habit)."""
    vals = [(getattr(s, name), s) for s in strides if np.isfinite(getattr(s, name))]
    if not vals:
        return None
    med = float(np.median([v for v, _ in vals]))
    return min(vals, key=lambda p: abs(p[0] - med))[1]
