"""Probe a phone clip: what it is (:func:`probe`) and whether posecheck can analyse it.

One PyAV pass per file demuxes every packet (cheap: nothing but the first frame is decoded)
and learns what OpenCV does not expose: the exact presentation timestamp (pts) of every
frame, the keyframes, the display-matrix rotation (or the legacy ``rotate`` tag) and
container tags such as Android's ``com.android.capture.fps``. The result is cached per file
(path, size, mtime), so :func:`probe` followed by :func:`posecheck.video.reader.iter_frames`
demuxes once; the frame reader (:mod:`posecheck.video.reader`) matches decoded frames to these
timestamps.

Conventions
-----------
* ``rotation_deg`` is the **clockwise** angle (0/90/180/270) applied to the stored picture to
  make it upright. A portrait phone clip stored 1920x1080 has ``rotation_deg == 90`` (ffprobe:
  "displaymatrix: rotation of -90.00 degrees"; the legacy ``rotate`` tag: 90). Mirroring in a
  display matrix is ignored; an angle that is not a multiple of 90 counts as 0.
* Frame index = position of the frame in presentation order among all frames of the file
  (0..frame_count-1). Time = ``(pts - first_pts) * time_base / slowmo_factor``: real
  seconds since the first frame of the file. Packets with equal pts (broken muxers) count as
  one frame. A file without timestamps (raw ``.h264``) is given pts spaced by its frame rate.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from posecheck.errors import UnreadableVideo, UnsupportedVideo
from posecheck.types import VideoInfo

__all__ = [
    "CAPTURE_FPS_KEYS", "MAX_LONG_SIDE_PX", "MAX_PIXELS", "MIN_SIDE_PX", "check_analysable",
    "check_file", "probe",
]

#: Container/stream tags (lower-case) that carry the capture frame rate.
CAPTURE_FPS_KEYS = ("com.android.capture.fps",)
#: Frames smaller than this (either side) cannot show a person.
MIN_SIDE_PX = 32
#: Largest frames analysed: 8K (8192 x 4320 DCI, 7680 x 4320 UHD) in either orientation.
#: They are scaled down for inference (see :data:`posecheck.pose.tracking.INFER_MAX_SIDE`), one
#: frame at a time; anything larger is refused before decoding.
MAX_LONG_SIDE_PX = 8192
MAX_PIXELS = 8192 * 4320
_IMAGE_CODECS = {"png", "mjpeg", "jpeg2000", "bmp", "webp", "gif", "tiff", "targa", "ppm",
                 "pgm", "pam", "qoi", "jpegls", "sgi", "dpx", "exr", "hdr", "apng"}
#: What PyAV raises for a file it cannot (fully) read.
_AV_ERRORS = (av.error.FFmpegError, OSError, ValueError, EOFError, RuntimeError)


@dataclass(frozen=True)
class _Scan:
    """What one PyAV pass (demux all packets, decode the first frame) learns about a file.

    Shared with the frame reader (:class:`posecheck.video.reader.FrameReader`), which matches
    decoded frames to ``all_pts`` and seeks with ``key_pts``.
    """

    pts: tuple[int, ...]          # unique presentation timestamps, ascending, time_base ticks
    all_pts: tuple[int, ...]      # the same with repeated values (one per packet)
    key_pts: tuple[int, ...]      # pts of keyframes, ascending
    time_base: Fraction
    start_time: int               # stream start_time (OpenCV measures POS_MSEC from it)
    claimed_frames: int           # frames the file should have (container count if larger)
    stored_width: int
    stored_height: int
    rotation: int                 # clockwise degrees
    codec: str
    pix_fmt: str
    capture_fps: float | None
    average_rate: float
    duration_s: float | None
    synthetic_times: bool         # no pts/dts in the file: times come from the frame rate


def _name(path: str | os.PathLike) -> str:
    """The file name shown in error messages (not the full path)."""
    return Path(path).name or str(path)


def check_file(path: str | os.PathLike) -> str:
    """``str(path)``; raise :class:`UnreadableVideo` if it is missing, a folder or empty."""
    p = Path(path)
    if not p.exists():
        raise UnreadableVideo(f"{_name(path)} does not exist")
    if p.is_dir():
        raise UnreadableVideo(f"{_name(path)} is a folder, not a video file")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise UnreadableVideo(f"{_name(path)} cannot be opened ({exc.strerror or exc})") from None
    if size == 0:
        raise UnreadableVideo(f"{_name(path)} is empty (0 bytes)")
    return str(p)


def _not_video(path: str, why: str) -> UnreadableVideo:
    return UnreadableVideo(f"{_name(path)} is not a video file posecheck can read ({why})")


def _capture_fps(*dicts: dict) -> float | None:
    for d in dicts:
        for key, value in d.items():
            if key.lower() in CAPTURE_FPS_KEYS:
                try:
                    fps = float(value)
                except (TypeError, ValueError):
                    continue
                if math.isfinite(fps) and fps > 0:
                    return fps
    return None


def _legacy_rotate_tag(meta: dict) -> int:
    """Old ffmpeg/phones wrote the display rotation as a ``rotate`` tag (clockwise degrees)."""
    try:
        return int(round(float(meta.get("rotate", 0)))) % 360
    except (TypeError, ValueError):
        return 0


def _scan(path: str) -> _Scan:
    """The :class:`_Scan` of ``path`` (a checked file), cached on (real path, size, mtime)."""
    st = os.stat(path)
    return _scan_cached(os.path.realpath(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _scan_cached(path: str, _size: int, _mtime_ns: int) -> _Scan:
    try:
        container = av.open(path, metadata_errors="ignore")
    except _AV_ERRORS as exc:
        raise _not_video(path, _short(exc)) from None
    with container:
        if not container.streams.video:
            raise _not_video(path, "no video stream")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        # OpenCV measures POS_MSEC from start_time as it is right after opening (demuxing
        # can change it later, e.g. when the first packets carry no dts).
        open_start_time = stream.start_time
        first = None
        attempts = 0
        pts_list: list[int | None] = []
        keys: list[int | None] = []
        n_packets = n_discard = 0
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                n_packets += 1
                if first is None and attempts < 300:  # a few bad packets may precede it
                    attempts += 1
                    try:
                        frames = packet.decode()
                        first = frames[0] if frames else None
                    except _AV_ERRORS:
                        pass
                if packet.is_discard:
                    n_discard += 1
                    continue
                ts = packet.pts if packet.pts is not None else packet.dts
                pts_list.append(ts)
                if packet.is_keyframe:
                    keys.append(ts)
        except _AV_ERRORS:
            pass  # truncated: keep what was demuxed; the frame reader stops there too
        if first is None and n_packets:
            try:  # decoders with delay (B-frames, frame threads) return the first frame late
                frames = ctx.decode(None)
                first = frames[0] if frames else None
            except _AV_ERRORS:
                pass
        if not pts_list:
            raise _not_video(path, "no video frames")
        if first is None:
            why = f"the {ctx.name} video could not be decoded"
            raise UnreadableVideo(f"{_name(path)} is damaged or unsupported ({why})")

        tb = stream.time_base or Fraction(1, 90000)
        avg = stream.average_rate or stream.guessed_rate or stream.base_rate
        average_rate = float(avg) if avg else 0.0
        synthetic = any(t is None for t in pts_list)
        if synthetic:  # e.g. raw .h264: no timestamps at all; space frames by the rate
            step = 1 / (average_rate or 30.0)
            pts_list = [round(i * step / tb) for i in range(len(pts_list))]
            keys = []
        unique = sorted(set(pts_list))
        claimed = len(unique)
        if stream.frames and stream.frames > n_packets:  # index lists more than is there
            claimed = max(claimed, stream.frames - n_discard - (len(pts_list) - len(unique)))

        rotation = (-int(round(first.rotation))) % 360 if first.rotation else 0
        if rotation == 0:
            rotation = _legacy_rotate_tag(dict(stream.metadata))
        if rotation % 90:
            rotation = 0  # arbitrary angles are not phone orientations; leave as stored
        start_time = open_start_time if open_start_time is not None else 0
        duration = None
        if stream.duration:
            duration = float(stream.duration * tb)
        elif container.duration:
            duration = container.duration / av.time_base
        return _Scan(
            pts=tuple(unique),
            all_pts=tuple(sorted(pts_list)),
            key_pts=tuple(sorted(set(k for k in keys if k is not None))),
            time_base=tb,
            start_time=int(start_time),
            claimed_frames=claimed,
            stored_width=first.width,
            stored_height=first.height,
            rotation=rotation,
            codec=ctx.name,
            pix_fmt=ctx.pix_fmt or first.format.name,
            capture_fps=_capture_fps(dict(container.metadata), dict(stream.metadata)),
            average_rate=average_rate,
            duration_s=duration,
            synthetic_times=synthetic,
        )


def _short(exc: BaseException) -> str:
    """A short lower-case reason from an exception, for a one-line error message."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    text = text.split(":")[0].strip().rstrip(".")
    return (text[:1].lower() + text[1:])[:80] or "unknown error"


