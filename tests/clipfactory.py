"""Make small test clips with PyAV, so tests never depend on checked-in media.

Main entry points:

* :func:`make_clip` - encode RGB frames (given *upright*) into an mp4/mov/m4v/mkv with a chosen
  codec, pixel format, frame rate or exact per-frame timestamps, display rotation and
  container metadata.
* :func:`pattern_frames` / :func:`frame_id` - frames that carry their own index in a
  compression-proof binary code (so a test can tell *which* frame it got) and orientation
  markers: a red block in the top-left corner and a blue block in the bottom-right corner of
  the upright image.
* :func:`make_audio_only`, :func:`truncate` - bad inputs.

Rotation convention (same as :mod:`posecheck.video.reader`): ``rotation`` is the clockwise angle
a player must rotate the *stored* picture by to show it upright. A phone held in portrait
stores a landscape picture and ``rotation=90`` (ffprobe prints "rotation of -90.00 degrees").
``make_clip`` therefore stores each upright frame rotated counter-clockwise by ``rotation``
and writes a display matrix that undoes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

#: Container format by file suffix.
_FORMATS = {".mp4": "mp4", ".m4v": "ipod", ".mov": "mov", ".mkv": "matroska"}
N_ID_BITS = 10  #: frame ids 0..1023 are encoded in the pattern


def make_clip(
    path: str | Path,
    frames: Iterable[np.ndarray],
    *,
    fps: float | Fraction = 30,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
    pts_seconds: Sequence[float] | None = None,
    metadata: Mapping[str, str] | None = None,
    time_base: Fraction = Fraction(1, 90000),
    gop: int | None = None,
    codec_options: Mapping[str, str] | None = None,
    faststart: bool = False,
) -> Path:
    """Encode ``frames`` into ``path`` and return the path.

    Args:
        frames: upright RGB uint8 arrays (H, W, 3), all the same size; a list or generator.
            Width and height of the stored picture must be even for yuv420p.
        fps: nominal frame rate; frame ``i`` is at ``i / fps`` seconds unless ``pts_seconds``.
        codec: ``libx264`` or ``libx265`` (any PyAV encoder works).
        pix_fmt: e.g. ``yuv420p`` or ``yuv420p10le`` (10-bit HEVC).
        rotation: 0/90/180/270, clockwise degrees needed to make the stored picture upright.
        pts_seconds: exact presentation time of every frame in seconds (VFR clips); rounded
            to ``time_base`` ticks (1/90000 s by default, i.e. exact to 11 µs).
        metadata: container tags, e.g. ``{"com.android.capture.fps": "240.000000"}``. For
            mp4/mov/m4v they are written as QuickTime ``mdta`` keys (``movflags
            use_metadata_tags``), which is how Android stores its capture-fps tag.
        gop: keyframe interval in frames (x264/x265 ``g``), to test seeking.
        codec_options: extra encoder options (strings).
        faststart: put the moov atom before the media data (needed to make a truncated mp4
            that still opens).
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower(), None)
    if rotation % 90 or not 0 <= rotation < 360:
        raise ValueError("rotation must be 0, 90, 180 or 270")
    movflags = []
    if faststart:
        movflags.append("+faststart")
    if metadata and fmt in ("mp4", "ipod", "mov"):
        movflags.append("+use_metadata_tags")
    options = {"movflags": "".join(movflags)} if movflags else {}
    opts = {"preset": "veryfast"} if codec in ("libx264", "libx265") else {}
    if codec == "libx265":
        opts["x265-params"] = "log-level=error"
    if gop is not None:
        opts["g"] = str(gop)
    opts.update(codec_options or {})

    it = iter(frames)
    with av.open(str(path), "w", format=fmt, options=options) as out:
        if metadata:
            out.metadata.update(dict(metadata))
        stream = None
        for i, upright in enumerate(it):
            stored = np.ascontiguousarray(np.rot90(upright, k=rotation // 90))
            if stream is None:
                stream = out.add_stream(codec, rate=Fraction(fps).limit_denominator(100000),
                                        options=opts)
                stream.height, stream.width = stored.shape[:2]
                stream.pix_fmt = pix_fmt
                stream.time_base = time_base
                stream.codec_context.time_base = time_base  # else pts are rounded to 1/fps
                if rotation:
                    # PyAV's degrees are counter-clockwise; ours are clockwise.
                    stream.set_display_rotation(-rotation)
            t = pts_seconds[i] if pts_seconds is not None else i / float(fps)
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
            frame.pts = round(t / time_base)
            frame.time_base = time_base
            for packet in stream.encode(frame):
                out.mux(packet)
        if stream is None:
            raise ValueError("make_clip needs at least one frame")
        for packet in stream.encode():
            out.mux(packet)
    return path


def pattern_frame(index: int, width: int = 96, height: int = 64) -> np.ndarray:
    """One upright RGB test frame (height, width, 3) uint8 that encodes ``index``.

    Layout: grey background whose shade changes with the index; red block (top-left, a
    quarter of each side); blue block (bottom-right); and along the middle band
    ``N_ID_BITS`` black/white cells, most significant bit first, read by :func:`frame_id`.
    """
    img = np.empty((height, width, 3), np.uint8)
    img[:] = 60 + (index * 5) % 120
    qh, qw = height // 4, width // 4
    img[:qh, :qw] = (255, 0, 0)
    img[height - qh:, width - qw:] = (0, 0, 255)
    cell = width // N_ID_BITS
    y0, y1 = height * 3 // 8, height * 5 // 8
    for b in range(N_ID_BITS):
        bit = (index >> (N_ID_BITS - 1 - b)) & 1
        img[y0:y1, b * cell:(b + 1) * cell] = 255 if bit else 0
    return img


def pattern_frames(n: int, width: int = 96, height: int = 64) -> Iterable[np.ndarray]:
    """Generator of ``n`` :func:`pattern_frame` s (index 0..n-1)."""
    return (pattern_frame(i, width, height) for i in range(n))


def frame_id(rgb: np.ndarray) -> int:
    """Read back the index written by :func:`pattern_frame` from an upright decoded frame."""
    height, width = rgb.shape[:2]
    cell = width // N_ID_BITS
    yc = height // 2
    value = 0
    for b in range(N_ID_BITS):
        x = b * cell + cell // 2
        lum = rgb[yc - 2:yc + 3, x - 1:x + 2].mean()
        value = (value << 1) | int(lum > 128)
    return value


def orientation_ok(rgb: np.ndarray) -> bool:
    """True if the red block is top-left and the blue block bottom-right (upright frame)."""
    h, w = rgb.shape[:2]
    tl = rgb[h // 16, w // 16].astype(int)
    br = rgb[h - 1 - h // 16, w - 1 - w // 16].astype(int)
    return bool(tl[0] > 180 and tl[2] < 80 and br[2] > 180 and br[0] < 80)


def make_audio_only(path: str | Path, seconds: float = 0.5) -> Path:
    """An .m4a/.mp4 file with one AAC audio stream and no video."""
    path = Path(path)
    rate = 48000
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=rate)
        n = 1024
        t = 0
        while t < seconds * rate:
            samples = (0.1 * np.sin(np.arange(t, t + n) / rate * 2 * np.pi * 440)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(samples[None, :], format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = t
            for packet in stream.encode(frame):
                out.mux(packet)
            t += n
        for packet in stream.encode():
            out.mux(packet)
    return path


def truncate(src: str | Path, dst: str | Path, keep_fraction: float) -> Path:
    """Copy the first ``keep_fraction`` of ``src``'s bytes to ``dst`` (a cut-off download)."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * keep_fraction)])
    return Path(dst)
