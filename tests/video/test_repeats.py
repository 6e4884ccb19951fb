"""Repeated frames: recognised through H.264 re-encoding, never on a moving runner."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.video.reader import iter_frames
from posecheck.video.repeats import RepeatMarker, is_repeat, repeat_factor, thumbnail
from clipfactory import make_clip


def _runner_frames(n: int, size=(720, 1280), height_px=60, seed=0):
    """A small dark 'runner' (a rectangle with limbs) moving 9 px per frame over a textured
    background: the hardest case for telling real frames from repeats."""
    rng = np.random.default_rng(seed)
    h, w = size
    bg = (rng.integers(90, 140, (h // 8, w // 8, 3), dtype=np.uint8)
          .repeat(8, axis=0).repeat(8, axis=1))
    frames = []
    for i in range(n):
        f = bg.copy()
        x = 100 + 9 * i
        y = h // 2
        f[y - height_px // 2: y + height_px // 2, x: x + height_px // 5] = (30, 40, 160)
        leg = int(8 * np.sin(i / 2.0))
        f[y + height_px // 2: y + height_px // 2 + 6, x + leg: x + leg + 6] = (20, 20, 20)
        frames.append(f)
    return frames


def test_thumbnail_checks_its_input():
    with pytest.raises(ValueError):
        thumbnail(np.zeros((10, 10), np.uint8))
    assert thumbnail(np.zeros((720, 1280, 3), np.uint8)).shape == (90, 160)


def test_moving_small_runner_is_never_a_repeat():
    frames = _runner_frames(30)
    th = [thumbnail(f) for f in frames]
    assert not any(is_repeat(a, b) for a, b in zip(th, th[1:]))
    assert is_repeat(th[3], thumbnail(frames[3].copy()))


@pytest.mark.parametrize("k", [2, 3, 5])
def test_repeats_survive_h264_and_give_the_factor(tmp_path, k):
    pictures = _runner_frames(24, size=(360, 640), height_px=40)
    frames = [p for p in pictures for _ in range(k)]
    clip = make_clip(tmp_path / f"rep{k}.mp4", frames, fps=30)
    marker = RepeatMarker(iter_frames(clip))
    n = sum(1 for _ in marker)
    assert n == len(frames)
    want = np.array([j % k != 0 for j in range(n)])
    np.testing.assert_array_equal(np.asarray(marker.flags), want)
    assert repeat_factor(np.asarray(marker.flags)) == pytest.approx(k)


def test_occasional_repeats_are_not_repeated_footage():
    flags = np.zeros(300, bool)
    flags[[10, 50, 51, 200]] = True            # a few duplicates (dropped frames)
    assert repeat_factor(flags) == 1.0
    flags[100:190] = True                      # an athlete holding still on a tripod
    assert repeat_factor(flags) == 1.0
    assert repeat_factor(np.tile([False, True], 50)) == 2.0
    # 24 fps shown at 60 fps (3:2 pattern): 2.5 frames per picture
    assert repeat_factor(np.tile([False, True, True, False, True], 40)) == pytest.approx(2.5)
    with pytest.raises(ValueError):
        repeat_factor(np.zeros((3, 3), bool))
