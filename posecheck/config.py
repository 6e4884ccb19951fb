"""Analysis settings as nested frozen dataclasses (no dicts).

Build one with keyword arguments and :func:`dataclasses.replace`, e.g.::

    cfg = Config(pose=PoseConfig(model="lite"), video=VideoConfig(slowmo_factor=8))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

#: MediaPipe Pose Landmarker variants (``pose_landmarker_<variant>.task``)
MEDIAPIPE_VARIANTS = ("lite", "full", "heavy")
#: pose modes (``--model``): mode -> (MediaPipe variant that finds and tracks the people and
#: supplies feet and face, MoveNet variant run on the athlete's crop and fused with it or
#: ``None``); see :mod:`posecheck.pose.refine` and docs/metrics.md §8
POSE_MODES: dict[str, tuple[str, str | None]] = {
    "lite": ("lite", None), "full": ("full", None), "heavy": ("heavy", None),
    "fused": ("full", "lightning"), "precise": ("heavy", "lightning"),
}
MODEL_VARIANTS = tuple(POSE_MODES)
#: what each mode is, for ``--help`` and the app
MODEL_TEXT: dict[str, str] = {
    "lite": "fastest (MediaPipe lite alone, least accurate)",
    "full": "MediaPipe full alone",
    "heavy": "MediaPipe heavy alone (slow)",
    "fused": "MediaPipe full + MoveNet Lightning on the athlete's crop",
    "precise": "MediaPipe heavy + MoveNet Lightning on the athlete's crop (slowest, most "
               "accurate, best foot timing; needs `posecheck models fetch heavy`)",
}
#: the default mode (chosen by measurement, docs/metrics.md §8)
DEFAULT_MODEL = "fused"
#: who to analyse when several people are in view (see :mod:`posecheck.pose.choice`)
ATHLETE_RULES = ("auto", "largest", "longest", "leftmost", "rightmost", "top", "bottom")


@dataclass(frozen=True)
class VideoConfig:
    """How to read the clip.

    Attributes:
        slowmo_factor: real-time factor; file seconds are divided by it to give real seconds
            (a 240 fps capture exported at 30 fps has factor 8). ``None`` = 1 (real time).
    """

    slowmo_factor: float | None = None

    def __post_init__(self) -> None:
        if self.slowmo_factor is not None and not (0.01 <= self.slowmo_factor <= 100):
            raise ValueError("slowmo_factor must be between 0.01 and 100")


@dataclass(frozen=True)
class PoseConfig:
    """Pose model settings.

    Attributes:
        model: pose mode, one of :data:`MODEL_VARIANTS` (default :data:`DEFAULT_MODEL`):
            ``lite``, ``full``, ``heavy`` = that MediaPipe model alone; ``fused`` /
            ``precise`` = MediaPipe full / heavy plus MoveNet Lightning on the athlete's
            crop (:data:`POSE_MODES`; heavy is built on request: ``posecheck models fetch
            heavy``).
        model_dir: directory with ``pose_landmarker_<variant>.task``; ``None`` = search
            ``$POSECHECK_MODEL_DIR``, the package's models, the user cache
            (:func:`posecheck.pose.models.resolve_model`).
        min_detection_confidence, min_presence_confidence, min_tracking_confidence:
            MediaPipe thresholds in [0, 1].
        athlete: which person to analyse when several are found (see
            :mod:`posecheck.pose.tracking`): ``auto`` (tracked longest and largest), ``largest``,
            ``longest``, ``leftmost``, ``rightmost``, ``top``, ``bottom``.
        max_people: at most this many people are tracked at once (1-6).
        roi_search: search zoomed tiles of the frame when the whole-frame detector finds
            nobody (far-away athletes); off = whole-frame detection only.
        workers: worker threads for pose inference and the annotated video (``None`` or
            0 = the usable cores, fewer for short clips; 1 = a single stream in this
            process; see :mod:`posecheck.pose.parallel`).
        landmark_net: follow the athlete (every person on the full pose path) with
            MediaPipe's landmark network run directly, without the segmentation head
            MediaPipe computes and discards (:mod:`posecheck.pose.landmark_net`, ``lite`` and
            ``full``; on by default: ~1.4x less CPU a frame, and its unsmoothed landmarks,
            with their own foot event timing, measured better events, hip angles and step
            frequency, docs/metrics.md §8c-8d); off = MediaPipe's own VIDEO-mode landmarker
            on every frame (temporally smoothed landmarks). ``heavy`` has no network and
            always uses the landmarker.
        person: ``0`` (default) = choose the athlete by ``athlete``; ``k >= 1`` = analyse
            the k-th person tracked long enough, in the order they appear, larger first
            (:func:`posecheck.pose.choice.people_in_order`; ``posecheck batch --athlete all``).
    """

    model: str = DEFAULT_MODEL
    model_dir: Path | None = None
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    athlete: str = "auto"
    max_people: int = 3
    roi_search: bool = True
    workers: int | None = None
    person: int = 0
    landmark_net: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.person, int) or not 0 <= self.person <= 99:
            raise ValueError("person must be 0 (choose by athlete) or 1-99")
        if self.athlete not in ATHLETE_RULES:
            raise ValueError(f"athlete must be one of {', '.join(ATHLETE_RULES)}, not {self.athlete!r}")
        if self.workers is not None and not 0 <= self.workers <= 64:
            raise ValueError("workers must be between 0 (auto) and 64")
        if not 1 <= self.max_people <= 6:
            raise ValueError("max_people must be between 1 and 6")
        if self.model not in MODEL_VARIANTS:
            raise ValueError(f"model must be one of {', '.join(MODEL_VARIANTS)}, not {self.model!r}")
        for name in ("min_detection_confidence", "min_presence_confidence", "min_tracking_confidence"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")

    @property
    def mediapipe_model(self) -> str:
        """The MediaPipe variant this mode runs (``lite``, ``full`` or ``heavy``)."""
        return POSE_MODES[self.model][0]

    @property
    def movenet_model(self) -> str | None:
        """The MoveNet variant run on the athlete's crop (``None``: MediaPipe only)."""
        return POSE_MODES[self.model][1]


