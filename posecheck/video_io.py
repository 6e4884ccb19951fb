"""Read a phone clip: :func:`probe` it, then stream upright RGB frames with :func:`iter_frames`.

Division of labour
------------------
* **PyAV** reads what OpenCV does not expose: the exact presentation timestamp (pts) of every
  frame (packets are demuxed, not decoded, which is cheap), the display-matrix rotation, and
  container tags such as Android's ``com.android.capture.fps``. The result is cached per file
  (path, size, mtime), so :func:`probe` followed by :func:`iter_frames` demuxes once.
* **OpenCV** (``cv2.VideoCapture`` with the FFmpeg backend) decodes and converts the pixels.
  Its own auto-rotation (``CAP_PROP_ORIENTATION_AUTO``, on by default in OpenCV >= 4.5) is
  switched **off** and posecheck rotates with ``cv2.rotate`` from the PyAV-read angle, so the
  rotation is applied exactly once and the PyAV fallback path rotates identically.
  ``CAP_PROP_ORIENTATION_META`` reports the same clockwise angle as :attr:`VideoInfo.rotation_deg`.
* Decoded frames are matched to the sorted packet pts: the n-th decoded frame has the n-th
  pts, confirmed by the decoder's own timestamp (``CAP_PROP_POS_MSEC`` = ``(pts -
  stream.start_time) x time_base`` in ms, exact in double precision), so a frame the decoder
  loses does not shift the times of the following ones (see :class:`FrameReader`). Times
  are never computed as ``index / fps``.
* PyAV decodes instead of OpenCV only when OpenCV cannot open the file or decode its first
  frame (an OpenCV build without FFmpeg, a codec its FFmpeg lacks); OpenCV 5's FFmpeg backend decodes 8- and 10-bit
  HEVC (10-bit is converted to 8-bit BGR by swscale), so those need no fallback.

Conventions
-----------
* ``rotation_deg`` is the **clockwise** angle (0/90/180/270) applied to the stored picture to
  make it upright. A portrait phone clip stored 1920x1080 has ``rotation_deg == 90`` (ffprobe:
  "displaymatrix: rotation of -90.00 degrees"; the legacy ``rotate`` tag: 90). Mirroring in a
  display matrix is ignored.
* Frame index = position of the frame in presentation order among all frames of the file
  (0..frame_count-1). ``start``/``stop`` refer to it. Indices are contiguous unless the
  decoder could not produce a frame; then that index is skipped.
* Time = ``(pts - first_pts) * time_base / slowmo_factor``: real seconds since the first
  frame of the *file* (also for a chunk), strictly increasing. Packets with equal pts
  (broken muxers) give one frame; the later duplicates are dropped and counted.
"""

from __future__ import annotations

import bisect
import functools
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from posecheck.errors import UnreadableVideo
from posecheck.types import VideoInfo

#: Container/stream tags (lower-case) that carry the capture frame rate.
CAPTURE_FPS_KEYS = ("com.android.capture.fps",)
_AV_ERRORS = (av.error.FFmpegError, OSError, ValueError, EOFError, RuntimeError)
_CV_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


@dataclass(frozen=True)
class _Scan:
    """What one PyAV pass (demux all packets, decode the first frame) learns about a file."""

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
    return Path(path).name or str(path)


def _check_file(path: str | os.PathLike) -> str:
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


def check_file(path: str | os.PathLike) -> str:
    """Raise :class:`UnreadableVideo` if ``path`` is missing, a folder or empty."""
    return _check_file(path)


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
    path = _check_file(path)
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
    factor = given if given is not None else (info.slowmo_factor if info is not None else 1.0)
    if not (factor and math.isfinite(factor) and factor > 0):
        raise ValueError("slowmo_factor must be a positive number")
    return float(factor)


