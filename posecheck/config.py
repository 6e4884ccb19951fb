"""Analysis settings as nested frozen dataclasses (no dicts).

Build one with keyword arguments and :func:`dataclasses.replace`, e.g.::

    cfg = Config(pose=PoseConfig(model="lite"), video=VideoConfig(slowmo_factor=8))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MODEL_VARIANTS = ("lite", "full", "heavy")


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
        model: ``lite``, ``full`` (default) or ``heavy``.
        model_dir: directory with ``pose_landmarker_<model>.task``; ``None`` = posecheck's
            ``models/`` (or ``$POSECHECK_MODEL_DIR``).
        min_detection_confidence, min_presence_confidence, min_tracking_confidence:
            MediaPipe thresholds in [0, 1].
    """

    model: str = "full"
    model_dir: Path | None = None
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def __post_init__(self) -> None:
        if self.model not in MODEL_VARIANTS:
            raise ValueError(f"model must be one of {', '.join(MODEL_VARIANTS)}, not {self.model!r}")
        for name in ("min_detection_confidence", "min_presence_confidence", "min_tracking_confidence"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")


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
class Config:
    """All analysis settings."""

    video: VideoConfig = field(default_factory=VideoConfig)
    pose: PoseConfig = field(default_factory=PoseConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
