"""Small frozen dataclasses that carry data between posecheck's stages.

Conventions used throughout:

* image coordinates are pixels of the upright (rotation-applied) frame, x to the right,
  y **down**, origin at the top-left corner;
* times are real seconds from the first decoded frame (slow-motion factor already applied);
* a row of a per-frame array is one decoded frame; frames without a detected person are NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

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


def check_landmark_xy(xy) -> np.ndarray:
    """``xy`` as a float64 (n, 33, 2) array of landmark pixels; ValueError for any other
    shape (the input check of every function that takes a clip's landmarks)."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (N_LANDMARKS, 2):
        raise ValueError(f"xy must have shape (n, {N_LANDMARKS}, 2), got {xy.shape}")
    return xy

#: Bones drawn on the annotated video, as pairs of landmark ids.
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 23), (12, 24), (23, 24),            # trunk
    (11, 13), (13, 15), (12, 14), (14, 16),            # arms
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),  # left leg and foot
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),  # right leg and foot
)


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`posecheck.video.reader.probe` learns about a clip.

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
        model: pose mode that made it (:data:`posecheck.config.MODEL_VARIANTS`: ``lite``,
            ``full``, ``heavy`` MediaPipe alone; ``fused``, ``precise`` with MoveNet).
        repeated: (n_frames,) bool, the frame repeats the picture of the one before it
            (:mod:`posecheck.video.repeats`); ``None`` = no frame does.
        background: (n_frames, 2) float64 image displacement (pixels, x right, y down) of
            the static background since the first frame: the camera's pan and shake
            (:mod:`posecheck.video.motion`); ``None`` = not measured (treated as a still
            camera).
        smoothed: the landmarks went through the pose landmarker's temporal smoothing
            (MediaPipe's VIDEO mode: they lag the body by a few ms and round a landing
            off), ``False`` when the landmark network followed the athlete frame by frame
            (:mod:`posecheck.pose.landmark_net`). The event timing depends on it
            (:func:`posecheck.gait.events.detect_events`).
    """

    xy: np.ndarray
    z: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    times: np.ndarray
    frame_size: tuple[int, int]
    model: str = "full"
    repeated: np.ndarray | None = None
    background: np.ndarray | None = None
    smoothed: bool = True

    def __post_init__(self) -> None:
        n = self.times.shape[0]
        rep = np.zeros(n, bool) if self.repeated is None else np.asarray(self.repeated, bool)
        if rep.shape != (n,):
            raise ValueError(f"PoseSequence.repeated has shape {rep.shape}, expected {(n,)}")
        object.__setattr__(self, "repeated", rep)
        if self.background is not None:
            bg = np.asarray(self.background, dtype=np.float64)
            if bg.shape != (n, 2) or not np.isfinite(bg).all():
                raise ValueError(f"PoseSequence.background must be finite with shape {(n, 2)}, "
                                 f"got {bg.shape}")
            object.__setattr__(self, "background", bg)
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
        """Share of the frames with a new picture (not repeats) in which a person was found."""
        new = ~self.repeated
        return float(self.detected[new].mean()) if new.any() else 0.0

    def unique_frames_only(self) -> PoseSequence:
        """The same sequence with the landmarks of repeated frames removed (NaN rows; their
        times stay), so that the analysis sees each picture once, at its first time."""
        if not self.repeated.any():
            return self
        keep = ~self.repeated
        mask = lambda a: np.where(keep.reshape((-1,) + (1,) * (a.ndim - 1)), a, np.nan)  # noqa: E731
        return replace(self, xy=mask(self.xy), z=mask(self.z), visibility=mask(self.visibility),
                       presence=mask(self.presence), world=mask(self.world))

    def retimed(self, factor: float) -> PoseSequence:
        """The same sequence with every interval divided by ``factor`` (> 0), counted from
        the first frame: a slowed clip's times made real."""
        if not factor > 0:
            raise ValueError(f"factor must be positive, got {factor!r}")
        if factor == 1.0 or self.n_frames == 0:
            return self
        t0 = self.times[0]
        return replace(self, times=t0 + (self.times - t0) / factor)


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
class Kinematics:
    """Per-frame kinematics after leg-swap repair and filtering (``docs/metrics.md``).

    All angles are degrees in the image plane, (n_frames, 2) = [left, right] (the athlete's
    own sides), NaN where landmarks are missing. Hip flexion, thigh and shank are wrapped
    into fixed ranges that hold every physically possible value
    (``kinematics.ANGLE_RANGE_LOW``), so they are continuous in time.

    Attributes:
        xy: (n, 33, 2) conditioned landmark pixels (swap-repaired, Hampel, gap fill, low-pass).
        direction: (n,) int8 running direction per frame (+1 towards +x, −1 towards −x).
        clip_direction: the clip's running direction (+1/−1).
        knee_flexion: 0 = straight, + = bent.
        hip_flexion: thigh vs trunk line, + = thigh ahead (flexion).
        thigh: hip → knee from the downward vertical, + = knee ahead of the hip.
        shank: ankle → knee from the upward vertical, + = knee ahead of the ankle.
        ankle: 90° − angle(shank, foot heel → toe); + dorsiflexed, − plantarflexed.
        trunk_lean: (n,) hip midpoint → shoulder midpoint from the upward vertical,
            + = shoulders ahead (forward lean).
        hamstring: (n, 2, 3) normalised musculotendon length (1 = upright) per side of
            [biceps femoris long head, semimembranosus, semitendinosus].
        knee_flexion_raw, hip_flexion_raw: (n, 2) the same angles from the raw landmarks
            (leg labels as detected, no filtering; shanks restored as in
            :mod:`posecheck.kinematics.segments`).
        leg_swapped: (n,) bool, frames whose raw left/right leg labels were exchanged.
        filled: (n, 33) bool, landmark interpolated by gap filling.
        leg_length_px: median hip–knee + knee–ankle length (pixels) of the swap-repaired raw
            landmarks, before the shank restore (the unit of lengths in leg lengths).
        sampling_rate_hz: real frames per second used by the filters.
        near_side: ``"right"`` or ``"left"``, the leg facing the camera.
        notes: filter notes (e.g. low-pass skipped).
        xy_events: (n, 33, 2) swap-repaired landmarks with outlier rejection and gap filling
            but no low-pass (feet and hips only; others NaN), for timing gait events
            (``events.detect_events``); ``None`` if not computed.
    """

    xy: np.ndarray
    direction: np.ndarray
    clip_direction: int
    knee_flexion: np.ndarray
    hip_flexion: np.ndarray
    thigh: np.ndarray
    shank: np.ndarray
    ankle: np.ndarray
    trunk_lean: np.ndarray
    hamstring: np.ndarray
    knee_flexion_raw: np.ndarray
    hip_flexion_raw: np.ndarray
    leg_swapped: np.ndarray
    filled: np.ndarray
    leg_length_px: float
    sampling_rate_hz: float
    near_side: str
    notes: tuple[str, ...] = ()
    xy_events: np.ndarray | None = None