class FrameReader(Iterator[tuple[int, float, np.ndarray]]):
    """Iterator of ``(index, time_s, rgb)`` returned by :func:`iter_frames`.

    ``rgb`` is a new upright (H, W, 3) uint8 C-contiguous array per frame; ``time_s`` real
    seconds since the file's first frame. Attributes, valid at any time (final once the
    iterator is exhausted):

    * ``frames_expected`` - frames in ``[start, stop)`` according to :func:`probe`;
    * ``frames_read`` - frames yielded so far;
    * ``duplicates_dropped`` - decoded frames dropped because their timestamp repeated;
    * ``frames_skipped`` - frames decoded before ``start`` (after the keyframe seek);
    * ``backend`` - ``"opencv"`` or ``"pyav"``;
    * ``complete`` - all expected frames were read (False for a truncated/damaged file:
      warn "only {frames_read} of {frames_expected} frames could be read").

    Matching decoded frames to timestamps: the decoder emits frames in presentation order,
    one per packet, so the n-th decoded frame normally has the n-th smallest packet pts
    (repeats included). The decoder's own timestamp (OpenCV ``POS_MSEC``, PyAV
    ``frame.pts``) confirms it; if it instead names a *later* packet, the frames in between
    were lost and are skipped. A timestamp that names nothing or an earlier packet
    (FFmpeg's best-effort guess goes wrong after repeated pts) is ignored.

    Use as a context manager or call :meth:`close` to release the decoder early.
    """

    def __init__(self, path: str, scan: _Scan, rotation: int, factor: float,
                 start: int, stop: int, backend: str, threads: int | None):
        self.path = path
        self.frames_expected = max(0, min(stop, scan.claimed_frames) - start)
        self.frames_read = 0
        self.duplicates_dropped = 0
        self.frames_skipped = 0
        self._scan, self._rotation, self._start, self._stop = scan, rotation, start, stop
        self._threads = threads
        self._auto = backend == "auto"
        tb = float(scan.time_base)
        self._times = [(p - scan.pts[0]) * tb / factor for p in scan.pts]
        self._step = (self._times[-1] / (len(self._times) - 1)) if len(self._times) > 1 else 0.0
        # position in all_pts -> unique frame index
        self._uidx = list(np.cumsum(np.r_[0, np.diff(scan.all_pts) != 0]).tolist())
        self.backend = backend
        self._gen: Iterator | None = None
        if self.frames_expected == 0:
            self._gen = iter(())
        elif backend == "pyav" or (backend == "auto" and scan.synthetic_times):
            self.backend = "pyav"
            self._gen = self._pyav()
        else:
            cap = self._open_cv()
            if cap is None:
                if backend == "opencv":
                    raise UnreadableVideo(f"{_name(path)} cannot be decoded by OpenCV")
                self.backend = "pyav"
                self._gen = self._pyav()
            else:
                self.backend = "opencv"
                self._gen = self._opencv(cap)

    @property
    def complete(self) -> bool:
        return self.frames_read >= self.frames_expected

    def __iter__(self) -> FrameReader:
        return self

    def __next__(self) -> tuple[int, float, np.ndarray]:
        item = next(self._gen)
        self.frames_read += 1
        return item

    def close(self) -> None:
        if hasattr(self._gen, "close"):
            self._gen.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- helpers ------------------------------------------------------------------------
    @staticmethod
    def _locate(keys: list, k_last: int, value: float | None, tol: float) -> int:
        """Position in ``keys`` (sorted all_pts, in some unit) of the next decoded frame."""
        k = k_last + 1
        if value is None or (k < len(keys) and abs(keys[k] - value) <= tol):
            return k
        m = bisect.bisect_left(keys, value - tol)
        if k_last < m < len(keys) and abs(keys[m] - value) <= tol:
            return m  # the decoder lost frames k..m-1
        return k

    def _index(self, k: int) -> int:
        """Unique frame index of position ``k`` (past the table: the decoder had extras)."""
        n = len(self._uidx)
        return self._uidx[k] if k < n else self._uidx[-1] + 1 + (k - n)

    def _time(self, j: int) -> float:
        if j < len(self._times):
            return self._times[j]
        return self._times[-1] + (j - len(self._times) + 1) * self._step

    def _accept(self, j: int, last_j: int) -> bool | None:
        """True: yield frame ``j``; False: skip it; None: past ``stop``, finish."""
        if j <= last_j:
            self.duplicates_dropped += 1
            return False
        if j < self._start:
            self.frames_skipped += 1
            return False
        return None if j >= self._stop else True

    def _upright(self, rgb: np.ndarray) -> np.ndarray:
        if self._rotation:
            return cv2.rotate(rgb, _CV_ROTATE[self._rotation])
        return rgb if rgb.flags.c_contiguous else np.ascontiguousarray(rgb)

    # -- OpenCV path ----------------------------------------------------------------------
    def _open_cv(self):
        params = [cv2.CAP_PROP_N_THREADS, int(self._threads)] if self._threads else []
        cap = cv2.VideoCapture(self.path, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            return None
        # Rotation is ours to apply (exactly once): turn OpenCV's off. If a build ignores the
        # request it rotates by the same display matrix, so we must not rotate again.
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        if cap.get(cv2.CAP_PROP_ORIENTATION_AUTO) != 0:
            self._rotation = 0
        return cap

    def _opencv(self, cap) -> Iterator[tuple[int, float, np.ndarray]]:
        s = self._scan
        tb = float(s.time_base)
        keys = [(p - s.start_time) * tb * 1000.0 for p in s.all_pts]  # OpenCV's POS_MSEC
        gaps = np.diff(np.asarray([(p - s.start_time) * tb * 1000.0 for p in s.pts]))
        tol = max(1e-3, 0.25 * float(gaps.min())) if gaps.size else 1.0
        try:
            k, last_j, pending = -1, -1, False
            if self._start > 0:
                cap, k, pending = self._cv_seek(cap, keys, tol)
            while True:
                if not pending and not cap.grab():
                    if k == -1 and self._start == 0 and self._auto:  # OpenCV decodes nothing
                        self.backend = "pyav"
                        yield from self._pyav()
                    return
                pending = False
                k = self._locate(keys, k, cap.get(cv2.CAP_PROP_POS_MSEC), tol)
                j = self._index(k)
                verdict = self._accept(j, last_j)
                if verdict is None:
                    return
                last_j = max(last_j, j)
                if not verdict:
                    continue
                ok, bgr = cap.retrieve()
                if not ok or bgr is None:
                    return
                cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB, dst=bgr)
                yield j, self._time(j), self._upright(bgr)
        finally:
            cap.release()

    def _cv_seek(self, cap, keys: list, tol: float):
        """Position ``cap`` on a frame at or before ``start`` (cheap keyframe seek).

        OpenCV seeks by frame *number* = time x its nominal fps, which is wrong for VFR, so
        the landing frame is identified by its timestamp and, if it is past ``start``, the
        seek is retried further back; as a last resort the file is read from the beginning.
        Returns ``(cap, position before the grabbed frame, grabbed?)``.
        """
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        first_k = self._uidx.index(self._start)
        target_ms = keys[first_k]
        frame_no = int(math.floor(target_ms / 1000.0 * fps))
        moved = False
        for _ in range(4):
            if frame_no <= 0:
                break
            moved = True
            if cap.set(cv2.CAP_PROP_POS_FRAMES, frame_no) and cap.grab():
                m = self._locate(keys, -1, cap.get(cv2.CAP_PROP_POS_MSEC), tol)
                if 0 <= m <= first_k:
                    return cap, m - 1, True
                if 0 <= m < len(keys):  # overshot: step back twice the overshoot
                    over = (keys[m] - target_ms) / 1000.0 * fps
                    frame_no -= max(2, 2 * math.ceil(over))
                    continue
            frame_no //= 2
        if not moved:
            return cap, -1, False
        cap.release()
        cap = self._open_cv()
        if cap is None:
            raise UnreadableVideo(f"{_name(self.path)} cannot be decoded by OpenCV")
        return cap, -1, False

    # -- PyAV path ------------------------------------------------------------------------
    def _pyav(self) -> Iterator[tuple[int, float, np.ndarray]]:
        s = self._scan
        keys = list(s.all_pts)
        try:
            container = av.open(self.path, metadata_errors="ignore")
        except _AV_ERRORS as exc:
            raise _not_video(self.path, _short(exc)) from None
        with container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if self._threads:
                stream.codec_context.thread_count = int(self._threads)
            if self._start > 0 and s.key_pts and not s.synthetic_times:
                kf = bisect.bisect_right(s.key_pts, s.pts[self._start]) - 1
                if kf >= 0:
                    container.seek(s.key_pts[kf], stream=stream, backward=True, any_frame=False)
            k, last_j = -1, -1
            try:
                for frame in container.decode(stream):
                    ts = None if s.synthetic_times else frame.pts
                    k = self._locate(keys, k, ts, 0)
                    j = self._index(k)
                    verdict = self._accept(j, last_j)
                    if verdict is None:
                        return
                    last_j = max(last_j, j)
                    if verdict:
                        yield j, self._time(j), self._upright(frame.to_ndarray(format="rgb24"))
            except _AV_ERRORS:
                return  # truncated/damaged: keep what was read (see ``complete``)