@dataclass(frozen=True)
class OutputConfig:
    """What to export.

    Attributes:
        video: write ``annotated.mp4``.
        max_video_height: downscale the annotated video to at most this many lines
            (``None`` = original resolution).
    """

    video: bool = True
    max_video_height: int | None = None

    def __post_init__(self) -> None:
        if self.max_video_height is not None and self.max_video_height < 64:
            raise ValueError("max_video_height must be at least 64 pixels")


@dataclass(frozen=True)
class FilterConfig:
    """Settings of :func:`posecheck.signals.filtering.smooth_pose`. All times in real seconds, frequencies in real Hz.

    Attributes:
        cutoff_hz: -3 dB cut-off of the whole zero-lag low-pass (after the two-pass
            correction). ``None`` disables low-pass filtering. Default 10 Hz (see docs).
        order: order of the Butterworth filter applied in *each* of the two passes
            (2 = the classic biomechanics "4th-order zero-lag" filter).
        max_gap_s: bridge NaN runs whose surrounding finite samples are at most this many
            seconds apart; ``0`` disables gap filling.
        hampel_window_s: full length of the Hampel window; ``None`` disables outlier
            rejection. Converted to ``half = max(3, round(window_s * fs / 2))`` samples.
        hampel_k: threshold in robust standard deviations (k · 1.4826 · MAD). The test runs
            on the residual from a low-pass trend at ``min(cutoff_hz, fs / 8)`` Hz
            (``trend_hz`` of :func:`hampel`), or on the raw values when ``cutoff_hz`` is
            ``None``.
        hampel_min_dev: floor of the Hampel threshold in the series' units (pixels for
            landmarks), so that sub-pixel wiggles in near-constant windows (MAD ≈ 0, e.g.
            duplicated frames) are never called outliers.
        jitter_tol: largest relative deviation of a frame interval from the median one that
            is filtered as if uniform; runs with more irregular times are resampled.
        min_visibility: landmarks with MediaPipe visibility below this are treated as
            missing before anything else; ``None`` keeps every detected landmark.
    """

    cutoff_hz: float | None = 10.0
    order: int = 2
    max_gap_s: float = 0.1
    hampel_window_s: float | None = 0.2
    hampel_k: float = 3.0
    hampel_min_dev: float = 1.0
    jitter_tol: float = 0.05
    min_visibility: float | None = None

    def __post_init__(self) -> None:
        if self.cutoff_hz is not None and not (math.isfinite(self.cutoff_hz) and self.cutoff_hz > 0):
            raise ValueError(f"cutoff_hz must be a positive number of Hz or None, got {self.cutoff_hz!r}")
        if not isinstance(self.order, int) or not 1 <= self.order <= 8:
            raise ValueError(f"order must be an integer from 1 to 8, got {self.order!r}")
        if not (math.isfinite(self.max_gap_s) and self.max_gap_s >= 0):
            raise ValueError(f"max_gap_s must be >= 0 seconds, got {self.max_gap_s!r}")
        if self.hampel_window_s is not None and not (
                math.isfinite(self.hampel_window_s) and self.hampel_window_s > 0):
            raise ValueError(f"hampel_window_s must be > 0 seconds or None, got {self.hampel_window_s!r}")
        if not (math.isfinite(self.hampel_k) and self.hampel_k > 0):
            raise ValueError(f"hampel_k must be > 0, got {self.hampel_k!r}")
        if not (math.isfinite(self.hampel_min_dev) and self.hampel_min_dev >= 0):
            raise ValueError(f"hampel_min_dev must be >= 0, got {self.hampel_min_dev!r}")
        if not (math.isfinite(self.jitter_tol) and self.jitter_tol >= 0):
            raise ValueError(f"jitter_tol must be >= 0, got {self.jitter_tol!r}")
        if self.min_visibility is not None and not 0.0 <= self.min_visibility <= 1.0:
            raise ValueError(f"min_visibility must be in [0, 1] or None, got {self.min_visibility!r}")


