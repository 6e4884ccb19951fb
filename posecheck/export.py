"""Write an :class:`Analysis` to disk: angles.csv, landmarks.csv, report.json, annotated.mp4.

The output contract (column names and JSON keys) is stable: later versions add columns and
keys but never rename these. Every file is written under a temporary name and renamed when
complete, so an interrupted run never leaves a half-written file under a final name.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from posecheck import __version__
from posecheck.config import OutputConfig
from posecheck.errors import OutputError
from posecheck.types import LANDMARK_NAMES, N_LANDMARKS, Analysis

ANGLES_COLUMNS = ("frame", "time_s", "detected", "left_knee_flexion_deg", "right_knee_flexion_deg",
                  "left_hip_flexion_deg", "right_hip_flexion_deg")
LANDMARKS_COLUMNS = ("frame", "time_s", "landmark", "name", "x_px", "y_px", "z", "visibility")


def _fmt(v: float, digits: int) -> str:
    return "" if not np.isfinite(v) else f"{v:.{digits}f}"


def _atomic_write_text(path: Path, text: str) -> None:
    part = path.with_name(f".{path.name}.part")
    with open(part, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(part, path)


def angles_csv(analysis: Analysis) -> str:
    """The ``angles.csv`` text: one row per decoded frame, empty cells where no person."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ANGLES_COLUMNS)
    det = analysis.pose.detected
    k, h = analysis.angles.knee_flexion, analysis.angles.hip_flexion
    for i, t in enumerate(analysis.times):
        w.writerow((i, f"{t:.6f}", int(det[i]), _fmt(k[i, 0], 2), _fmt(k[i, 1], 2),
                    _fmt(h[i, 0], 2), _fmt(h[i, 1], 2)))
    return buf.getvalue()


def landmarks_csv(analysis: Analysis) -> str:
    """The ``landmarks.csv`` text: 33 rows per frame with a person (pixels; z as MediaPipe)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(LANDMARKS_COLUMNS)
    p = analysis.pose
    for i in np.flatnonzero(p.detected):
        t = f"{p.times[i]:.6f}"
        for j in range(N_LANDMARKS):
            w.writerow((int(i), t, j, LANDMARK_NAMES[j], f"{p.xy[i, j, 0]:.2f}",
                        f"{p.xy[i, j, 1]:.2f}", f"{p.z[i, j]:.2f}", f"{p.visibility[i, j]:.4f}"))
    return buf.getvalue()


def report_dict(analysis: Analysis) -> dict:
    """The ``report.json`` content."""
    v = analysis.video
    return {
        "posecheck_version": __version__,
        "input": {
            "file": Path(v.path).name, "width": v.width, "height": v.height, "fps": v.fps,
            "real_fps": v.real_fps, "frame_count": v.frame_count,
            "frames_analysed": analysis.pose.n_frames, "rotation_deg": v.rotation_deg,
            "duration_s": v.duration_s, "capture_fps": v.capture_fps,
            "slowmo_factor": v.slowmo_factor, "codec": v.codec,
            "variable_frame_rate": v.variable_frame_rate,
        },
        "model": analysis.pose.model,
        "detection_rate": round(analysis.pose.detection_rate, 4),
        "running_direction": "left_to_right" if analysis.angles.direction > 0 else "right_to_left",
        "warnings": list(analysis.warnings),
    }


def write_annotated_video(analysis: Analysis, path: Path, max_height: int | None = None,
                          progress: Callable[[int, int], None] | None = None) -> Path:
    """Decode the clip again and write the overlay as browser-playable H.264 MP4."""
    from posecheck.annotate import draw_overlay
    from posecheck.video_io import iter_frames
    from posecheck.video_out import H264Writer

    v, p, a = analysis.video, analysis.pose, analysis.angles
    n = p.n_frames
    with H264Writer(path, v.width, v.height, fps=v.fps, max_height=max_height) as writer:
        # row k of the pose arrays is the k-th decoded frame; decoding is deterministic, so
        # counting frames (not trusting indices, which skip an undecodable frame) lines up
        frames = iter_frames(v.path, info=v, slowmo_factor=v.slowmo_factor)
        for idx, (_file_index, t, rgb) in enumerate(frames):
            if idx >= n:
                break
            frame = draw_overlay(rgb, p.xy[idx], tuple(a.knee_flexion[idx]),
                                 tuple(a.hip_flexion[idx]), p.times[idx], idx, a.direction)
            # the encoder keeps the file's own timing; report times are real seconds
            writer.write(frame, t * v.slowmo_factor)
            if progress is not None:
                progress(idx + 1, n)
    return path


def write_outputs(analysis: Analysis, out_dir: str | Path, output: OutputConfig | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> dict[str, Path]:
    """Write all outputs into ``out_dir`` (created if needed); return name → path."""
    output = output or OutputConfig()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe_file = out / ".posecheck-write-test"
        probe_file.write_bytes(b"")
        probe_file.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    paths = {
        "angles.csv": out / "angles.csv",
        "landmarks.csv": out / "landmarks.csv",
        "report.json": out / "report.json",
    }
    _atomic_write_text(paths["angles.csv"], angles_csv(analysis))
    _atomic_write_text(paths["landmarks.csv"], landmarks_csv(analysis))
    if output.video:
        cb = None if progress is None else (lambda d, t: progress("video", d, t))
        paths["annotated.mp4"] = write_annotated_video(analysis, out / "annotated.mp4",
                                                       output.max_video_height, cb)
    _atomic_write_text(paths["report.json"],
                       json.dumps(report_dict(analysis), indent=2, allow_nan=False) + "\n")
    return paths
