"""Tests for posecheck.video.reader: probe, iter_frames (OpenCV and PyAV paths)."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from clipfactory import (frame_id, make_audio_only, make_clip, orientation_ok, pattern_frame,
                         pattern_frames, truncate)
from posecheck.errors import UnreadableVideo
from posecheck.video.reader import FrameReader, iter_frames, probe

BACKENDS = ("opencv", "pyav")
TICK = 1 / 90000  # clipfactory's time base


def container_times(path) -> np.ndarray:
    """Presentation times (s from the first frame) straight from PyAV's decoder."""
    with av.open(str(path)) as c:
        pts = sorted(f.pts for f in c.decode(video=0))
        tb = c.streams.video[0].time_base
    return np.array([float((p - pts[0]) * tb) for p in pts])


def read_all(path, **kw):
    reader = iter_frames(path, **kw)
    items = list(reader)
    return reader, [i for i, _, _ in items], np.array([t for _, t, _ in items]), [f for _, _, f in items]


# -- rotation ------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("size", [(96, 64), (64, 96)], ids=["landscape", "portrait"])
def test_rotation_gives_upright_pixels(tmp_path, rotation, backend, size):
    w, h = size
    path = make_clip(tmp_path / "r.mp4", pattern_frames(12, w, h), rotation=rotation)
    with av.open(str(path)) as c:  # the clip really is stored rotated
        s = c.streams.video[0]
        stored = (s.width, s.height)
    assert stored == ((h, w) if rotation in (90, 270) else (w, h))

    info = probe(path)
    assert (info.width, info.height) == (w, h)
    assert info.rotation_deg == rotation
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)  # OpenCV reads the same clockwise angle
    assert cap.get(cv2.CAP_PROP_ORIENTATION_META) % 360 == rotation
    cap.release()

    reader, idx, _, frames = read_all(path, backend=backend)
    assert reader.backend == backend
    assert idx == list(range(12))
    for i, f in zip(idx, frames):
        assert f.shape == (h, w, 3) and f.dtype == np.uint8 and f.flags.c_contiguous
        assert orientation_ok(f), f"frame {i} not upright (rotation {rotation})"
        assert frame_id(f) == i


def test_rotation_can_be_overridden_via_info(tmp_path):
    from dataclasses import replace

    path = make_clip(tmp_path / "r.mp4", pattern_frames(3), rotation=90)
    info = replace(probe(path), rotation_deg=0)
    frames = [f for _, _, f in iter_frames(path, info)]
    assert frames[0].shape == (96, 64, 3)  # stored orientation, not rotated
    assert not orientation_ok(frames[0])


