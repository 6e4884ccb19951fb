"""Before/after comparison of two analysed clips (``posecheck compare``, the app's Compare tab).

:func:`compare` turns two :class:`~posecheck.types.Analysis` objects into a frozen
:class:`Comparison`:

* **metric deltas** — for each stride metric of ``docs/metrics.md`` (and the stride's
  front-side index) the before and after mean ± SD over strides, per leg and both legs
  pooled, the change (after − before), which direction is towards front-side style, and
  whether the change exceeds stride-to-stride variation;
* **stride-cycle curves** — knee flexion, hip flexion and thigh angle of every stride
  resampled from **toe-off to the next toe-off of the same foot** (0–100 %, 101 points:
  swing first, then the contact; the mean touchdown % is kept), with the mean ± SD per clip.
  Toe-off → toe-off is used because every :class:`~posecheck.gait.strides.Stride` is one swing
  (toe-off → touchdown) followed by its contact (touchdown → next toe-off), so each cycle is
  exactly one measured stride and lines up with the stride metrics.

**Direction towards front-side style** (the codes ``better``/``worse``; shown as "towards
front-side / back-side", a style, not a grade). Only the style metric of the verdict
(``docs/metrics.md`` §6: the thigh vs the trunk line at peak knee flexion), the thigh angle
at peak knee flexion (its vertical-referenced twin) and the front-side index get one.
Everything else (knee lift, step-over, knee flexion at toe-off, contact and flight times,
step frequency and length, hamstring stretch, ...) is reported with **no direction**: no
published norm says which way is better (knee lift is not related to top speed; elite
sprinters do not lock the knee out at toe-off; step frequency and length trade off).

**Beyond stride-to-stride variation.** A change counts only when both hold: ``|delta|`` is
larger than the pooled stride-to-stride SD (the change is bigger than the typical
difference between two strides of the same clip), and Welch's two-sided t-test on the
per-stride values gives p < 0.05 (the difference of means is unlikely to be chance for that
many strides). With fewer than 2 strides in either clip nothing is tested
(``"not enough strides"``).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import numpy as np

from posecheck.types import Analysis, GaitEvent

#: Number of points of a normalised stride cycle (0, 1, ..., 100 %).
CYCLE_POINTS = 101
#: Welch t-test level for "beyond stride-to-stride variation".
ALPHA = 0.05
#: Curves: signal name -> (label, where it lives: "angles" or "kinematics" attribute).
CYCLE_SIGNALS = {
    "knee_flexion": "Knee flexion (0° = straight)",
    "hip_flexion": "Hip flexion (+ = thigh in front of the trunk)",
    "thigh": "Thigh angle (+ = knee ahead of the hip)",
}
SIDES = ("left", "right", "both")


@dataclass(frozen=True)
class MetricSpec:
    """A compared metric: ``better`` is ``"higher"``, ``"lower"`` or ``None`` (no
    preferred direction); ``why`` says in a few words what "better" means."""

    label: str
    unit: str
    better: str | None
    why: str = ""
    digits: int = 1


#: Stride field -> spec, in display order (``front_side_score`` = verdict.stride_score).
METRICS: dict[str, MetricSpec] = {
    "front_side_score": MetricSpec("Front-side index", "", "higher", "towards front-side style", 0),
    "hip_flexion_at_peak_knee_deg": MetricSpec(
        "Thigh vs trunk line at peak knee flexion", "°", "higher",
        "towards front-side: the heel recovered in front of the trunk line"),
    "thigh_at_peak_knee_deg": MetricSpec(
        "Thigh angle at peak knee flexion", "°", "higher",
        "towards front-side: heel recovered under the body, not behind it"),
    "peak_thigh_deg": MetricSpec("Peak thigh angle (knee lift)", "°", None),
    "step_over_shank": MetricSpec("Step-over height", "shank lengths", None, digits=2),
    "peak_knee_flexion_deg": MetricSpec("Peak knee flexion in swing", "°", None),
    "heel_height_at_peak_knee_leg": MetricSpec("Heel height at peak knee flexion",
                                               "leg lengths", None, digits=2),
    "max_heel_behind_hip_leg": MetricSpec("Heel furthest behind the hip", "leg lengths", None,
                                          digits=2),
    "foot_ahead_of_hip_td_leg": MetricSpec("Foot ahead of the hip at touchdown", "leg lengths",
                                           None, digits=2),
    "shank_td_deg": MetricSpec("Shank angle at touchdown", "°", None),
    "knee_flexion_to_deg": MetricSpec("Knee flexion at toe-off", "°", None),
    "trunk_lean_contact_deg": MetricSpec("Trunk lean in contact", "°", None),
    "contact_time_s": MetricSpec("Contact time", "s", None, digits=3),
    "flight_time_s": MetricSpec("Flight time", "s", None, digits=3),
    "step_frequency_hz": MetricSpec("Step frequency", "steps/s", None, digits=2),
    "step_length_leg": MetricSpec("Step length", "leg lengths", None, digits=2),
    "hamstring_bflh_peak": MetricSpec("Hamstring (BFlh) peak length", "× upright", None,
                                      digits=3),
}


@dataclass(frozen=True)
class Stat:
    """Mean, standard deviation (ddof=1; NaN for n < 2) and count of per-stride values."""

    n: int
    mean: float
    sd: float


@dataclass(frozen=True)
class MetricDelta:
    """One row of the delta table: a metric for one leg group (left/right/both).

    ``assessment`` is one of ``better``, ``worse``, ``changed`` (beyond variation, but the
    metric has no preferred direction), ``no change beyond variation`` or
    ``not enough strides``.
    """

    metric: str
    label: str
    unit: str
    side: str
    better: str | None
    before: Stat
    after: Stat
    delta: float
    pooled_sd: float
    p_value: float
    beyond_variation: bool | None
    assessment: str

    @property
    def short(self) -> str:
        """The assessment in a few words for a table column (see :data:`SHORT_TEXT`)."""
        return SHORT_TEXT[self.assessment]

    @property
    def wording(self) -> str:
        """The assessment in plain words, e.g. ``better (beyond stride-to-stride variation)``."""
        return ASSESSMENT_TEXT[self.assessment]

    def to_dict(self) -> dict:
        d = asdict(self)
        return _clean(d)


# "better"/"worse" are the codes of a change towards the front-side / back-side style (the
# only metrics with a direction are the style's); the words say that, not a grade
SHORT_TEXT = {
    "better": "towards front-side",
    "worse": "towards back-side",
    "changed": "changed (no preferred direction)",
    "no change beyond variation": "no change beyond variation",
    "not enough strides": "not enough strides",
}
ASSESSMENT_TEXT = {
    "better": "towards front-side style (beyond stride-to-stride variation)",
    "worse": "towards back-side style (beyond stride-to-stride variation)",
    "changed": "changed beyond variation (no preferred direction)",
    "no change beyond variation": "no change beyond stride-to-stride variation",
    "not enough strides": "not enough strides to tell",
}


@dataclass(frozen=True)
class CycleCurve:
    """Mean ± SD of one signal over the normalised stride cycles of one clip and leg group.

    ``pct`` (101,) 0–100; ``mean``/``sd`` (101,) degrees (NaN where fewer than 1/2 cycles);
    ``n`` cycles; ``touchdown_pct`` mean position of the touchdown in the cycle.
    """

    clip: str
    signal: str
    side: str
    pct: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    n: int
    touchdown_pct: float


@dataclass(frozen=True)
class ClipSummary:
    """Name and verdict of one side of the comparison."""

    name: str
    verdict: str
    score: float
    confidence_label: str
    n_strides: int


@dataclass(frozen=True)
class Comparison:
    """Everything :func:`compare` finds; see the module docstring for the methods."""

    before: ClipSummary
    after: ClipSummary
    metrics: tuple[MetricDelta, ...]
    curves: tuple[CycleCurve, ...]
    alpha: float = ALPHA

    def metric(self, name: str, side: str = "both") -> MetricDelta:
        """The row for ``name`` and ``side`` (KeyError if absent)."""
        for m in self.metrics:
            if m.metric == name and m.side == side:
                return m
        raise KeyError((name, side))

    def curve(self, clip: str, signal: str, side: str = "both") -> CycleCurve | None:
        """The curve of ``clip`` (``"before"``/``"after"``), or ``None`` if not measurable."""
        for c in self.curves:
            if (c.clip, c.signal, c.side) == (clip, signal, side):
                return c
        return None

    def to_dict(self) -> dict:
        """JSON-ready content (NaN → ``None``) of ``comparison.json``."""
        return _clean({
            "before": asdict(self.before), "after": asdict(self.after),
            "method": {
                "beyond_variation": f"|delta| > pooled stride-to-stride SD and Welch t-test "
                                    f"p < {self.alpha}",
                "cycle": "toe-off to next toe-off of the same foot, 0-100 %, "
                         f"{CYCLE_POINTS} points",
            },
            "metrics": [m.to_dict() | {"wording": m.wording} for m in self.metrics],
            "curves": [{"clip": c.clip, "signal": c.signal, "side": c.side, "n": c.n,
                        "touchdown_pct": c.touchdown_pct, "mean": c.mean.tolist(),
                        "sd": c.sd.tolist()} for c in self.curves],
        })

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    def to_csv(self) -> str:
        """``comparison.csv``: one row per metric and leg group."""
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["metric", "label", "unit", "side", "better", "before_n", "before_mean",
                    "before_sd", "after_n", "after_mean", "after_sd", "delta", "pooled_sd",
                    "p_value", "beyond_variation", "assessment"])
        for m in self.metrics:
            w.writerow([m.metric, m.label, m.unit, m.side, m.better or "no preferred direction",
                        m.before.n, _f(m.before.mean), _f(m.before.sd), m.after.n,
                        _f(m.after.mean), _f(m.after.sd), _f(m.delta), _f(m.pooled_sd),
                        _f(m.p_value, 5),
                        "" if m.beyond_variation is None else int(m.beyond_variation),
                        m.assessment])
        return buf.getvalue()


def _f(v: float, digits: int = 4) -> str:
    return "" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def _clean(obj):
    """NaN/inf → None and numpy scalars → Python, recursively (for strict JSON)."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