@dataclass(frozen=True)
class GaitEvent:
    """A touchdown or toe-off of one foot.

    ``time_s`` is interpolated between frames (real seconds); ``frame`` is the first frame at
    or after it (the first frame in contact for a touchdown, the first airborne frame for a
    toe-off).
    """

    side: str
    kind: str
    time_s: float
    frame: int


@dataclass(frozen=True)
class TimeCheck:
    """What the clip's time base looks like (:mod:`posecheck.assess.timing`).

    Attributes:
        repeat_factor: frames per picture (1.0 = no repeated frames; 3.0 = each picture
            shown three times).
        gravity_factor: the slow-down measured from flight (NaN when the clip has too few
            long flights); ``n_flights``: how many flights it rests on.
        retime: the factor the clip's times were (or are to be) divided by (1 = none).
        slowed: the clip still looks slowed after ``retime``: its times are not real.
        notes: plain-language warnings.
    """

    repeat_factor: float = 1.0
    gravity_factor: float = float("nan")
    n_flights: int = 0
    retime: float = 1.0
    slowed: bool = False
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"repeat_factor": round(self.repeat_factor, 3),
                "flight_slowdown": (None if not math.isfinite(self.gravity_factor)
                                    else round(self.gravity_factor, 3)),
                "flights_measured": self.n_flights, "retimed_by": round(self.retime, 3),
                "looks_slowed": self.slowed}


@dataclass(frozen=True)
class Analysis:
    """Everything :func:`posecheck.analyze_video` produces for one clip.

    ``angles`` holds the best per-frame estimate (swap-repaired, filtered) of the contract's
    knee and hip flexion; ``kinematics`` everything else per frame; ``events`` the gait
    events; ``strides`` one :class:`posecheck.gait.strides.Stride` per swing and leg;
    ``summary`` the verdict (:class:`posecheck.assess.verdict.Summary`); ``cues`` plain-language
    coaching cues (:class:`posecheck.assess.verdict.Cue`); ``timing`` how the clip's time base
    was checked (repeated frames, slowed playback; :class:`TimeCheck`).
    """

    video: VideoInfo
    pose: PoseSequence
    angles: Angles
    config: object
    warnings: tuple[str, ...] = field(default_factory=tuple)
    kinematics: Kinematics | None = None
    events: tuple[GaitEvent, ...] = ()
    strides: tuple = ()
    summary: object | None = None
    cues: tuple = ()
    timing: TimeCheck = field(default_factory=TimeCheck)

    @property
    def times(self) -> np.ndarray:
        return self.pose.times
