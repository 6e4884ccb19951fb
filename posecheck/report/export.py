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

from typing import TYPE_CHECKING

from posecheck._version import __version__
from posecheck.errors import OutputError
from posecheck.types import LANDMARK_NAMES, N_LANDMARKS, Analysis

if TYPE_CHECKING:  # config imports scipy and numba; video workers import this module
    from posecheck.config import OutputConfig

ANGLES_COLUMNS = ("frame", "time_s", "detected", "left_knee_flexion_deg", "right_knee_flexion_deg",
                  "left_hip_flexion_deg", "right_hip_flexion_deg")
#: annotated videos of larger inputs (4K, 8K) are downscaled to this short side (1080p):
#: x264 at 4K costs 4x 1080p and would take longer than the pose pass
MAX_ANNOTATED_SHORT_SIDE = 1080
#: Columns appended after ANGLES_COLUMNS (conditioned values, then the raw reference).
ANGLES_EXTRA_COLUMNS = (
    "left_knee_flexion_raw_deg", "right_knee_flexion_raw_deg", "left_hip_flexion_raw_deg",
    "right_hip_flexion_raw_deg", "left_thigh_deg", "right_thigh_deg", "left_shank_deg",
    "right_shank_deg", "left_ankle_deg", "right_ankle_deg", "trunk_lean_deg",
    "left_hamstring_bflh", "right_hamstring_bflh", "left_hamstring_sm", "right_hamstring_sm",
    "left_hamstring_st", "right_hamstring_st", "left_phase", "right_phase", "direction",
    "legs_swapped", "camera_dx_px", "camera_dy_px",
)
#: x264 settings of the annotated video in one stream ("veryfast": ~13 ms per 720p frame
#: and core) and with several workers, where the export must stay short next to the pose
#: pass: "ultrafast" with B-frames and the deblocking filter back on, ~3.4 ms per 720p frame;
#: measured on the front-side sample (180 frames, crf 23): 2.9 MB and PSNR 35.2 dB against
#: 1.6 MB / 35.0 dB for "superfast" at 8.7 ms and 5.1 MB / 34.5 dB for plain "ultrafast".
ANNOTATED_PRESET = "veryfast"
ANNOTATED_PRESET_PARALLEL = "ultrafast"
ANNOTATED_X264_PARALLEL = "bframes=3:deblock=1"
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
    kin = analysis.kinematics
    w.writerow(ANGLES_COLUMNS + (ANGLES_EXTRA_COLUMNS if kin is not None else ()))
    det = analysis.pose.detected
    k, h = analysis.angles.knee_flexion, analysis.angles.hip_flexion
    phase = contact_phase(analysis)
    bg = analysis.pose.background      # the camera's motion (None: not measured)
    for i, t in enumerate(analysis.times):
        row = [i, f"{t:.6f}", int(det[i]), _fmt(k[i, 0], 2), _fmt(k[i, 1], 2),
               _fmt(h[i, 0], 2), _fmt(h[i, 1], 2)]
        if kin is not None:
            row += [_fmt(kin.knee_flexion_raw[i, 0], 2), _fmt(kin.knee_flexion_raw[i, 1], 2),
                    _fmt(kin.hip_flexion_raw[i, 0], 2), _fmt(kin.hip_flexion_raw[i, 1], 2)]
            for arr in (kin.thigh, kin.shank, kin.ankle):
                row += [_fmt(arr[i, 0], 2), _fmt(arr[i, 1], 2)]
            row.append(_fmt(kin.trunk_lean[i], 2))
            for m in range(3):
                row += [_fmt(kin.hamstring[i, 0, m], 4), _fmt(kin.hamstring[i, 1, m], 4)]
            row += [phase[i][0], phase[i][1], int(kin.direction[i]), int(kin.leg_swapped[i])]
            row += ["", ""] if bg is None else [_fmt(bg[i, 0], 2), _fmt(bg[i, 1], 2)]
        w.writerow(row)
    return buf.getvalue()


def contact_phase(analysis: Analysis) -> list[tuple[str, str]]:
    """Per frame (left, right) phase: ``contact``, ``swing`` or ``""`` (unknown, before the
    first or after the last event of that foot)."""
    n = analysis.pose.n_frames
    out = [["", ""] for _ in range(n)]
    for j, side in enumerate(("left", "right")):
        evs = [e for e in analysis.events if e.side == side]
        for a, b in zip(evs, evs[1:]):
            label = "contact" if a.kind == "touchdown" else "swing"
            for i in range(max(a.frame, 0), min(b.frame, n)):
                out[i][j] = label
    return [tuple(r) for r in out]


def strides_csv(analysis: Analysis) -> str:
    """The ``strides.csv`` text: one row per swing and leg (see docs/metrics.md)."""
    from dataclasses import fields

    from posecheck.gait.strides import Stride

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = [f.name for f in fields(Stride)]
    w.writerow(["stride", *names, "front_side_score"])
    from posecheck.assess.verdict import stride_score

    for i, s in enumerate(analysis.strides):
        d = s.to_dict()
        w.writerow([i, *("" if d[k] is None else d[k] for k in names),
                    _fmt(stride_score(s, _model(analysis)), 1)])
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
    from posecheck.assess.verdict import stride_score

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
        "timing": analysis.timing.to_dict(),
        "warnings": list(analysis.warnings),
        "summary": analysis.summary.to_dict() if analysis.summary is not None else None,
        "strides": [dict(s.to_dict(), front_side_score=_round(stride_score(s, _model(analysis)), 1))
                    for s in analysis.strides],
        "cues": [c.to_dict() for c in analysis.cues],
        "events": [{"side": e.side, "type": e.kind, "time_s": round(e.time_s, 4), "frame": e.frame}
                   for e in analysis.events],
        "kinematics": _kinematics_meta(analysis),
    }


