"""The app's analysis settings, independent of Streamlit.

`Settings` holds what the user chose in the sidebar; :meth:`Settings.analysis_key` (the
cache key together with the clip's content hash) covers every field, since each one changes
the analysis or its annotated video.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from posecheck.config import (DEFAULT_MODEL, MODEL_VARIANTS, Config, KinematicsConfig, OutputConfig, PoseConfig,
                              VideoConfig)
from posecheck.types import VideoInfo

#: Annotated-video heights offered in the app (None = the clip's own resolution).
VIDEO_HEIGHTS: tuple[int | None, ...] = (720, 1080, None)


@dataclass(frozen=True)
class Settings:
    """What the user chose.

    Attributes:
        model: pose mode (:data:`posecheck.config.MODEL_VARIANTS`).
        slowmo_factor: real-time factor of a slow-motion clip (1 = real time).
        athlete_height_m: the athlete's standing height in metres, or ``None``; gives step
            length in metres.
        athlete: who to analyse when several people are in view (one of
            :data:`posecheck.pose.choice.ATHLETE_RULES`).
        video_height: line count of the annotated video (``None`` = original).
        person: 0 = choose by ``athlete``; k = the k-th person of a group clip (a library
            session made by ``posecheck batch --athlete all``, opened from the History tab).
    """

    model: str = DEFAULT_MODEL
    slowmo_factor: float = 1.0
    athlete_height_m: float | None = None
    athlete: str = "auto"
    video_height: int | None = 720
    person: int = 0

    def __post_init__(self) -> None:
        if self.model not in MODEL_VARIANTS:
            raise ValueError(f"unknown model {self.model!r}")
        if not 0.01 <= self.slowmo_factor <= 100:
            raise ValueError("slow-motion factor must be between 0.01 and 100")
        if self.athlete_height_m is not None and not 1.0 <= self.athlete_height_m <= 2.5:
            raise ValueError("athlete height must be between 1.0 and 2.5 m")

    def to_config(self) -> Config:
        """The :class:`~posecheck.config.Config` for :func:`posecheck.analyze_video`."""
        slowmo = None if self.slowmo_factor == 1.0 else float(self.slowmo_factor)
        return Config(video=VideoConfig(slowmo_factor=slowmo),
                      pose=PoseConfig(model=self.model, athlete=self.athlete,
                                      person=self.person),
                      output=OutputConfig(video=True, max_video_height=self.video_height),
                      kinematics=KinematicsConfig(athlete_height_m=self.athlete_height_m))

    def analysis_fields(self) -> dict:
        """The settings as a plain dict (what :meth:`analysis_key` hashes)."""
        d = asdict(self)
        if not d["person"]:  # keys of sessions chosen by the rule stay as they were
            del d["person"]
        d["slowmo_factor"] = round(float(d["slowmo_factor"]), 4)
        return d

    def analysis_key(self) -> str:
        """Short stable hex key of :meth:`analysis_fields` (for folder names and caching)."""
        blob = json.dumps(self.analysis_fields(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def suggested_slowmo(info: VideoInfo) -> float | None:
    """The slow-motion factor a capture-fps tag implies, or ``None`` if there is none.

    A clip captured at 240 fps and stored at 30 fps suggests 8; a tag equal to (or close
    to) the file's rate means real time. The factor is rounded to 2 decimals.
    """
    if not info.capture_fps or not info.fps:
        return None
    factor = info.capture_fps / info.fps
    if factor < 1.5:
        return None
    return round(factor, 2)


def settings_of_session(settings: dict, person: int = 0) -> Settings:
    """The app :class:`Settings` of a library session's stored settings
    (:func:`posecheck.library.records.settings_fields`)."""
    pose, video, kin = settings.get("pose", {}), settings.get("video", {}), settings.get("kinematics", {})
    return Settings(model=pose.get("model", DEFAULT_MODEL),
                    slowmo_factor=float(video.get("slowmo_factor") or 1.0),
                    athlete_height_m=kin.get("athlete_height_m"),
                    athlete=pose.get("athlete", "auto"), person=int(person or 0))