def _is_vfr(pts: tuple[int, ...]) -> bool:
    """True if some frame interval differs from the median by more than max(1 tick, 1 %)."""
    if len(pts) < 3:
        return False
    d = np.diff(np.asarray(pts, dtype=np.int64))
    med = float(np.median(d))
    return bool(np.max(np.abs(d - med)) > max(1.01, 0.01 * med))


def probe(path: str | os.PathLike, slowmo_factor: float | None = None) -> VideoInfo:
    """Describe a clip without decoding more than its first frame.

    Args:
        path: video file (mp4/mov/m4v/mkv/..., any codec FFmpeg decodes).
        slowmo_factor: real-time factor (file seconds / real seconds); ``None`` = 1.

    Returns:
        :class:`~posecheck.types.VideoInfo`. ``width``/``height`` are of the upright frame;
        ``fps`` is ``(frame_count - 1) / (last pts - first pts)`` in file seconds (the
        container's average rate for a one-frame clip); ``frame_count`` is the number of
        frames the file should contain (demuxed packets; the container's count when that is
        larger, i.e. a truncated file); ``duration_s`` the stream duration in *file*
        seconds as the container states it; ``variable_frame_rate`` is True when an
        interval differs from the median by more than 1 % (or 1 time-base tick).

    Raises:
        UnreadableVideo: missing, folder, empty, not a video, no video stream, undecodable.
    """
    path = check_file(path)
    s = _scan(path)
    factor = _factor(slowmo_factor, None)
    n = len(s.pts)
    span = float((s.pts[-1] - s.pts[0]) * s.time_base)
    fps = (n - 1) / span if n > 1 and span > 0 else s.average_rate
    width, height = s.stored_width, s.stored_height
    if s.rotation in (90, 270):
        width, height = height, width
    duration = s.duration_s if s.duration_s else (s.claimed_frames / fps if fps else 0.0)
    return VideoInfo(
        path=path, width=width, height=height, fps=float(fps), frame_count=s.claimed_frames,
        duration_s=float(duration), rotation_deg=s.rotation, codec=s.codec, pix_fmt=s.pix_fmt,
        capture_fps=s.capture_fps, slowmo_factor=factor,
        variable_frame_rate=_is_vfr(s.pts),
    )


