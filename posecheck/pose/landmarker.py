"""MediaPipe Pose Landmarker (Tasks API) → :class:`PoseSequence`.

This is the only module that imports mediapipe. :func:`estimate_sequence` runs one
IMAGE-mode landmarker for finding people (whole frame and zoomed tiles) and one VIDEO-mode
landmarker per tracked person on a region of interest around them (see
:mod:`posecheck.pose.tracking`), each fed strictly increasing integer-millisecond timestamps taken
from the clip's real time stamps. :class:`PoseEstimator` is the plain whole-frame
single-person landmarker.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from posecheck.pose.heap import release_freed_memory
from posecheck.pose.native_stderr import native_stderr_silenced
from posecheck.types import N_LANDMARKS, PoseSequence

if TYPE_CHECKING:  # config imports the kinematics stack (scipy, numba): not in workers
    from posecheck.config import PoseConfig

_CREATE_LOCK = threading.Lock()  # one landmarker built at a time (see _one_core_if)
#: read MediaPipe's C results straight into arrays (see ``_Landmarker._detect_raw``)
FAST_RESULTS = True

#: progress(done_frames, total_frames_or_0)
FrameProgress = Callable[[int, int], None]


def _timestamp_ms(time_s: float, last_ms: int) -> int:
    """Integer milliseconds for MediaPipe, forced strictly increasing (≥ last + 1)."""
    ms = int(round(time_s * 1000.0))
    return ms if ms > last_ms else last_ms + 1


@contextlib.contextmanager
def _one_core_if(enabled: bool) -> Iterator[None]:
    """While creating a landmarker: the creating thread may use one core only, so XNNPACK
    sizes its thread pool for one core (it counts the usable cores then; the graph's
    threads inherit the mask); every thread gets all cores back afterwards. Callers hold
    ``_CREATE_LOCK``, so no other landmarker is being built meanwhile."""
    try:
        cores = os.sched_getaffinity(0) if enabled else None
    except (AttributeError, OSError):
        cores = None
    if not cores or len(cores) < 2:
        yield
        return
    try:
        os.sched_setaffinity(0, {min(cores)})
    except OSError:
        yield
        return
    try:
        yield
    finally:
        # threads started meanwhile (the graph's executor) inherited the one core: free all
        for tid in [0] + [int(t) for t in os.listdir("/proc/self/task")]:
            try:
                os.sched_setaffinity(tid, cores)
            except OSError:
                pass


_DTYPES: dict[type, np.dtype] = {}
_LANDMARK_FIELDS = {"x": "<f4", "y": "<f4", "z": "<f4", "has_visibility": "?",
                    "visibility": "<f4", "has_presence": "?", "presence": "<f4"}


def _landmark_dtype(struct: type) -> np.dtype:
    """NumPy dtype of a MediaPipe landmark ctypes struct (AttributeError if a field is missing)."""
    dt = _DTYPES.get(struct)
    if dt is None:
        types = dict(struct._fields_)
        for f, fmt in _LANDMARK_FIELDS.items():
            if types.get(f) is not (ctypes.c_bool if fmt == "?" else ctypes.c_float):
                raise AttributeError(f"{struct.__name__}.{f} is not what posecheck reads")
        dt = np.dtype({"names": list(_LANDMARK_FIELDS), "formats": list(_LANDMARK_FIELDS.values()),
                       "offsets": [getattr(struct, f).offset for f in _LANDMARK_FIELDS],
                       "itemsize": ctypes.sizeof(struct)})
        _DTYPES[struct] = dt
    return dt


def _struct_array(pointer, n: int) -> np.ndarray:
    """The ``n`` MediaPipe landmark structs at ``pointer`` as a NumPy structured array (a
    view of the C memory: copy before the result is closed). The dtype takes its field
    offsets and item size from the ctypes struct, so padding matches the C layout."""
    dt = _landmark_dtype(pointer._type_)
    buf = (ctypes.c_char * (n * dt.itemsize)).from_address(ctypes.addressof(pointer.contents))
    return np.frombuffer(buf, dtype=dt, count=n)


class PoseEstimator:
    """One MediaPipe landmarker for one clip; use as a context manager.

    ``estimate(rgb, time_s)`` returns per-frame arrays for the most prominent person, or
    ``None`` if nobody is detected:
    ``xy`` (33, 2) pixels, ``z`` (33,) same scale as x pixels, ``visibility`` (33,),
    ``presence`` (33,), ``world`` (33, 3) metres.
    """

    def __init__(self, config: PoseConfig | None = None):
        from posecheck.config import PoseConfig
        from posecheck.pose.models import resolve_model

        self.config = config or PoseConfig()
        self.model_path: Path = resolve_model(self.config.model, self.config.model_dir)
        self._landmarker = None
        self._last_ms = -1
        self._frames_seen = 0

    def __enter__(self) -> "PoseEstimator":
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        cfg = self.config
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=cfg.min_detection_confidence,
            min_pose_presence_confidence=cfg.min_presence_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
        )
        os.environ.setdefault("GLOG_minloglevel", "2")
        with native_stderr_silenced():
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        return self

    def __exit__(self, *exc) -> None:
        if self._landmarker is not None:
            with native_stderr_silenced():  # native lines come with the close too
                self._landmarker.close()
            self._landmarker = None

    def estimate(self, rgb: np.ndarray, time_s: float) -> dict[str, np.ndarray] | None:
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator must be used inside a 'with' block")
        h, w = rgb.shape[:2]
        ms = _timestamp_ms(time_s, self._last_ms)
        self._last_ms = ms
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                               data=np.ascontiguousarray(rgb))
        if self._frames_seen < 2:  # native warnings come with the first frames only
            with native_stderr_silenced():
                result = self._landmarker.detect_for_video(image, ms)
        else:
            result = self._landmarker.detect_for_video(image, ms)
        self._frames_seen += 1
        if not result.pose_landmarks:
            return None
        lms = result.pose_landmarks[0]
        raw = np.array([(p.x, p.y, p.z, p.visibility, p.presence) for p in lms], dtype=np.float64)
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]],
                         dtype=np.float64)
        return {
            "xy": raw[:, :2] * np.array([w, h], dtype=np.float64),
            "z": raw[:, 2] * w,
            "visibility": np.nan_to_num(raw[:, 3], nan=0.0),
            "presence": np.nan_to_num(raw[:, 4], nan=0.0),
            "world": world,
        }


class _Landmarker:
    """A MediaPipe PoseLandmarker returning raw poses: list of (33, 8) arrays of
    x_norm, y_norm, z_norm, visibility, presence, world x, y, z (see :mod:`posecheck.pose.tracking`).
    VIDEO mode needs strictly increasing ``ms``; IMAGE mode ignores it."""

    def __init__(self, config: PoseConfig, model_path: Path, video: bool, num_poses: int,
                 one_thread: bool = False):
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        self._video = video
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_poses=num_poses,
            min_pose_detection_confidence=config.min_detection_confidence,
            min_pose_presence_confidence=config.min_presence_confidence,
            min_tracking_confidence=config.min_tracking_confidence,
        )
        os.environ.setdefault("GLOG_minloglevel", "2")
        with _CREATE_LOCK, native_stderr_silenced(), _one_core_if(one_thread):
            self._lm = vision.PoseLandmarker.create_from_options(options)
        self._calls = self._hits = 0

    def detect(self, rgb: np.ndarray, ms: int) -> list[np.ndarray]:
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                               data=np.ascontiguousarray(rgb))
        # native warnings come with the first calls and the first calls that find a person
        quiet = self._calls < 2 or self._hits < 2
        with (native_stderr_silenced() if quiet else contextlib.nullcontext()):
            out = self._detect_raw(image, ms) if FAST_RESULTS else None
            if out is None:
                result = (self._lm.detect_for_video(image, ms) if self._video
                          else self._lm.detect(image))
                out = [np.array([(p.x, p.y, p.z, p.visibility, p.presence, w.x, w.y, w.z)
                                 for p, w in zip(lms, world)], dtype=np.float64)
                       for lms, world in zip(result.pose_landmarks, result.pose_world_landmarks)]
        self._calls += 1
        self._hits += bool(out)
        return out

    def _detect_raw(self, image, ms: int) -> list[np.ndarray] | None:
        """``detect`` reading MediaPipe's C result straight into arrays, or None when this
        MediaPipe build's internals differ (then the public API is used).

        The public ``detect_for_video`` turns the 2 x 33 landmarks into Python objects
        (``NormalizedLandmark.from_ctypes``) and we turn those into an array again: ~1.5 ms
        per frame while holding the GIL, which stalls the other pose threads
        (:mod:`posecheck.pose.parallel`). The same C call (with MediaPipe's own error check)
        followed by one structured-array copy gives the same float32 values."""
        lm = self._lm
        try:
            from mediapipe.tasks.python.components.containers import landmark_c
            from mediapipe.tasks.python.vision.pose_landmarker import MpPoseLandmarkerResultC

            for struct in (landmark_c.MpNormalizedLandmarkC, landmark_c.MpLandmarkC):
                _landmark_dtype(struct)  # the fields we read are all there
            lib, handle, c_image = lm._lib, lm._handle, image._image_ptr
            run = lib.MpPoseLandmarkerDetectForVideo if self._video else lib.MpPoseLandmarkerDetectImage
            close = lib.MpPoseLandmarkerCloseResult
        except (ImportError, AttributeError):
            return None
        res = MpPoseLandmarkerResultC()
        if self._video:
            run(handle, c_image, None, ms, ctypes.byref(res))
        else:
            run(handle, c_image, None, ctypes.byref(res))
        try:
            out = []
            for i in range(min(res.pose_landmarks_count, res.pose_world_landmarks_count)):
                img_c, world_c = res.pose_landmarks[i], res.pose_world_landmarks[i]
                n = min(img_c.landmarks_count, world_c.landmarks_count)
                if n == 0:
                    out.append(np.zeros((0, 8)))
                    continue
                a = _struct_array(img_c.landmarks, n)
                w = _struct_array(world_c.landmarks, n)
                arr = np.empty((n, 8))
                arr[:, 0], arr[:, 1], arr[:, 2] = a["x"], a["y"], a["z"]
                arr[:, 3] = np.where(a["has_visibility"], a["visibility"], np.nan)
                arr[:, 4] = np.where(a["has_presence"], a["presence"], np.nan)
                arr[:, 5], arr[:, 6], arr[:, 7] = w["x"], w["y"], w["z"]
                out.append(arr)
            return out
        finally:
            close(ctypes.byref(res))

    def close(self) -> None:
        if self._lm is not None:
            with native_stderr_silenced():  # native lines come with the close too
                self._lm.close()
            self._lm = None
            release_freed_memory()  # (glibc keeps freed pages mapped otherwise)


def track_frames(
    frames: Iterable[tuple[int, float, np.ndarray]],
    config: PoseConfig,
    total: int = 0,
    progress: FrameProgress | None = None,
    model_path: Path | None = None,
    one_thread: bool = False,
    after_frame=None,
    image_landmarker=None,
    video_pool=None,
):
    """Find and track every person in ``frames`` (the per-frame pass of
    :func:`estimate_sequence`, also run on each chunk of :mod:`posecheck.pose.parallel`).

    Returns ``(indices, times, tracks, size)``: the file index and real time of each frame
    received (lists, one per row), the tracker's tracks (rows = positions in ``indices``)
    and the frame size ``(width, height)`` (``None`` if no frame came). ``config`` may be
    any object with :class:`PoseConfig`'s attributes; ``model_path`` = the verified model
    (default: resolved from ``config``); ``one_thread``: landmarkers with a one-thread
    inference pool (for several streams at once, each filling a core); ``after_frame(tracker,
    row, file_index, rgb, repeated)``: called after each frame is tracked, with the frame
    (``repeated`` from ``frames.flags`` of a :class:`posecheck.video.repeats.RepeatMarker`,
    else False; :class:`posecheck.pose.movenet_hook.CropHook`); ``image_landmarker``: factory
    of the IMAGE-mode landmarker (default: one of this stream's own;
    :func:`shared_image_landmarker` for one shared by several streams); ``video_pool``: a
    :class:`posecheck.pose.follow.LandmarkerPool` of spare VIDEO landmarkers shared by
    several streams (:func:`shared_video_pool`; default: the tracker's own).
    """
    from posecheck.pose.landmark_net import net_for
    from posecheck.pose.tracking import AthleteTracker

    cfg = config
    if model_path is None:
        from posecheck.pose.models import resolve_model

        model_path = resolve_model(cfg.model, cfg.model_dir)
    indices: list[int] = []
    times: list[float] = []
    size = None
    tracker = None
    last_ms = -1
    try:
        for row, (idx, t, rgb) in enumerate(frames):
            if tracker is None:
                size = (int(rgb.shape[1]), int(rgb.shape[0]))
                tracker = AthleteTracker(
                    size,
                    _factory(cfg, model_path, video=True, one_thread=one_thread),
                    image_landmarker or _factory(cfg, model_path, video=False,
                                                 one_thread=one_thread),
                    max_people=cfg.max_people, search=cfg.roi_search,
                    rule=getattr(cfg, "athlete", "auto"), pool=video_pool, net=net_for(cfg))
            last_ms = _timestamp_ms(t, last_ms)
            tracker.process(row, t, last_ms, rgb)
            if after_frame is not None:
                flags = getattr(frames, "flags", None)
                after_frame(tracker, row, int(idx), rgb, bool(flags[row]) if flags else False)
            indices.append(int(idx))
            times.append(t)
            if progress is not None:
                progress(len(times), total)
    finally:
        if tracker is not None:
            tracker.close()
    return indices, times, (tracker.tracks if tracker is not None else []), size


def _factory(config: PoseConfig, model_path: Path, video: bool, one_thread: bool):
    """() -> a new landmarker as the trackers use them: VIDEO mode with one pose (a track's
    own) or IMAGE mode with ``config.max_people`` poses (the people search)."""
    return lambda: _Landmarker(config, model_path, video=video,
                               num_poses=1 if video else config.max_people,
                               one_thread=one_thread)


def shared_image_landmarker(config: PoseConfig, model_path: Path, one_thread: bool = False):
    """A :class:`posecheck.pose.follow.SharedLandmarker` of the IMAGE-mode landmarker
    :func:`track_frames` would build (``config.max_people`` poses), built on first use; pass
    it as ``image_landmarker`` to several streams and ``shutdown()`` it after them."""
    from posecheck.pose.follow import SharedLandmarker

    return SharedLandmarker(_factory(config, model_path, video=False, one_thread=one_thread))


def shared_video_pool(config: PoseConfig, model_path: Path, one_thread: bool = False):
    """A :class:`posecheck.pose.follow.LandmarkerPool` of the VIDEO-mode landmarkers
    :func:`track_frames` would build (one pose each), thread-safe: pass it as ``video_pool``
    to several streams (one spare landmarker per run instead of one per stream) and
    ``close()`` it after them."""
    from posecheck.pose.follow import LandmarkerPool

    return LandmarkerPool(_factory(config, model_path, video=True, one_thread=one_thread))


def estimate_sequence(
    frames: Iterable[tuple[int, float, np.ndarray]],
    config: PoseConfig | None = None,
    frame_size: tuple[int, int] | None = None,
    total: int = 0,
    progress: FrameProgress | None = None,
    notes: list[str] | None = None,
    repair=None,
    after_frame=None,
    fps: float = 0.0,
) -> PoseSequence:
    """Run the landmarker over ``frames`` = iterable of (index, real time s, RGB HxWx3 uint8).

    Every person is found (zoomed search when far away) and tracked with a region of
    interest (:class:`posecheck.pose.tracking.AthleteTracker`); at the end one athlete is chosen
    by ``config.athlete`` and only their landmarks are returned, so the sequence follows
    one person for the whole clip. Frames are streamed, never stored. The camera's motion
    is measured on the way (:class:`posecheck.pose.motion_hook.MotionHook` on every k-th
    frame of a ``fps`` clip, every frame if 0: ``PoseSequence.background``).

    Returns a :class:`PoseSequence` with one row per frame received (NaN rows where the
    athlete was not found). ``total`` (expected frame count, 0 if unknown) is only used for
    progress. ``notes``, if given, receives plain-language remarks (several people found,
    which one was analysed) for the analysis warnings. ``repair(track, file_indices)``:
    fills the chosen track's light stretches (:func:`posecheck.pose.repair.repair_track`).
    ``after_frame``: see :func:`track_frames`. Several threads at once:
    :func:`posecheck.pose.parallel.estimate_video`.
    """
    from posecheck.config import PoseConfig

    from posecheck.pose.motion_hook import MotionHook, chain, motion_stride
    from posecheck.video.motion import accumulate
    from posecheck.video.repeats import RepeatMarker

    cfg = config or PoseConfig()
    marked = RepeatMarker(frames)
    motion = MotionHook(motion_stride(fps))
    indices, times, tracks, size = track_frames(marked, cfg, total, progress,
                                                after_frame=chain(motion, after_frame))
    return sequence_from_tracks(tracks, np.asarray(times, dtype=np.float64),
                                frame_size or size or (0, 0), cfg, notes,
                                repeated=np.asarray(marked.flags[:len(times)], dtype=bool),
                                repair=None if repair is None else (lambda tr: repair(tr, indices)),
                                background=accumulate(motion.steps))


def sequence_from_tracks(tracks: list, times: np.ndarray, size: tuple[int, int],
                         cfg: PoseConfig, notes: list[str] | None = None,
                         repeated: np.ndarray | None = None, repair=None,
                         background: np.ndarray | None = None) -> PoseSequence:
    """Choose the athlete among ``tracks`` (rows = positions in ``times``) by
    ``cfg.athlete`` and return their :class:`PoseSequence` (NaN rows where not found;
    ``repeated``: (n,) bool, frames that repeat the picture before them; ``background``:
    (n, 2) the camera's motion, :attr:`PoseSequence.background`, set on the result and used
    by the choice). ``repair``: called with the chosen track first
    (:func:`posecheck.pose.repair.repair_track` bound to the clip)."""
    from posecheck.pose.tracking import unpack
    from posecheck.pose.choice import candidate_tracks, choose_track, people_in_order, person_note
    from posecheck.pose.landmark_net import follows_with_net

    n = len(times)
    rows: list[dict[str, np.ndarray] | None] = [None] * n
    candidates = candidate_tracks(tracks)
    if cfg.person:  # the k-th person in order of appearance (batch --athlete all)
        people = people_in_order(candidates)
        chosen = people[cfg.person - 1] if cfg.person <= len(people) else None
        if notes is not None:
            notes.append(person_note(cfg.person, len(people)))
    else:
        chosen = choose_track(candidates, cfg.athlete, background)
    if chosen is not None and repair is not None:
        repair(chosen)
    if chosen is not None:
        for r, packed in zip(chosen.rows, chosen.dets):
            d = unpack(packed)
            rows[r] = {"xy": d.xy, "z": d.z, "visibility": d.visibility,
                       "presence": d.presence, "world": d.world}
    if notes is not None and len(candidates) > 1 and not cfg.person:
        how = ("tracked longest and largest" if cfg.athlete == "auto"
               else f"chosen by --athlete {cfg.athlete}")
        notes.append(f"{len(candidates)} people were found; the one {how} was analysed "
                     f"(choose another with --athlete largest|longest|leftmost|rightmost|top|bottom)")
    seq = _stack(rows, times, size, cfg.model, repeated, smoothed=not follows_with_net(cfg))
    return seq if background is None else replace(seq, background=background)


def _stack(rows: list, times: np.ndarray, size: tuple[int, int], model: str,
           repeated: np.ndarray | None = None, smoothed: bool = True) -> PoseSequence:
    n = len(rows)
    xy = np.full((n, N_LANDMARKS, 2), np.nan)
    z = np.full((n, N_LANDMARKS), np.nan)
    vis = np.full((n, N_LANDMARKS), np.nan)
    pres = np.full((n, N_LANDMARKS), np.nan)
    world = np.full((n, N_LANDMARKS, 3), np.nan)
    for i, r in enumerate(rows):
        if r is None:
            continue
        xy[i], z[i], vis[i], pres[i], world[i] = r["xy"], r["z"], r["visibility"], r["presence"], r["world"]
    return PoseSequence(xy=xy, z=z, visibility=vis, presence=pres, world=world, times=times,
                        frame_size=size, model=model, repeated=repeated, smoothed=smoothed)
