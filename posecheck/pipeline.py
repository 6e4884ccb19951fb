"""The one entry point: :func:`analyze_video` (CLI and app are thin layers over it), and
the one module that wires the stages (``docs/architecture.md``): video → pose → signals →
kinematics → gait → assess. Reports and comparisons are made from its
:class:`~posecheck.types.Analysis` by :mod:`posecheck.report` and :mod:`posecheck.compare`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from posecheck.config import Config, KinematicsConfig
from posecheck.cores import usable_cores
from posecheck.errors import NoPersonDetected, UnsupportedVideo
from posecheck.types import Analysis, PoseSequence, VideoInfo
from posecheck.video import reader as video_io                       # 1. decode
from posecheck.pose.parallel import estimate_video                   # 2. pose (threads)
from posecheck.pose.heap import limit_arenas
from posecheck.pose.refine import estimate_fused                     #    + MoveNet on the crop
from posecheck.kinematics.chain import best_angles, compute_kinematics  # 3-4. signals, angles
from posecheck.kinematics.legs import swap_legs
from posecheck.gait.events import detect_events                      # 5. gait
from posecheck.gait.start import events_after_start, find_block_start
from posecheck.gait.strides import compute_strides
from posecheck.assess.quality import kinematics_warnings             # 6. assess
from posecheck.assess.timing import check_time, flight_slowdown, implausible_for_real_time
from posecheck.assess.cues import make_cues
from posecheck.assess.phase import clip_phase, label_phases
from posecheck.assess.symmetry import cadence_by_leg, hamstring_by_leg, left_right
from posecheck.assess.verdict import judged, summarise
from posecheck.video.repeats import repeat_factor
from posecheck.warmup import numba_cache_cold, start_warm_up

#: progress(stage, done, total): stage is a short label ("pose", "video"); total 0 = unknown.
Progress = Callable[[str, int, int], None]

MIN_FRAMES = 3
LOW_DETECTION_RATE = 0.9
WARM_UP_AT = 0.85  #: the numba kernels are loaded once this share of the pose pass is done


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
    # fewer malloc arenas before the threads start: less memory held (posecheck.pose.heap)
    limit_arenas(max(2, usable_cores()))
    info = video_io.probe(path, slowmo_factor=cfg.video.slowmo_factor)
    video_io.check_analysable(info)  # too small / too large frames: UnsupportedVideo
    notes: list[str] = []  # e.g. several people found, which one was analysed
    # numba: load (or, first run after install, compile in another process) the kinematics
    # kernels while the pose pass runs, so the kinematics step after it does not wait.
    # Loading (~0.2 s, ~55 MB) waits for the pass's last WARM_UP_AT: its memory then comes
    # when the landmarkers of a crowded clip are being closed, not on top of their peak
    cold = numba_cache_cold()
    warm = [start_warm_up(analyze_kinematics, in_process=False) if cold else None]

    def frame_progress(done: int, total: int) -> None:
        if warm[0] is None and total and done >= WARM_UP_AT * total:
            warm[0] = start_warm_up(analyze_kinematics, in_process=True)
        if progress is not None:
            progress("pose", done, total)
    try:
        # one stream here, or chunks on worker threads (posecheck.pose.parallel; --workers)
        if cfg.pose.movenet_model is None:
            pose = estimate_video(path, info, cfg.pose, progress=frame_progress, notes=notes)
        else:  # fused modes: MoveNet on the athlete's crop in the same pass, fused
            pose = estimate_fused(path, info, cfg.pose, progress=frame_progress, notes=notes)
    finally:
        if warm[0] is None:  # (no progress reported: a pass that ended early)
            warm[0] = start_warm_up(analyze_kinematics, in_process=True)
        warm[0].join()
    if pose.n_frames < MIN_FRAMES:
        raise UnsupportedVideo(
            f"{Path(path).name} has only {pose.n_frames} readable frame(s); "
            f"posecheck needs a clip of at least a second")
    if not pose.detected.any():
        raise NoPersonDetected(
            f"no person found in {Path(path).name}; film the athlete side-on with the whole "
            f"body in view")
    # is time real? repeated pictures are analysed once; slowed footage is re-timed
    # (repeats) or flagged (flight physics; posecheck.assess.timing)
    repeat = repeat_factor(pose.repeated)
    if repeat > 1.0:
        pose = pose.unique_frames_only()
    elif pose.repeated.any():  # a still scene, a dropped frame: not repeated footage
        pose = replace(pose, repeated=None)
    kin, events, strides, start = measure_kinematics(pose, cfg.kinematics)
    timing = check_time(repeat, flight_slowdown(kin, events, pose.times,
                                                cfg.kinematics.athlete_height_m,
                                                background_dy(pose)),
                        cfg.video.slowmo_factor, implausible_for_real_time(strides))
    if timing.retime != 1.0:
        pose = pose.retimed(timing.retime)
        kin, events, strides, start = measure_kinematics(pose, cfg.kinematics)
    # a slowed clip's times are not real: no phase, no time-based judgement
    strides, summary, cues, kin_warnings = assess_strides(pose, kin, strides, timing.slowed,
                                                          start)
    warnings = quality_warnings(info, pose) + notes + list(timing.notes) + kin_warnings
    return Analysis(video=info, pose=pose, angles=best_angles(kin), config=cfg,
                    warnings=tuple(warnings), kinematics=kin, events=events, strides=strides,
                    summary=summary, cues=cues, timing=timing)


def analyze_kinematics(pose: PoseSequence, cfg: KinematicsConfig | None = None,
                       slowed: bool = False):
    """The kinematics core on a :class:`PoseSequence` (no video needed; what bench/ times):
    :func:`measure_kinematics` then :func:`assess_strides`.

    Returns ``(kinematics, events, strides, summary, cues, warnings)``: swap-repaired and
    filtered per-frame angles, gait events, per-stride metrics labelled by phase, the
    summary (phase, style verdict, left/right, hamstring), cues and plain-language quality
    warnings (never raised). ``slowed``: the clip's time base is known not to be real
    (phase ``unknown``, no time-based judgement).
    """
    kin, events, strides, start = measure_kinematics(pose, cfg)
    return (kin, events) + assess_strides(pose, kin, strides, slowed, start)


def background_dy(pose: PoseSequence) -> np.ndarray | None:
    """(n,) the camera's vertical motion in the picture (``pose.background`` y), or None."""
    return None if pose.background is None else pose.background[:, 1]