def _factor(given: float | None, info: VideoInfo | None) -> float:
    """The slow-motion factor: ``given``, else ``info``'s, else 1; must be positive."""
    factor = given if given is not None else (info.slowmo_factor if info is not None else 1.0)
    if not (factor and math.isfinite(factor) and factor > 0):
        raise ValueError("slowmo_factor must be a positive number")
    return float(factor)


def check_analysable(info: VideoInfo) -> None:
    """Refuse clips posecheck cannot analyse (from :func:`probe`), before anything is decoded.

    Raises:
        UnsupportedVideo: a still image or a one-frame clip; a side below :data:`MIN_SIDE_PX` (e.g. a 2x2 video) or a frame
            larger than 8K (:data:`MAX_LONG_SIDE_PX`, :data:`MAX_PIXELS`).
    """
    w, h = info.width, info.height
    name = _name(info.path)
    if info.frame_count <= 1:
        if info.codec in _IMAGE_CODECS:
            raise UnsupportedVideo(f"{name} is a still image ({info.codec}), not a video; "
                                   f"film the athlete running")
        raise UnsupportedVideo(f"{name} has only one frame; posecheck needs a video clip")
    if min(w, h) < MIN_SIDE_PX:
        raise UnsupportedVideo(f"{name} is only {w}x{h} pixels; posecheck needs a real camera "
                               f"video (at least {MIN_SIDE_PX} pixels each side)")
    if max(w, h) > MAX_LONG_SIDE_PX or w * h > MAX_PIXELS:
        raise UnsupportedVideo(f"{name} is {w}x{h} pixels, larger than 8K; export it at 4K "
                               f"or less and try again")