# -- metric values --------------------------------------------------------------------------

def stride_values(analysis: Analysis, metric: str, side: str = "both") -> np.ndarray:
    """Finite per-stride values of ``metric`` for ``side`` (``left``/``right``/``both``)."""
    from posecheck.assess.verdict import stride_score

    vals = []
    for s in analysis.strides:
        if side != "both" and s.side != side:
            continue
        v = (stride_score(s, analysis.pose.model) if metric == "front_side_score"
             else getattr(s, metric, np.nan))
        vals.append(float(v) if v is not None else np.nan)
    arr = np.asarray(vals, dtype=float)
    return arr[np.isfinite(arr)]


def _stat(v: np.ndarray) -> Stat:
    if v.size == 0:
        return Stat(0, float("nan"), float("nan"))
    return Stat(int(v.size), float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else float("nan"))


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p value of Welch's t-test (NaN for fewer than 2 values in either)."""
    from scipy import stats

    if a.size < 2 or b.size < 2:
        return float("nan")
    if np.ptp(a) == 0 and np.ptp(b) == 0:  # no variation at all: equal means or certain
        return 1.0 if a[0] == b[0] else 0.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def metric_delta(before: Analysis, after: Analysis, metric: str, side: str = "both",
                 alpha: float = ALPHA) -> MetricDelta:
    """Compare one metric between two analyses (see the module docstring)."""
    spec = METRICS[metric]
    a, b = stride_values(before, metric, side), stride_values(after, metric, side)
    sa, sb = _stat(a), _stat(b)
    delta = sb.mean - sa.mean if sa.n and sb.n else float("nan")
    if sa.n >= 2 and sb.n >= 2:
        pooled = math.sqrt(((sa.n - 1) * sa.sd ** 2 + (sb.n - 1) * sb.sd ** 2)
                           / (sa.n + sb.n - 2))
        p = welch_p(a, b)
        beyond = bool(abs(delta) > pooled and p < alpha)
        if not beyond:
            assessment = "no change beyond variation"
        elif spec.better is None:
            assessment = "changed"
        else:
            up = delta > 0
            assessment = "better" if up == (spec.better == "higher") else "worse"
    else:
        pooled, p, beyond, assessment = float("nan"), float("nan"), None, "not enough strides"
    return MetricDelta(metric, spec.label, spec.unit, side, spec.better, sa, sb, float(delta),
                       float(pooled), float(p), beyond, assessment)