@dataclass(frozen=True)
class KinematicsConfig:
    """Signal conditioning, leg identity and gait-event settings (``docs/metrics.md``).

    Attributes:
        filter: :class:`posecheck.config.FilterConfig` (Hampel, gap fill ≤ 0.1 s,
            10 Hz zero-lag Butterworth at the clip's real frame rate).
        repair_leg_swaps: detect and undo MediaPipe's left/right leg swaps.
        swap_switch_cost, swap_cost_per_s: Viterbi costs of :mod:`posecheck.kinematics.legs`.
        athlete_height_m: the athlete's standing height in metres; gives step length in
            metres (``None``: leg lengths only).
        contact_threshold: foot height above the ground line, in leg lengths, below which the
            foot counts as on the ground.
        restore_shank_length: move knee and ankle landmarks apart to the clip's reference
            shank length where the pose model shortened the shank
            (:func:`posecheck.kinematics.segments.restore_shank_length`).
    """

    filter: FilterConfig = field(default_factory=FilterConfig)
    repair_leg_swaps: bool = True
    swap_switch_cost: float = 0.4
    swap_cost_per_s: float = 12.0
    athlete_height_m: float | None = None
    contact_threshold: float = 0.04
    restore_shank_length: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.filter, FilterConfig):
            raise ValueError("filter must be a posecheck.config.FilterConfig")
        if self.athlete_height_m is not None and not 1.0 <= self.athlete_height_m <= 2.5:
            raise ValueError("athlete_height_m must be between 1.0 and 2.5 metres")
        if not 0.0 < self.contact_threshold < 0.3:
            raise ValueError("contact_threshold must be in (0, 0.3) leg lengths")
        if self.swap_switch_cost < 0 or self.swap_cost_per_s < 0:
            raise ValueError("swap costs must be >= 0")
        if not isinstance(self.restore_shank_length, bool):
            raise ValueError("restore_shank_length must be True or False")


@dataclass(frozen=True)
class Config:
    """All analysis settings."""

    video: VideoConfig = field(default_factory=VideoConfig)
    pose: PoseConfig = field(default_factory=PoseConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    kinematics: KinematicsConfig = field(default_factory=KinematicsConfig)