# -- timestamps ----------------------------------------------------------------------------
def _vfr_pts(n=40, seed=3):
    rng = np.random.default_rng(seed)
    gaps = rng.choice([1 / 30, 1 / 60, 1 / 24, 1 / 240, 1001 / 30000, 0.0417], size=n - 1)
    gaps[15] = 0.5  # a half-second hole (phone paused / dropped frames)
    return np.concatenate([[0.0], np.cumsum(gaps)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_vfr_times_equal_container_pts(tmp_path, backend):
    pts = _vfr_pts()
    path = make_clip(tmp_path / "vfr.mp4", pattern_frames(len(pts)), pts_seconds=pts, gop=9)
    info = probe(path)
    assert info.variable_frame_rate
    assert info.frame_count == len(pts)
    assert info.fps == pytest.approx((len(pts) - 1) / pts[-1], rel=1e-4)
    reader, idx, times, frames = read_all(path, backend=backend)
    assert idx == list(range(len(pts))) == [frame_id(f) for f in frames]
    np.testing.assert_allclose(times, container_times(path), rtol=0, atol=1e-9)
    np.testing.assert_allclose(times, pts, rtol=0, atol=TICK)  # what the clip was made with
    assert np.all(np.diff(times) > 0)
    assert reader.complete and reader.frames_read == reader.frames_expected == len(pts)


def test_cfr_is_not_vfr(tmp_path):
    info = probe(make_clip(tmp_path / "c.mp4", pattern_frames(20), fps=Fraction(30000, 1001)))
    assert not info.variable_frame_rate
    assert info.fps == pytest.approx(30000 / 1001, rel=1e-9)


def test_first_pts_not_zero_times_start_at_zero(tmp_path):
    pts = 0.75 + np.arange(15) / 30
    path = make_clip(tmp_path / "late.mp4", pattern_frames(15), pts_seconds=pts)
    for backend in BACKENDS:
        _, idx, times, _ = read_all(path, backend=backend)
        assert idx == list(range(15))
        np.testing.assert_allclose(times, pts - pts[0], atol=TICK)


@pytest.mark.parametrize("fps", [24, 25, Fraction(30000, 1001), 60, 120, 240])
def test_frame_rates(tmp_path, fps):
    n = 24
    path = make_clip(tmp_path / "f.mp4", pattern_frames(n), fps=fps)
    info = probe(path)
    assert info.fps == pytest.approx(float(fps), rel=1e-4)
    assert info.frame_count == n and not info.variable_frame_rate
    assert info.duration_s == pytest.approx(n / float(fps), rel=1e-3)
    _, idx, times, frames = read_all(path)
    assert idx == [frame_id(f) for f in frames] == list(range(n))
    np.testing.assert_allclose(times, np.arange(n) / float(fps), atol=TICK)


def test_slowmo_factor_divides_times(tmp_path):
    path = make_clip(tmp_path / "s.mp4", pattern_frames(16), fps=30)
    info = probe(path, slowmo_factor=8)
    assert info.slowmo_factor == 8 and info.real_fps == pytest.approx(240)
    assert probe(path).slowmo_factor == 1.0
    _, _, t_info, _ = read_all(path, info=info)
    np.testing.assert_allclose(t_info, np.arange(16) / 240, atol=TICK)
    _, _, t_arg, _ = read_all(path, info=info, slowmo_factor=4)  # explicit argument wins
    np.testing.assert_allclose(t_arg, np.arange(16) / 120, atol=TICK)
    with pytest.raises(ValueError):
        iter_frames(path, slowmo_factor=0)


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".m4v"])
def test_capture_fps_tag_and_containers(tmp_path, suffix):
    # Android stores the tag as a QuickTime 'mdta' key; ffmpeg writes the same with
    # movflags=use_metadata_tags (clipfactory does this when metadata is given).
    tagged = make_clip(tmp_path / f"tag{suffix}", pattern_frames(10),
                       metadata={"com.android.capture.fps": "240.000000"}, rotation=90)
    plain = make_clip(tmp_path / f"plain{suffix}", pattern_frames(10))
    info = probe(tagged)
    assert info.capture_fps == 240.0
    assert info.rotation_deg == 90 and (info.width, info.height) == (96, 64)
    assert probe(plain).capture_fps is None
    _, idx, _, frames = read_all(tagged)
    assert idx == [frame_id(f) for f in frames] == list(range(10))
    assert all(orientation_ok(f) for f in frames)


# -- codecs --------------------------------------------------------------------------------
@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv420p10le"])
def test_hevc_8_and_10_bit(tmp_path, pix_fmt):
    assert "libx265" in av.codecs_available
    path = make_clip(tmp_path / "h.mp4", pattern_frames(16), codec="libx265", pix_fmt=pix_fmt,
                     rotation=270, gop=6)
    info = probe(path)
    assert info.codec == "hevc" and info.pix_fmt == pix_fmt
    assert (info.width, info.height, info.rotation_deg) == (96, 64, 270)
    cv_reader, idx, times, cv_frames = read_all(path, backend="opencv")
    assert cv_reader.backend == "opencv"  # OpenCV 5 decodes 10-bit HEVC itself
    assert idx == [frame_id(f) for f in cv_frames] == list(range(16))
    assert all(orientation_ok(f) for f in cv_frames)
    np.testing.assert_allclose(times, np.arange(16) / 30, atol=TICK)
    _, _, _, av_frames = read_all(path, backend="pyav")
    for a, b in zip(cv_frames, av_frames):  # both decoders see the same picture
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 3