# -- stride-cycle curves ----------------------------------------------------------------------

def _signal(analysis: Analysis, name: str) -> np.ndarray | None:
    if name in ("knee_flexion", "hip_flexion"):
        return getattr(analysis.angles, name)
    kin = analysis.kinematics
    return None if kin is None else getattr(kin, name, None)


def cycles(analysis: Analysis, signal: str, side: str = "both",
           min_coverage: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Each stride's ``signal`` from toe-off to the next toe-off resampled to 0–100 %.

    Returns ``(curves (n, 101), touchdown_pct (n,))``. A stride is used when it has a next
    toe-off and at least ``min_coverage`` of its frames carry the signal; its samples are
    linearly interpolated in real time.
    """
    values = _signal(analysis, signal)
    empty = np.empty((0, CYCLE_POINTS)), np.empty(0)
    if values is None:
        return empty
    t = analysis.times
    out, tds = [], []
    for s in analysis.strides:
        if side != "both" and s.side != side:
            continue
        t0, t1 = s.toe_off_s, s.next_toe_off_s
        if not (np.isfinite(t0) and np.isfinite(t1) and t1 > t0):
            continue
        j = 0 if s.side == "left" else 1
        i0 = max(0, int(np.searchsorted(t, t0)) - 1)
        i1 = min(t.size, int(np.searchsorted(t, t1)) + 1)
        tt, vv = t[i0:i1], values[i0:i1, j]
        ok = np.isfinite(vv)
        if ok.sum() < 3 or ok.mean() < min_coverage:
            continue
        grid = np.linspace(t0, t1, CYCLE_POINTS)
        out.append(np.interp(grid, tt[ok], vv[ok]))
        tds.append(100.0 * (s.touchdown_s - t0) / (t1 - t0))
    if not out:
        return empty
    return np.vstack(out), np.asarray(tds, dtype=float)


def cycle_curve(analysis: Analysis, clip: str, signal: str, side: str = "both") -> CycleCurve | None:
    """Mean ± SD over :func:`cycles` (``None`` when no cycle is measurable)."""
    c, tds = cycles(analysis, signal, side)
    if c.shape[0] == 0:
        return None
    mean = c.mean(axis=0)
    sd = c.std(axis=0, ddof=1) if c.shape[0] > 1 else np.zeros(CYCLE_POINTS)
    return CycleCurve(clip, signal, side, np.linspace(0.0, 100.0, CYCLE_POINTS), mean, sd,
                      int(c.shape[0]), float(np.mean(tds)))


# -- the comparison -------------------------------------------------------------------------

def _clip_summary(analysis: Analysis, name: str) -> ClipSummary:
    s = analysis.summary
    if s is None:
        return ClipSummary(name, "unknown", float("nan"), "none", len(analysis.strides))
    return ClipSummary(name, s.verdict, float(s.score), s.confidence_label, int(s.n_strides))


def compare(before: Analysis, after: Analysis, *, before_name: str | None = None,
            after_name: str | None = None, alpha: float = ALPHA) -> Comparison:
    """Compare two analyses (metrics per leg and both legs, stride-cycle curves)."""
    from pathlib import Path

    names = (before_name or Path(before.video.path).name, after_name or Path(after.video.path).name)
    rows = tuple(metric_delta(before, after, m, side, alpha)
                 for m in METRICS for side in ("both", "left", "right"))
    curves = []
    for clip, a in (("before", before), ("after", after)):
        for signal in CYCLE_SIGNALS:
            for side in SIDES:
                c = cycle_curve(a, clip, signal, side)
                if c is not None:
                    curves.append(c)
    return Comparison(_clip_summary(before, names[0]), _clip_summary(after, names[1]), rows,
                      tuple(curves), alpha)


# -- alignment (for the side-by-side video) ---------------------------------------------------

def touchdowns(analysis: Analysis, side: str | None = None) -> list[GaitEvent]:
    """The clip's touchdowns in time order (of one leg if ``side`` is given)."""
    return sorted((e for e in analysis.events if e.kind == "touchdown"
                   and (side is None or e.side == side)), key=lambda e: e.time_s)


def default_alignment(before: Analysis, after: Analysis,
                      side: str | None = None, index: int = 0) -> tuple[GaitEvent | None,
                                                                         GaitEvent | None]:
    """The touchdowns to align on: the ``index``-th (0 = first) touchdown of the same leg
    in each clip. ``side=None`` picks the leg whose touchdown comes earliest in both clips.
    ``(None, None)`` when no leg touches down in both (then the clips start together).
    """
    best: tuple[float, GaitEvent, GaitEvent] | None = None
    for s in ((side,) if side else ("left", "right")):
        b, a = touchdowns(before, s), touchdowns(after, s)
        if len(b) > index and len(a) > index:
            key = max(b[index].time_s, a[index].time_s)
            if best is None or key < best[0]:
                best = (key, b[index], a[index])
    return (None, None) if best is None else (best[1], best[2])