def iter_frames(
    path: str | os.PathLike,
    info: VideoInfo | None = None,
    slowmo_factor: float | None = None,
    *,
    start: int = 0,
    stop: int | None = None,
    backend: str = "auto",
    threads: int | None = None,
) -> FrameReader:
    """Stream the clip's frames as ``(index, time_s, rgb)``; never holds more than one frame.

    Args:
        path: the clip.
        info: result of :func:`probe` (optional); its ``rotation_deg`` and ``slowmo_factor``
            are used, so a caller may override them with :func:`dataclasses.replace`.
        slowmo_factor: overrides ``info.slowmo_factor``; ``None`` = info's, else 1.
        start, stop: frame index range ``[start, stop)`` (``stop=None`` = to the end). The
            decoder seeks to a keyframe before ``start``; chunks equal the matching slice of
            a full decode, with the same indices and times.
        backend: ``"auto"`` (OpenCV, PyAV if OpenCV cannot open the file), ``"opencv"`` or
            ``"pyav"``.
        threads: decoder threads (``None`` = FFmpeg's default, all cores); a worker that
            decodes one chunk of many may want 1.

    Returns:
        A :class:`FrameReader` (iterator). ``index`` is the frame's position in the file;
        ``time_s`` = (pts - first pts) x time_base / slowmo_factor, exact to the container's
        time base; ``rgb`` is (H, W, 3) uint8 upright, H x W = ``info.height`` x ``info.width``.

    Raises:
        UnreadableVideo: as :func:`probe`.
    """
    path = _check_file(path)
    scan = _scan(path)
    if backend not in ("auto", "opencv", "pyav"):
        raise ValueError("backend must be 'auto', 'opencv' or 'pyav'")
    if start < 0 or (stop is not None and stop < 0):
        raise ValueError("start and stop must be >= 0")
    rotation = info.rotation_deg if info is not None else scan.rotation
    if rotation not in (0, 90, 180, 270):
        raise ValueError("rotation_deg must be 0, 90, 180 or 270")
    stop = scan.claimed_frames if stop is None else stop
    return FrameReader(path, scan, rotation, _factor(slowmo_factor, info), start, stop,
                       backend, threads)


#: Frames smaller than this (either side) cannot show a person.
MIN_SIDE_PX = 32
#: Largest frames analysed: 8K (8192 x 4320 DCI, 7680 x 4320 UHD) in either orientation.
#: They are scaled down for inference (see :data:`posecheck.athlete.INFER_MAX_SIDE`), one
#: frame at a time; anything larger is refused before decoding.
MAX_LONG_SIDE_PX = 8192
MAX_PIXELS = 8192 * 4320
_IMAGE_CODECS = {"png", "mjpeg", "jpeg2000", "bmp", "webp", "gif", "tiff", "targa", "ppm",
                 "pgm", "pam", "qoi", "jpegls", "sgi", "dpx", "exr", "hdr", "apng"}


def check_analysable(info: VideoInfo) -> None:
    """Refuse frame sizes posecheck cannot analyse, before anything is decoded.

    Raises:
        UnsupportedVideo: a side below :data:`MIN_SIDE_PX` (e.g. a 2x2 video) or a frame
            larger than 8K (:data:`MAX_LONG_SIDE_PX`, :data:`MAX_PIXELS`).
    """
    from posecheck.errors import UnsupportedVideo

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
