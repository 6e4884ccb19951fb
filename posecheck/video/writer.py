"""Write the annotated clip: H.264 (libx264), yuv420p, mp4 with ``+faststart``, real timestamps.

Usage::

    with H264Writer(out_dir / "annotated.mp4", info.width, info.height, fps=info.fps) as w:
        for index, time_s, rgb in iter_frames(path, info):
            w.write(draw(rgb), time_s)

The file is written to ``<stem>.part<suffix>`` in the same directory and renamed to the final
name when the ``with`` block ends normally; if it ends with an exception the partial file is
deleted (and the exception propagates), so a half-written ``annotated.mp4`` never exists.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from posecheck.errors import OutputError

DEFAULT_TIME_BASE = Fraction(1, 90000)  #: the usual mp4 video timescale: 11 µs resolution
#: mp4 muxer options: moov first (+faststart) and the movie (edit list) timescale equal to
#: the video's, so a file starting at a time that is not a whole millisecond (e.g. a clip
#: cut from a longer one) keeps its exact time stamps (the default 1/1000 truncates them)
MP4_OPTIONS = {"movflags": "+faststart", "movie_timescale": "90000"}
_AV_ERRORS = (av.error.FFmpegError, OSError, ValueError, RuntimeError)


def output_size(width: int, height: int, max_height: int | None = None) -> tuple[int, int]:
    """(width, height) of the encoded video for an input of ``width`` x ``height``.

    yuv420p needs even dimensions. Without downscaling an odd side is **padded** by one
    pixel (the last row/column is repeated), so every input pixel keeps its coordinates.
    With ``max_height`` and ``height > max_height`` the frame is scaled (``cv2.INTER_AREA``)
    to the largest even height <= ``max_height`` and the even width nearest to the same
    aspect ratio.
    """
    if width < 1 or height < 1:
        raise ValueError("width and height must be positive")
    if max_height is not None and height > max_height:
        out_h = max(2, max_height - max_height % 2)
        out_w = max(2, 2 * round(width * out_h / height / 2))
        return out_w, out_h
    return width + width % 2, height + height % 2


class H264Writer:
    """Encode RGB frames with their real timestamps into an H.264 mp4 (or .mov).

    Args:
        path: final file name (``.mp4``, ``.m4v`` or ``.mov``).
        width, height: size of the frames passed to :meth:`write` (pixels).
        fps: nominal frame rate: a rate-control hint for x264 and the spacing used when
            :meth:`write` gets no time. Default 30.
        time_base: timestamp resolution in seconds (default 1/90000). Times are rounded to
            it; two frames that round to the same tick are separated by one tick.
        max_height: downscale to at most this many lines (see :func:`output_size`).
        crf, preset: x264 quality (lower = better, 23 default) and speed.
        threads: x264 threads (``None`` = x264's default for the machine); a worker that
            encodes one segment of several uses 1.
        x264_params: extra x264 settings overriding the preset's (``"key=value:..."``).

    Output: libx264, yuv420p (BT.601 matrix, limited range, tagged), ``movflags=+faststart``
    (moov atom before mdat so a browser can start playing before the download finishes).
    """

    def __init__(self, path: str | os.PathLike, width: int, height: int,
                 fps: float | Fraction | None = None, time_base: Fraction | None = None, *,
                 max_height: int | None = None, crf: int = 23, preset: str = "veryfast",
                 threads: int | None = None, x264_params: str | None = None):
        self.path = Path(path)
        self.width, self.height = int(width), int(height)
        self.size = output_size(self.width, self.height, max_height)
        self.fps = float(fps) if fps else 30.0
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError("fps must be positive")
        self.time_base = Fraction(time_base) if time_base else DEFAULT_TIME_BASE
        self.frames_written = 0
        self.nudged = 0  #: frames whose time was moved one tick later to stay increasing
        self._last_pts: int | None = None
        self._closed = False
        suffix = self.path.suffix.lower()
        fmt = "mov" if suffix == ".mov" else "mp4"
        self.part_path = self.path.with_name(f"{self.path.stem}.part{self.path.suffix or '.mp4'}")
        try:
            self.part_path.open("wb").close()  # fail now, not at the first packet
            self._out = av.open(str(self.part_path), "w", format=fmt,
                                options=MP4_OPTIONS)
        except _AV_ERRORS as exc:
            self.part_path.unlink(missing_ok=True)
            raise OutputError(f"cannot write {self.path}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            rate = Fraction(self.fps).limit_denominator(100000)
            opts = {"crf": str(crf), "preset": preset}
            if threads:
                opts["threads"] = str(int(threads))
            if x264_params:
                opts["x264-params"] = x264_params
            stream = self._out.add_stream("libx264", rate=rate, options=opts)
            stream.width, stream.height = self.size
            stream.pix_fmt = "yuv420p"
            stream.time_base = self.time_base
            stream.codec_context.time_base = self.time_base  # else pts snap to 1/fps
            ctx = stream.codec_context
            ctx.colorspace, ctx.color_range = 6, 1          # SMPTE170M (BT.601) matrix, limited
            ctx.color_primaries, ctx.color_trc = 1, 1       # BT.709 = sRGB primaries
        except BaseException:
            self._abort()
            raise
        self._stream = stream
        self._ticks_per_s = float(1 / self.time_base)
        self._frame_ticks = max(1, round(self._ticks_per_s / self.fps))

    # -- public API ---------------------------------------------------------------------
    def write(self, rgb: np.ndarray, time_s: float | None = None) -> None:
        """Encode one frame.

        Args:
            rgb: (height, width, 3) uint8 RGB, the size given to the constructor.
            time_s: presentation time in seconds (>= 0, increasing); ``None`` = previous
                time + 1/fps (0 for the first frame).
        """
        if self._closed:
            raise ValueError("H264Writer is closed")
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"frame must be ({self.height}, {self.width}, 3) uint8, "
                             f"got {rgb.shape} {rgb.dtype}")
        if time_s is None:
            pts = 0 if self._last_pts is None else self._last_pts + self._frame_ticks
        else:
            if not (math.isfinite(time_s) and time_s >= 0):
                raise ValueError(f"time_s must be a finite number >= 0, got {time_s}")
            pts = round(time_s * self._ticks_per_s)
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
            self.nudged += 1
        self._last_pts = pts
        # RGB -> BT.601 limited-range I420 with OpenCV (0.2 ms for 720p; the same values as
        # swscale's within 1, where PyAV's rgb24 frame + swscale reformat takes ~2 ms)
        yuv = cv2.cvtColor(self._fit(rgb), cv2.COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = pts
        frame.time_base = self.time_base
        self._mux(self._stream.encode(frame))
        self.frames_written += 1

    def close(self) -> Path:
        """Flush, finish the file and rename it to :attr:`path`. Returns the path."""
        if self._closed:
            return self.path
        if self.frames_written == 0:
            self._abort()
            raise OutputError(f"no frames to write to {self.path.name}")
        try:
            self._mux(self._stream.encode(None))
            self._out.close()
            self._closed = True
            os.replace(self.part_path, self.path)
        except _AV_ERRORS as exc:
            self._abort()
            raise OutputError(f"cannot write {self.path}: {getattr(exc, 'strerror', None) or exc}") from None
        return self.path

    def abort(self) -> None:
        """Stop writing and delete the partial file (no-op after a successful close)."""
        if not self._closed:
            self._abort()

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # -- internals ----------------------------------------------------------------------
    def _fit(self, rgb: np.ndarray) -> np.ndarray:
        w, h = self.size
        if (w, h) == (self.width, self.height):
            return rgb if rgb.flags.c_contiguous else np.ascontiguousarray(rgb)
        if h < self.height:  # downscale
            return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
        return cv2.copyMakeBorder(rgb, 0, h - self.height, 0, w - self.width, cv2.BORDER_REPLICATE)

    def _mux(self, packets) -> None:
        for packet in packets:
            if not packet.duration:
                packet.duration = self._frame_ticks  # only the last sample's length uses it
            self._out.mux(packet)

    def _abort(self) -> None:
        self._closed = True
        try:
            self._out.close()
        except Exception:  # noqa: BLE001 - already failing; the file is deleted below
            pass
        try:
            self.part_path.unlink()
        except FileNotFoundError:
            pass