def measure_kinematics(pose: PoseSequence, cfg: KinematicsConfig | None = None):
    """``(kinematics, events, strides, start)``: per-frame kinematics, gait events and
    per-stride metrics (strides not yet labelled by phase), and the set position and block
    exit if the clip shows a crouch start (:mod:`posecheck.gait.start`; ``None`` if not),
    before which no event is kept."""
    cfg = cfg or KinematicsConfig()
    kin = compute_kinematics(pose, cfg)
    events, _contact, _height = detect_events(kin.xy, pose.times, kin.leg_length_px,
                                              cfg.contact_threshold, fast_xy=kin.xy_events,
                                              visibility=swap_legs(pose.visibility,
                                                                   kin.leg_swapped),
                                              background_dy=background_dy(pose),
                                              smoothed=pose.smoothed)
    start = find_block_start(kin, pose.times, pose.xy, events)
    frame_s = 1.0 / kin.sampling_rate_hz if kin.sampling_rate_hz > 0 else 0.0
    events = events_after_start(events, start, frame_s)
    return kin, events, compute_strides(kin, events, pose.times, cfg.athlete_height_m), start


def assess_strides(pose: PoseSequence, kin, strides, slowed: bool = False, start=None):
    """``(strides, summary, cues, warnings)``: the strides labelled by phase, the summary
    (with the block ``start``, if any), cues and quality warnings (see
    :func:`analyze_kinematics`)."""
    strides = label_phases(strides)
    warns = kinematics_warnings(pose, kin, strides)
    phase, counts = clip_phase(strides, slowed)
    frame_s = 1.0 / kin.sampling_rate_hz if kin.sampling_rate_hz > 0 else 0.0
    summary = summarise(strides, float(kin.leg_swapped.mean()) if pose.n_frames else 0.0,
                        len(warns), pose.model, phase, counts, frame_s=frame_s)
    summary = replace(summary, start=start)
    summary = replace(summary, left_right={**left_right(judged(strides) or strides, frame_s),
                                           **cadence_by_leg(summary.cadence, frame_s)},
                      hamstring=hamstring_by_leg(judged(strides) or strides))
    cues = make_cues(strides, pose.times, pose.model, phase)
    return strides, summary, cues, warns


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
