"""Small frozen dataclasses that carry data between posecheck's stages.

Conventions used throughout:

* image coordinates are pixels of the upright (rotation-applied) frame, x to the right,
  y **down**, origin at the top-left corner;
* times are real seconds from the first decoded frame (slow-motion factor already applied);
* a row of a per-frame array is one decoded frame; frames without a detected person are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: MediaPipe BlazePose landmark names, index = landmark id.
LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
LANDMARK_INDEX: dict[str, int] = {n: i for i, n in enumerate(LANDMARK_NAMES)}
N_LANDMARKS = 33

#: Bones drawn on the annotated video, as pairs of landmark ids.
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 23), (12, 24), (23, 24),            # trunk
    (11, 13), (13, 15), (12, 14), (14, 16),            # arms
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),  # left leg and foot
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),  # right leg and foot
)


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`posecheck.video_io.probe` learns about a clip.

    ``width``/``height`` are of the upright frame (after ``rotation_deg`` is applied).
    ``fps`` is the container's average frame rate in *file* time; ``real_fps`` divides by
    nothing and multiplies by ``slowmo_factor`` (a 240 fps capture exported at 30 fps with
    ``slowmo_factor`` 8 has ``real_fps`` 240).
    """

    path: str
    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float
    rotation_deg: int
    codec: str
    pix_fmt: str
    capture_fps: float | None = None
    slowmo_factor: float = 1.0
    variable_frame_rate: bool = False

    @property
    def real_fps(self) -> float:
        """Frames per real second (file fps × slow-motion factor)."""
        return self.fps * self.slowmo_factor

    def to_dict(self) -> dict:
        from dataclasses import asdict

        d = asdict(self)
        d["real_fps"] = self.real_fps
        return d


@dataclass(frozen=True)
class PoseSequence:
    """Pose landmarks of one athlete for every decoded frame.

    Attributes:
        xy: (n_frames, 33, 2) float64 image pixels (x right, y down); NaN where no person.
        z: (n_frames, 33) float64 MediaPipe relative depth, in the same scale as x pixels,
            smaller = nearer the camera; NaN where no person.
        visibility: (n_frames, 33) float64 in [0, 1]; NaN where no person.
        presence: (n_frames, 33) float64 in [0, 1]; NaN where no person.
        world: (n_frames, 33, 3) float64 metres, hip-centred MediaPipe world landmarks.
        times: (n_frames,) float64 real seconds, strictly increasing.
        frame_size: (width, height) of the frames in pixels.
        model: pose model variant, ``lite|full|heavy``.
    """

    xy: np.ndarray
    z: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    times: np.ndarray
    frame_size: tuple[int, int]
    model: str = "full"

    def __post_init__(self) -> None:
        n = self.times.shape[0]
        shapes = {
            "xy": (n, N_LANDMARKS, 2), "z": (n, N_LANDMARKS), "visibility": (n, N_LANDMARKS),
            "presence": (n, N_LANDMARKS), "world": (n, N_LANDMARKS, 3),
        }
        for name, shape in shapes.items():
            got = getattr(self, name).shape
            if got != shape:
                raise ValueError(f"PoseSequence.{name} has shape {got}, expected {shape}")

    @property
    def n_frames(self) -> int:
        return int(self.times.shape[0])

    @property
    def detected(self) -> np.ndarray:
        """(n_frames,) bool: a person was found in the frame."""
        return ~np.isnan(self.xy[:, 0, 0])

    @property
    def detection_rate(self) -> float:
        return float(self.detected.mean()) if self.n_frames else 0.0


@dataclass(frozen=True)
class Angles:
    """Per-frame joint angles in degrees; NaN where the joint is not available.

    Attributes:
        knee_flexion: (n_frames, 2) [left, right]; 180° minus the interior hip–knee–ankle
            angle in the image plane: 0° = straight leg, larger = more bent.
        hip_flexion: (n_frames, 2) [left, right]; signed angle from the trunk line
            (shoulder midpoint → hip midpoint, extended downward) to the thigh (hip → knee):
            0° aligned, positive = thigh ahead of the trunk line in the running direction.
        direction: +1 if the athlete runs to the right of the image (x increasing),
            -1 to the left.
    """

    knee_flexion: np.ndarray
    hip_flexion: np.ndarray
    direction: int


@dataclass(frozen=True)
class Analysis:
    """Everything :func:`posecheck.analyze_video` produces for one clip."""

    video: VideoInfo
    pose: PoseSequence
    angles: Angles
    config: object
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def times(self) -> np.ndarray:
        return self.pose.times
