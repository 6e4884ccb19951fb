"""``summary.csv`` of a batch: one row per analysis of the run (analysed now or found in the
library), with the clip's phase, style verdict and score, confidence and key metrics."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from posecheck.library.records import TREND_METRICS
from posecheck.library.store import Library

SUMMARY_COLUMNS = ("athlete", "date", "clip", "phase", "verdict", "score", "confidence",
                   "confidence_label", "n_strides", *TREND_METRICS, "output_dir", "clip_path",
                   "content_hash")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def summary_text(sessions: list[dict]) -> str:
    """The CSV text: :data:`SUMMARY_COLUMNS` (key metrics: medians for both legs)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SUMMARY_COLUMNS)
    for s in sessions:
        metrics = s.get("key_metrics") or {}
        w.writerow([_cell(metrics.get(c) if c in TREND_METRICS else s.get(c))
                    for c in SUMMARY_COLUMNS])
    return buf.getvalue()


def write_summary(path: str | os.PathLike, lib: Library, session_ids: list[int]) -> Path:
    """Write ``summary.csv`` of these sessions (oldest first), atomically."""
    path = Path(path)
    wanted = set(session_ids)
    rows = [s for s in lib.sessions() if s["id"] in wanted]
    part = path.with_name(f".{path.name}.part")
    part.write_text(summary_text(rows), encoding="utf-8")
    os.replace(part, path)
    return path