def _model(analysis) -> str:
    """The pose model of an analysis (``full`` for a bare one without a pose)."""
    return getattr(getattr(analysis, "pose", None), "model", "full")


def _round(v: float, digits: int):
    return None if not np.isfinite(v) else round(float(v), digits)


def _kinematics_meta(analysis: Analysis) -> dict | None:
    kin = analysis.kinematics
    if kin is None:
        return None
    cfg = getattr(analysis.config, "kinematics", None)
    filt = getattr(cfg, "filter", None)
    return {"near_side": kin.near_side, "leg_swap_rate": round(float(kin.leg_swapped.mean()), 4),
            "leg_length_px": _round(kin.leg_length_px, 1),
            "sampling_rate_hz": _round(kin.sampling_rate_hz, 3),
            "lowpass_cutoff_hz": getattr(filt, "cutoff_hz", None),
            "athlete_height_m": getattr(cfg, "athlete_height_m", None)}


def render_frame(analysis: Analysis, idx: int, rgb: np.ndarray, phases=None) -> np.ndarray:
    """Frame ``idx`` (row of the pose arrays) of the annotated video, drawn on ``rgb``;
    ``phases`` = :func:`contact_phase` (computed once per video)."""
    from posecheck.report.annotate import draw_kinematics, draw_overlay

    p, a = analysis.pose, analysis.angles
    xy = p.xy[idx] if analysis.kinematics is None else analysis.kinematics.xy[idx]
    frame = draw_overlay(rgb, xy, tuple(a.knee_flexion[idx]), tuple(a.hip_flexion[idx]),
                         p.times[idx], idx, a.direction)
    return draw_kinematics(frame, analysis, idx, phases[idx] if phases else None)


def write_annotated_video(analysis: Analysis, path: Path, max_height: int | None = None,
                          progress: Callable[[int, int], None] | None = None) -> Path:
    """Decode the clip again and write the overlay as browser-playable H.264 MP4.

    Decoding runs ahead on a thread, this thread draws, and x264 encodes on its own threads.
    With several workers (``analysis.config.pose.workers``, see :mod:`posecheck.pose.parallel`)
    x264 gets one thread more than the workers and the faster settings
    (:data:`ANNOTATED_PRESET_PARALLEL`) that keep the export short next to the pose pass.
    """
    from posecheck.pose.parallel import resolve_workers
    from posecheck.video.readahead import read_ahead
    from posecheck.video.reader import iter_frames
    from posecheck.video.writer import H264Writer

    v, p = analysis.video, analysis.pose
    n = p.n_frames
    if max_height is None and min(v.width, v.height) > MAX_ANNOTATED_SHORT_SIDE:
        # 4K/8K: encoding at full size is slow and needs GBs in x264's look-ahead
        max_height = MAX_ANNOTATED_SHORT_SIDE if v.height <= v.width else \
            int(v.height * MAX_ANNOTATED_SHORT_SIDE / v.width)
    writer_kw = {"max_height": max_height, "preset": ANNOTATED_PRESET}
    workers = resolve_workers(getattr(getattr(analysis.config, "pose", None), "workers", 1), n)
    decoder_threads = None
    if workers > 1:
        writer_kw.update(preset=ANNOTATED_PRESET_PARALLEL, x264_params=ANNOTATED_X264_PARALLEL,
                         threads=workers + 1)
        decoder_threads = 1  # the cores are x264's; one decoder thread keeps ahead
    phases = contact_phase(analysis) if analysis.kinematics is not None else None
    with H264Writer(path, v.width, v.height, fps=v.fps, **writer_kw) as writer:
        # row k of the pose arrays is the k-th decoded frame; decoding is deterministic, so
        # counting frames (not trusting indices, which skip an undecodable frame) lines up
        frames = read_ahead(iter_frames(v.path, info=v, slowmo_factor=v.slowmo_factor,
                                        threads=decoder_threads), depth=4)
        try:
            for idx, (_file_index, t, rgb) in enumerate(frames):
                if idx >= n:
                    break
                # the encoder keeps the file's own timing; report times are real seconds
                writer.write(render_frame(analysis, idx, rgb, phases), t * v.slowmo_factor)
                if progress is not None:
                    progress(idx + 1, n)
        finally:
            frames.close()
    return path


def write_outputs(analysis: Analysis, out_dir: str | Path, output: OutputConfig | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> dict[str, Path]:
    """Write all outputs into ``out_dir`` (created if needed); return name → path."""
    from posecheck.config import OutputConfig

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
        "strides.csv": out / "strides.csv",
        "report.json": out / "report.json",
    }
    _atomic_write_text(paths["angles.csv"], angles_csv(analysis))
    _atomic_write_text(paths["landmarks.csv"], landmarks_csv(analysis))
    _atomic_write_text(paths["strides.csv"], strides_csv(analysis))
    if output.video:
        cb = None if progress is None else (lambda d, t: progress("video", d, t))
        paths["annotated.mp4"] = write_annotated_video(analysis, out / "annotated.mp4",
                                                       output.max_video_height, cb)
    _atomic_write_text(paths["report.json"],
                       json.dumps(report_dict(analysis), indent=2, allow_nan=False) + "\n")
    return paths
