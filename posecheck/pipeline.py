"""The one entry point: :func:`analyze_video` (CLI and app are thin layers over it), and
the one module that wires the stages (``docs/architecture.md``): video → pose → signals →
kinematics → gait → assess. Reports and comparisons are made from its
:class:`~posecheck.types.Analysis` by :mod:`posecheck.report` and :mod:`posecheck.compare`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from posecheck.config import Config, KinematicsConfig
from posecheck.errors import NoPersonDetected, UnsupportedVideo
from posecheck.types import Analysis, PoseSequence, VideoInfo
from posecheck.video import reader as video_io                       # 1. decode
from posecheck.pose.parallel import estimate_video                   # 2. pose (threads)
from posecheck.kinematics.chain import best_angles, compute_kinematics  # 3-4. signals, angles
from posecheck.gait.events import detect_events                      # 5. gait
from posecheck.gait.strides import compute_strides
from posecheck.assess.quality import kinematics_warnings             # 6. assess
from posecheck.assess.verdict import make_cues, summarise
from posecheck.warmup import numba_cache_cold, start_warm_up

#: progress(stage, done, total): stage is a short label ("pose", "video"); total 0 = unknown.
Progress = Callable[[str, int, int], None]

MIN_FRAMES = 3
LOW_DETECTION_RATE = 0.9


def analyze_video(path: str | Path, config: Config | None = None,
                  progress: Progress | None = None) -> Analysis:
    """Analyse one side-view sprint clip.

    Decodes the clip (rotation applied, real time stamps), runs the pose model on every
    frame and computes per-frame joint angles. Nothing is written to disk; see
    :func:`posecheck.report.export.write_outputs`.

    Raises:
        UnreadableVideo: missing, empty or undecodable file.
        UnsupportedVideo: too few frames to analyse.
        NoPersonDetected: nobody found in any frame.
        ModelMissing: the pose model is missing or corrupt.
    """
    cfg = config or Config()
    info = video_io.probe(path, slowmo_factor=cfg.video.slowmo_factor)
    video_io.check_analysable(info)  # too small / too large frames: UnsupportedVideo
    frame_progress = None
    if progress is not None:
        def frame_progress(done: int, total: int) -> None:
            progress("pose", done, total)
    notes: list[str] = []  # e.g. several people found, which one was analysed
    # numba: load (or, first run after install, compile in another process) the kinematics
    # kernels while the pose pass runs, so the kinematics step after it does not wait
    warm = start_warm_up(analyze_kinematics, in_process=not numba_cache_cold())
    try:
        # one stream here, or chunks on worker threads (posecheck.pose.parallel; --workers)
        pose = estimate_video(path, info, cfg.pose, progress=frame_progress, notes=notes)
    finally:
        warm.join()
    if pose.n_frames < MIN_FRAMES:
        raise UnsupportedVideo(
            f"{Path(path).name} has only {pose.n_frames} readable frame(s); "
            f"posecheck needs a clip of at least a second")
    if not pose.detected.any():
        raise NoPersonDetected(
            f"no person found in {Path(path).name}; film the athlete side-on with the whole "
            f"body in view")
    kin, events, strides, summary, cues, kin_warnings = analyze_kinematics(pose, cfg.kinematics)
    warnings = quality_warnings(info, pose) + notes + kin_warnings
    return Analysis(video=info, pose=pose, angles=best_angles(kin), config=cfg,
                    warnings=tuple(warnings), kinematics=kin, events=events, strides=strides,
                    summary=summary, cues=cues)


def analyze_kinematics(pose: PoseSequence, cfg: KinematicsConfig | None = None):
    """The kinematics core on a :class:`PoseSequence` (no video needed; what bench/ times).

    Returns ``(kinematics, events, strides, summary, cues, warnings)``: swap-repaired and
    filtered per-frame angles, gait events, per-stride metrics, the verdict, coaching cues
    and plain-language quality warnings (never raised).
    """
    cfg = cfg or KinematicsConfig()
    kin = compute_kinematics(pose, cfg)
    events, _contact, _height = detect_events(kin.xy, pose.times, kin.leg_length_px,
                                              cfg.contact_threshold, fast_xy=kin.xy_events)
    strides = compute_strides(kin, events, pose.times, cfg.athlete_height_m)
    warns = kinematics_warnings(pose, kin, strides)
    summary = summarise(strides, float(kin.leg_swapped.mean()) if pose.n_frames else 0.0,
                        len(warns))
    cues = make_cues(strides, pose.times)
    return kin, events, strides, summary, cues, warns


def quality_warnings(info: VideoInfo, pose: PoseSequence) -> list[str]:
    """Plain-language warnings about things that limit the analysis (never raised)."""
    out: list[str] = []
    if info.frame_count and pose.n_frames < info.frame_count:
        out.append(f"only {pose.n_frames} of {info.frame_count} frames could be read: "
                   f"the file may be cut off; the readable part was analysed")
    rate = pose.detection_rate
    if rate < LOW_DETECTION_RATE:
        out.append(f"the athlete was found in only {rate:.0%} of frames: film closer, "
                   f"side-on, with the whole body in view")
    if info.capture_fps and info.slowmo_factor == 1.0 and info.capture_fps > 1.5 * info.fps:
        factor = info.capture_fps / info.fps
        out.append(f"the clip was captured at {info.capture_fps:.0f} fps but plays at "
                   f"{info.fps:.0f} fps: if it is slow motion, give the factor "
                   f"(--slowmo {factor:.0f}) so times are real seconds")
    return out