def _colour_clip(path, pix_fmt: str, size=(96, 64), colorspace: int | None = None):
    """Three frames of saturated colour patches and a grey ramp; ``colorspace`` = the FFmpeg
    code the stream is tagged with (and encoded in), ``None`` = untagged."""
    w, h = size
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 3] = (220, 30, 30)
    img[:, w // 3: 2 * w // 3] = (30, 200, 40)
    img[:, 2 * w // 3:] = (40, 60, 220)
    img[: h // 4] = np.linspace(0, 255, w, dtype=np.uint8)[None, :, None]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30, options={"crf": "8"})
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        if colorspace is not None:
            stream.codec_context.colorspace = colorspace
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 30)
            if colorspace is not None:
                frame = frame.reformat(format=pix_fmt, dst_colorspace=colorspace)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with av.open(str(path)) as c:
        return list(c.decode(video=0))


@pytest.mark.parametrize("pix_fmt,colorspace", [("yuv420p", None), ("yuv420p", 1),
                                               ("yuv420p", 6), ("yuvj420p", None)])
def test_pyav_frames_keep_the_clips_colours(tmp_path, pix_fmt, colorspace):
    """The reader's RGB is swscale's for the frame's own colour tags (a BT.709 clip is not
    converted with the BT.601 matrix: that would move saturated colours by ~30 levels)."""
    path = tmp_path / "c.mp4"
    decoded = _colour_clip(path, pix_fmt, colorspace=colorspace)
    _, _, _, frames = read_all(path, backend="pyav")
    assert len(frames) == len(decoded) == 3
    for frame, rgb in zip(decoded, frames):
        assert frame.colorspace == (2 if colorspace is None else colorspace)
        np.testing.assert_array_equal(rgb, frame.to_ndarray(format="rgb24"))
    if colorspace == 1:  # the patches really differ between the two matrices
        yuv = decoded[0].to_ndarray()
        bt601 = cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)
        assert np.abs(bt601.astype(int) - frames[0].astype(int)).max() > 15


# -- chunks --------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("vfr", [False, True], ids=["cfr", "vfr"])
def test_chunks_equal_slices_of_full_decode(tmp_path, backend, vfr):
    pts = _vfr_pts(48) if vfr else None
    path = make_clip(tmp_path / "g.mp4", pattern_frames(48), pts_seconds=pts, gop=8)
    full = list(iter_frames(path, backend=backend))
    assert [i for i, _, _ in full] == list(range(48))
    for start, stop in [(0, 5), (5, 13), (17, 30), (40, None), (47, 48), (30, 200)]:
        reader = iter_frames(path, start=start, stop=stop, backend=backend)
        chunk = list(reader)
        expected = full[start:stop]
        assert [c[0] for c in chunk] == [e[0] for e in expected]
        assert [c[1] for c in chunk] == [e[1] for e in expected]  # identical floats
        for c, e in zip(chunk, expected):
            np.testing.assert_array_equal(c[2], e[2])
        assert reader.complete
        assert reader.frames_skipped < 16, "start= must seek, not decode from the beginning"
    assert list(iter_frames(path, start=48, backend=backend)) == []
    assert list(iter_frames(path, start=10, stop=10, backend=backend)) == []


def test_reader_is_lazy_and_closable(tmp_path):
    path = make_clip(tmp_path / "l.mp4", pattern_frames(30))
    with iter_frames(path) as reader:
        assert isinstance(reader, FrameReader)
        first = next(reader)
        assert first[0] == 0 and reader.frames_read == 1
    with pytest.raises(StopIteration):
        next(reader)
    for backend in BACKENDS:  # single-threaded decoding (one worker per chunk) gives the same
        one = [i for i, _, f in iter_frames(path, backend=backend, threads=1) if frame_id(f) == i]
        assert one == list(range(30))


# -- bad inputs ----------------------------------------------------------------------------
def _bad_files(tmp_path):
    (tmp_path / "zero.mp4").write_bytes(b"")
    (tmp_path / "random.mp4").write_bytes(np.random.default_rng(0).bytes(20000))
    (tmp_path / "folder.mp4").mkdir()
    make_audio_only(tmp_path / "audio.m4a")
    ok = make_clip(tmp_path / "ok.mp4", pattern_frames(30))  # moov at the end
    truncate(ok, tmp_path / "cut_nomoov.mp4", 0.5)
    return {
        "missing.mp4": "does not exist",
        "folder.mp4": "folder",
        "zero.mp4": "empty",
        "random.mp4": "not a video file",
        "audio.m4a": "no video stream",
        "cut_nomoov.mp4": "not a video file",
    }


def test_bad_inputs_raise_one_line_unreadable(tmp_path):
    for name, words in _bad_files(tmp_path).items():
        for call in (probe, iter_frames):
            with pytest.raises(UnreadableVideo) as exc:
                call(tmp_path / name)
            msg = str(exc.value)
            assert name in msg and words in msg and "\n" not in msg, msg
            err = exc.value  # no chained av/cv2 traceback is shown to the coach
            assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_file_yields_readable_prefix(tmp_path, backend):
    whole = make_clip(tmp_path / "w.mp4", pattern_frames(60, 160, 96), faststart=True)
    cut = truncate(whole, tmp_path / "cut.mp4", 0.6)
    info = probe(cut)
    assert info.frame_count == 60  # what the file should contain
    reader, idx, times, frames = read_all(cut, info=info, backend=backend)
    assert 5 < reader.frames_read < 60
    assert reader.frames_expected == 60 and not reader.complete
    assert idx == list(range(len(idx))) == [frame_id(f) for f in frames]
    np.testing.assert_allclose(times, np.arange(len(idx)) / 30, atol=TICK)


def test_duplicate_timestamps_are_dropped(tmp_path):
    # Matroska accepts equal timestamps; rewrite pts of an intra-only clip to 0,1,2,3,3,4,...
    src = make_clip(tmp_path / "src.mp4", pattern_frames(10), gop=1)
    dup = tmp_path / "dup.mkv"
    with av.open(str(src)) as inp, av.open(str(dup), "w") as out:
        s_in = inp.streams.video[0]
        s_out = out.add_stream_from_template(s_in)
        s_out.time_base = Fraction(1, 1000)
        for k, packet in enumerate(p for p in inp.demux(s_in) if p.size):
            t = (k if k <= 3 else k - 1) * 40
            packet.pts = packet.dts = t
            packet.time_base = Fraction(1, 1000)
            packet.stream = s_out
            out.mux(packet)
    info = probe(dup)
    assert info.frame_count == 9
    for backend in BACKENDS:
        reader, idx, times, frames = read_all(dup, backend=backend)
        assert reader.duplicates_dropped == 1
        assert idx == list(range(9))
        assert [frame_id(f) for f in frames] == [0, 1, 2, 3, 5, 6, 7, 8, 9]  # first one kept
        np.testing.assert_allclose(times, np.arange(9) * 0.04, atol=1e-9)


def test_pattern_helper_roundtrip():
    for i in (0, 1, 5, 511, 1023):
        assert frame_id(pattern_frame(i)) == i
    assert orientation_ok(pattern_frame(3)) and not orientation_ok(pattern_frame(3)[::-1])


class _DeadCapture:
    """Stands in for a cv2.VideoCapture that opens (or not) but decodes nothing."""

    def __init__(self, opened):
        self._opened = opened

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self._opened

    def set(self, *_):
        return True

    def get(self, *_):
        return 0.0

    def grab(self):
        return False

    def release(self):
        pass


@pytest.mark.parametrize("fails", ["open", "decode"])
def test_auto_falls_back_to_opencv_when_pyav_decodes_nothing(tmp_path, monkeypatch, fails):
    import posecheck.video.reader as vio

    path = make_clip(tmp_path / "f.mp4", pattern_frames(8), rotation=90)
    assert iter_frames(path).backend == "pyav"  # the default decoder
    real_open = vio.av.open

    class _NoFrames:
        def __init__(self, c):
            self._c, self.streams = c, c.streams

        def seek(self, *a, **k):
            return self._c.seek(*a, **k)

        def decode(self, *a, **k):
            raise av.error.InvalidDataError(1094995529, "Invalid data")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._c.close()

    def broken_open(*a, **k):
        if fails == "open":
            raise av.error.InvalidDataError(1094995529, "Invalid data")
        return _NoFrames(real_open(*a, **k))

    monkeypatch.setattr(vio.av, "open", broken_open)
    reader, idx, times, frames = read_all(path)
    assert reader.backend == "opencv" and reader.complete
    assert idx == [frame_id(f) for f in frames] == list(range(8))
    assert all(orientation_ok(f) for f in frames)
    np.testing.assert_allclose(times, np.arange(8) / 30, atol=TICK)
    forced = iter_frames(path, backend="pyav")  # forced PyAV: nothing decodes, and it says so
    if fails == "decode":
        assert list(forced) == [] and not forced.complete and forced.frames_expected == 8
    else:
        with pytest.raises(UnreadableVideo):
            list(forced)


@pytest.mark.parametrize("opened", [False, True], ids=["cannot-open", "cannot-decode"])
def test_auto_reads_with_pyav_when_opencv_fails(tmp_path, monkeypatch, opened):
    import posecheck.video.reader as vio

    path = make_clip(tmp_path / "f.mp4", pattern_frames(8), rotation=90)
    monkeypatch.setattr(vio.cv2, "VideoCapture", lambda *a, **k: _DeadCapture(opened))
    reader, idx, times, frames = read_all(path)
    assert reader.backend == "pyav" and reader.complete
    assert idx == [frame_id(f) for f in frames] == list(range(8))
    assert all(orientation_ok(f) for f in frames)
    np.testing.assert_allclose(times, np.arange(8) / 30, atol=TICK)
    if opened:  # forced OpenCV: nothing decodes, and the reader says so
        forced = iter_frames(path, backend="opencv")
        assert list(forced) == [] and not forced.complete and forced.frames_expected == 8
    else:
        with pytest.raises(UnreadableVideo, match="f.mp4"):
            iter_frames(path, backend="opencv")


def test_video_io_reexports_the_probe_api():
    """Callers import everything video from posecheck.video.reader; probing lives in video_probe."""
    import posecheck.video.reader as vio
    import posecheck.video.probe as vp

    for name in vp.__all__:
        assert getattr(vio, name) is getattr(vp, name), name
    assert set(vp.__all__) < set(vio.__all__)
    assert {"FrameReader", "iter_frames"} <= set(vio.__all__)
