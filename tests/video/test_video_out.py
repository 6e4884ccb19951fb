"""Tests for posecheck.video.writer.H264Writer."""

from __future__ import annotations

import struct
from fractions import Fraction

import av
import numpy as np
import pytest

from clipfactory import frame_id, orientation_ok, pattern_frame
from posecheck.errors import OutputError
from posecheck.video.reader import iter_frames
from posecheck.video.writer import H264Writer, output_size


def top_level_boxes(path) -> list[str]:
    """Names of the top-level ISO-BMFF boxes, in file order."""
    data = open(path, "rb").read()
    names, pos = [], 0
    while pos + 8 <= len(data):
        size, name = struct.unpack(">I4s", data[pos:pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        names.append(name.decode("latin-1"))
        pos += size
    return names


def decode(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        info = (s.codec_context.name, s.codec_context.pix_fmt, s.width, s.height)
        frames = [(float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in c.decode(s)]
    return info, frames


def test_basic_output_is_h264_yuv420p_faststart(tmp_path):
    out = tmp_path / "annotated.mp4"
    with H264Writer(out, 96, 64, fps=30) as w:
        for i in range(20):
            w.write(pattern_frame(i), i / 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.mp4"]  # no .part left
    (codec, pix_fmt, width, height), frames = decode(out)
    assert (codec, pix_fmt, width, height) == ("h264", "yuv420p", 96, 64)
    assert len(frames) == 20
    assert [frame_id(f) for _, f in frames] == list(range(20))
    assert all(orientation_ok(f) for _, f in frames)
    np.testing.assert_allclose([t for t, _ in frames], np.arange(20) / 30, atol=1 / 90000)
    boxes = top_level_boxes(out)
    assert "moov" in boxes and "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat"), boxes


def test_vfr_timestamps_preserved(tmp_path):
    times = np.array([0, 0.031, 0.07, 0.6, 0.6042, 0.65, 0.7001, 0.74, 1.3, 1.33])
    out = tmp_path / "vfr.mp4"
    with H264Writer(out, 96, 64, fps=30) as w:
        for i, t in enumerate(times):
            w.write(pattern_frame(i), float(t))
    _, frames = decode(out)
    np.testing.assert_allclose([t for t, _ in frames], times, atol=1 / 90000)
    assert [frame_id(f) for _, f in frames] == list(range(len(times)))
    # and posecheck's reader sees the same times
    got = [t for _, t, _ in iter_frames(out)]
    np.testing.assert_allclose(got, times - times[0], atol=1 / 90000)


def test_odd_size_is_padded_by_one_pixel(tmp_path):
    out = tmp_path / "odd.mp4"
    assert output_size(97, 65) == (98, 66)
    with H264Writer(out, 97, 65, fps=25) as w:
        assert w.size == (98, 66)
        for i in range(6):
            img = np.zeros((65, 97, 3), np.uint8)
            img[:64, :96] = pattern_frame(i)
            img[64, :] = 255  # last row white; padding repeats it
            w.write(img, i / 25)
    (_, _, width, height), frames = decode(out)
    assert (width, height) == (98, 66)
    for i, (_, f) in enumerate(frames):
        assert frame_id(f[:64, :96]) == i and orientation_ok(f[:64, :96])
        assert f[65, 10:80].mean() > 200  # padded row repeats the white last row


@pytest.mark.parametrize("size,max_height,expected", [
    ((320, 240), 120, (160, 120)),
    ((250, 150), 101, (166, 100)),  # 166.7 -> nearest even
    ((96, 64), 120, (96, 64)),  # never upscaled
])
def test_downscale_keeps_aspect_and_even_size(tmp_path, size, max_height, expected):
    w_in, h_in = size
    assert output_size(w_in, h_in, max_height) == expected
    out = tmp_path / "small.mp4"
    with H264Writer(out, w_in, h_in, fps=30, max_height=max_height) as w:
        for i in range(5):
            w.write(pattern_frame(i, w_in, h_in), i / 30)
    (_, _, width, height), frames = decode(out)
    assert (width, height) == expected
    assert len(frames) == 5
    assert all(orientation_ok(f) for _, f in frames)
    assert [frame_id(f) for _, f in frames] == list(range(5))


def test_exception_inside_with_leaves_no_file(tmp_path):
    out = tmp_path / "annotated.mp4"
    with pytest.raises(RuntimeError, match="boom"):
        with H264Writer(out, 96, 64, fps=30) as w:
            for i in range(5):
                w.write(pattern_frame(i), i / 30)
            assert w.part_path.exists() and w.part_path.parent == tmp_path
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_no_frames_is_an_error_and_leaves_no_file(tmp_path):
    with pytest.raises(OutputError):
        with H264Writer(tmp_path / "empty.mp4", 96, 64, fps=30):
            pass
    assert list(tmp_path.iterdir()) == []


def test_unwritable_directory_raises_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot write"):
        H264Writer(tmp_path / "missing_dir" / "a.mp4", 96, 64, fps=30)


def test_wrong_frame_shape_is_rejected(tmp_path):
    with H264Writer(tmp_path / "a.mp4", 96, 64, fps=30) as w:
        with pytest.raises(ValueError):
            w.write(np.zeros((96, 64, 3), np.uint8), 0.0)
        w.write(pattern_frame(0), 0.0)
    assert (tmp_path / "a.mp4").exists()


def test_repeated_or_missing_times_stay_increasing(tmp_path):
    out = tmp_path / "rep.mp4"
    with H264Writer(out, 96, 64, fps=50) as w:
        w.write(pattern_frame(0), 0.0)
        w.write(pattern_frame(1), 0.0)    # same time: nudged one tick later
        w.write(pattern_frame(2))         # no time: previous + 1/fps
        assert w.nudged == 1
    _, frames = decode(out)
    times = [t for t, _ in frames]
    assert times[0] == 0 and 0 < times[1] < 1e-4
    assert times[2] == pytest.approx(times[1] + 1 / 50, abs=1 / 90000)
    assert [frame_id(f) for _, f in frames] == [0, 1, 2]


def test_a_clip_starting_between_milliseconds_keeps_exact_time_stamps(tmp_path):
    """A segment of a 60 fps clip starting at frame 106 (1.7667 s): the mp4 edit list must
    not round its start to whole milliseconds (that moved every frame 60 ticks early)."""
    path = tmp_path / "seg.mp4"
    with H264Writer(path, 64, 48, fps=60, preset="veryfast") as w:
        for i in range(106, 116):
            w.write(np.full((48, 64, 3), 10 * (i - 100), np.uint8), i / 60)
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        pts = [f.pts for f in c.decode(s)]
        assert s.time_base == Fraction(1, 90000)
    assert pts == [round(i / 60 * 90000) for i in range(106, 116)]
