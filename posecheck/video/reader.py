"""Read a phone clip: :func:`probe` it, then stream upright RGB frames with :func:`iter_frames`.

Probing lives in :mod:`posecheck.video.probe`; this module re-exports its public names
(:func:`probe`, :func:`check_file`, :func:`check_analysable`, :data:`CAPTURE_FPS_KEYS`,
:data:`MIN_SIDE_PX`, :data:`MAX_LONG_SIDE_PX`, :data:`MAX_PIXELS`), so callers import
everything video from here.

Division of labour
------------------
* **PyAV** reads what OpenCV does not expose: the exact presentation timestamp (pts) of every
  frame (packets are demuxed, not decoded, which is cheap), the display-matrix rotation, and
  container tags such as Android's ``com.android.capture.fps`` (see
  :mod:`posecheck.video.probe`). The result is cached per file (path, size, mtime), so
  :func:`probe` followed by :func:`iter_frames` demuxes once.
* **PyAV** also decodes the pixels and converts them to RGB with swscale, through one
  ``VideoReformatter`` per reader (so the colours honour the clip's tags, e.g. BT.709):
  measured on a 720p H.264 clip ~2.6 ms of CPU per frame against ~2.8 ms with
  ``to_ndarray("rgb24")`` (a new scaler context per frame) and ~3.7 ms for OpenCV's
  ``VideoCapture`` (grab, retrieve as BGR, convert to RGB), which matters when every core
  is busy with pose inference.
* **OpenCV** (``cv2.VideoCapture`` with the FFmpeg backend, ``backend="opencv"``) is the
  fallback when PyAV decodes nothing (a codec its FFmpeg build lacks). Its own
  auto-rotation (``CAP_PROP_ORIENTATION_AUTO``, on by default in OpenCV >= 4.5) is switched
  **off** and posecheck rotates with ``cv2.rotate`` from the PyAV-read angle, so both paths
  rotate identically and exactly once. OpenCV 5's FFmpeg backend decodes 8- and 10-bit HEVC
  (10-bit is converted to 8-bit BGR by swscale).
* Decoded frames are matched to the sorted packet pts: the n-th decoded frame has the n-th
  pts, confirmed by the decoder's own timestamp (PyAV ``frame.pts``; OpenCV
  ``CAP_PROP_POS_MSEC`` = ``(pts - stream.start_time) x time_base`` in ms, exact in double
  precision), so a frame the decoder loses does not shift the times of the following ones
  (see :class:`FrameReader`). Times are never computed as ``index / fps``.

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
import math
import os
from collections.abc import Generator, Iterator

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from posecheck.errors import UnreadableVideo
from posecheck.types import VideoInfo
from posecheck.video.probe import (_AV_ERRORS, CAPTURE_FPS_KEYS, MAX_LONG_SIDE_PX, MAX_PIXELS,
                                   MIN_SIDE_PX, _factor, _name, _not_video, _scan, _Scan,
                                   _short, check_analysable, check_file, probe)

__all__ = [
    "keyframe_indices",
    "CAPTURE_FPS_KEYS", "MAX_LONG_SIDE_PX", "MAX_PIXELS", "MIN_SIDE_PX", "FrameReader",
    "check_analysable", "check_file", "iter_frames", "probe",
]

_CV_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


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
        elif backend == "opencv":
            cap = self._open_cv()
            if cap is None:
                raise UnreadableVideo(f"{_name(path)} cannot be decoded by OpenCV")
            self._gen = self._opencv(cap)
        else:  # "pyav", or "auto": PyAV first (see the module docstring), OpenCV as fallback
            self.backend = "pyav"
            self._gen = self._pyav()

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
            if (yield from self._opencv_instead()):
                return
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
            # one scaler context for the clip: to_ndarray("rgb24") builds one per frame,
            # which costs ~0.25 ms of CPU and, measured, ~12 % of the two-thread pose pass
            reformatter = VideoReformatter()
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
                        rgb = reformatter.reformat(frame, format="rgb24").to_ndarray()
                        yield j, self._time(j), self._upright(rgb)
            except _AV_ERRORS:
                if k != -1:
                    return  # truncated/damaged: keep what was read (see ``complete``)
        if k == -1:  # PyAV decoded nothing (a codec its FFmpeg lacks): OpenCV may
            yield from self._opencv_instead()

    def _opencv_instead(self) -> Generator[tuple[int, float, np.ndarray], None, bool]:
        """``auto`` only: decode with OpenCV after PyAV could not (returns True if it did)."""
        if not self._auto or self._start != 0 or self._scan.synthetic_times:
            return False
        self._auto = False  # no way back: OpenCV's own fallback is PyAV
        cap = self._open_cv()
        if cap is None:
            return False
        self.backend = "opencv"
        yield from self._opencv(cap)
        return True


def keyframe_indices(path: str | os.PathLike) -> np.ndarray:
    """Frame indices (as :func:`iter_frames` numbers them) of the clip's keyframes, ascending
    (int64). Decoding from frame ``k`` starts at the last keyframe at or before ``k``; the
    frames in between are decoded and dropped."""
    scan = _scan(check_file(path))
    idx = np.searchsorted(np.asarray(scan.pts), np.asarray(scan.key_pts, dtype=np.int64))
    return np.unique(idx[idx < len(scan.pts)]).astype(np.int64)


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
        backend: ``"auto"`` (PyAV; OpenCV if PyAV decodes nothing), ``"opencv"`` or
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
    path = check_file(path)
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

