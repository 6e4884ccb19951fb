"""What the library stores about one analysis: :class:`SessionRecord`, built from the
``report.json`` content (:func:`posecheck.report.export.report_dict`), and the settings key
that tells whether a clip was already analysed with the same settings."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np

from posecheck.config import Config

#: Metrics followed over a season (name → label, unit), per leg and for both legs: what the
#: history table shows and the trend charts draw (besides the front-side index).
TREND_METRICS = {
    "thigh_at_peak_knee_deg": ("Thigh angle at peak knee flexion", "deg"),
    "peak_thigh_deg": ("Peak thigh angle", "deg"),
    "peak_knee_flexion_deg": ("Peak knee flexion", "deg"),
    "knee_flexion_to_deg": ("Knee flexion at toe-off", "deg"),
    "contact_time_s": ("Contact time", "s"),
    "step_length_leg": ("Step length", "leg lengths"),
}
SIDES = ("both", "left", "right")


def settings_fields(config: Config) -> dict:
    """The settings that make an analysis what it is, as plain JSON values: every field of
    ``config`` except the output options (whether and how large the annotated video is:
    the measurements are the same), the worker count (speed only) and the person index
    (kept apart as ``person``). The app and ``posecheck batch`` with the same model,
    slow-motion factor, athlete height and rule give the same key."""
    d = asdict(config)
    d.pop("output", None)
    d["pose"].pop("workers", None)
    d["pose"].pop("person", None)
    if d["pose"].get("model_dir") is not None:
        d["pose"]["model_dir"] = str(d["pose"]["model_dir"])
    return d


def settings_key(config: Config) -> str:
    """Short stable hex key of :func:`settings_fields` (equal settings, equal key)."""
    blob = json.dumps(settings_fields(config), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class SessionRecord:
    """One analysis of one athlete in one clip, ready to store.

    Attributes:
        athlete: the athlete's name.
        clip: display name (``run1.mp4``; ``group.mp4 #2`` for the second person of a clip).
        clip_path: where the clip was read (absolute path).
        content_hash: SHA-256 of the clip's bytes.
        recorded_at: when it was filmed (aware datetime, stored as UTC).
        date_source: ``creation_time`` (container tag), ``mtime`` or ``upload``.
        settings: :func:`settings_fields` of the analysis config.
        settings_key: :func:`settings_key` of the same config.
        report: the ``report.json`` content of the analysis.
        person: 0 = the athlete chosen by the rule; k = the k-th person of the clip.
        output_dir: the analysis's output folder (``None`` if none was written).
        source: ``batch`` or ``app``.
    """

    athlete: str
    clip: str
    clip_path: str
    content_hash: str
    recorded_at: datetime
    date_source: str
    settings: dict
    settings_key: str
    report: dict = field(repr=False)
    person: int = 0
    output_dir: str | None = None
    source: str = "batch"

    def __post_init__(self) -> None:
        if not self.athlete.strip():
            raise ValueError("athlete name is empty")
        if self.recorded_at.tzinfo is None:
            raise ValueError("recorded_at must be timezone-aware")

    @property
    def date_iso(self) -> str:
        """``recorded_at`` in UTC, ISO 8601 to the second (sorts as text)."""
        return self.recorded_at.astimezone(timezone.utc).replace(microsecond=0).isoformat()

    @property
    def summary(self) -> dict:
        return self.report.get("summary") or {}

    @property
    def strides(self) -> list[dict]:
        return list(self.report.get("strides") or [])


def _finite(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def summary_metrics(report: dict) -> list[tuple[str, str, float | None, str]]:
    """``(metric, side, value, unit)`` rows of an analysis: the summary's key metrics for
    both legs (medians over the judged strides) and per leg the median over that leg's
    strides of every :data:`TREND_METRICS` metric, plus the front-side index (``score``)."""
    summary = report.get("summary") or {}
    rows: list[tuple[str, str, float | None, str]] = [
        ("score", "both", _finite(summary.get("score")), "/100")]
    for name, m in (summary.get("key_metrics") or {}).items():
        rows.append((name, "both", _finite((m or {}).get("value")), (m or {}).get("unit", "")))
    strides = report.get("strides") or []
    for name, (_label, unit) in TREND_METRICS.items():
        for side in ("left", "right"):
            vals = [_finite(s.get(name)) for s in strides if s.get("side") == side]
            vals = [v for v in vals if v is not None]
            rows.append((name, side, float(np.median(vals)) if vals else None, unit))
    return rows


def stride_metrics(report: dict) -> list[tuple[int, str, str, str, float | None]]:
    """``(stride index, side, phase, metric, value)`` of every numeric per-stride metric."""
    out = []
    for i, s in enumerate(report.get("strides") or []):
        side, phase = s.get("side", ""), s.get("phase", "") or ""
        for name, v in s.items():
            if name in ("side", "phase") or isinstance(v, (str, bool, list, dict)):
                continue
            out.append((i, side, str(phase), name, _finite(v)))
    return out
