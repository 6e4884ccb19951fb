"""Camera motion from the background (posecheck.video.motion): known shifts of a textured
scene are recovered, the people's boxes are kept out, a blank picture is 'unmeasured'."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posecheck.video.motion import BackgroundMotion, accumulate, work_image

W, H = 1280, 720


def scene(seed: int = 0, size=(W + 400, H + 400)) -> np.ndarray:
    """A textured RGB world larger than the frame (blurred noise: corners everywhere)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    big = cv2.resize(base, size, interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(big, (0, 0), 1.5)


def view(world: np.ndarray, ox: float, oy: float) -> np.ndarray:
    """The (H, W) frame whose top-left corner is at world (ox, oy): a camera that turned so
    the background moved by (-ox, -oy) in the picture (sub-pixel, bilinear)."""
    m = np.float32([[1, 0, -ox], [0, 1, -oy]])
    return cv2.warpAffine(world, m, (W, H), flags=cv2.INTER_LINEAR)


def camera_path(n: int, seed: int = 1) -> np.ndarray:
    """(n, 2) world offsets of a panning, shaking camera (px): 9 px/frame pan, ±40 px of
    smooth vertical shake, and some sideways shake."""
    t = np.arange(n) / 60.0
    ox = 200 + 9.0 * np.arange(n) - 6.0 * np.sin(2 * np.pi * 2.3 * t)
    oy = 200 + 30.0 * np.sin(2 * np.pi * 1.7 * t) + 12.0 * np.sin(2 * np.pi * 2.9 * t + 1.0)
    return np.stack([ox, oy], axis=1)


def paste_runner(frame: np.ndarray, box, seed: int) -> None:
    """A textured block (a 'runner' held still in the picture by the panning camera)."""
    x0, y0, x1, y1 = (int(v) for v in box)
    rng = np.random.default_rng(seed)
    frame[y0:y1, x0:x1] = rng.integers(0, 256, (y1 - y0, x1 - x0, 3), dtype=np.uint8)


def test_work_image_is_small_grey_and_rejects_a_grey_frame():
    g, scale = work_image(np.zeros((720, 1280, 3), np.uint8))
    assert g.dtype == np.uint8 and g.ndim == 2 and g.shape[1] == 320
    assert scale == pytest.approx(0.25)
    g, scale = work_image(np.zeros((120, 160, 3), np.uint8))
    assert g.shape == (120, 160) and scale == 1.0
    with pytest.raises(ValueError, match="RGB"):
        work_image(np.zeros((720, 1280), np.uint8))


def test_pan_and_shake_are_measured_with_a_runner_in_the_way():
    world = scene()
    path = camera_path(40)
    box = (520.0, 160.0, 760.0, 620.0)   # a third of the picture, still while the world moves
    meter = BackgroundMotion()
    for k, (ox, oy) in enumerate(path):
        frame = view(world, ox, oy)
        paste_runner(frame, box, seed=k)  # a new texture every frame: no flow to follow
        meter.update(frame, [box])
    steps = np.asarray(meter.steps)
    assert np.isnan(steps[0]).all()
    truth = -np.diff(path, axis=0)               # the background moves against the camera
    err = steps[1:] - truth
    assert np.all(np.isfinite(err))
    assert np.abs(err).max() < 0.25, np.abs(err).max()
    cum = accumulate(steps)
    assert np.abs(cum[-1] - (path[0] - path[-1])).max() < 1.5


def test_people_boxes_matter_when_a_big_textured_runner_moves_with_the_camera():
    """Without the box the median follows the runner (over half the picture's corners are on
    it); with it, the background."""
    world = scene(3)
    path = camera_path(12, seed=2)
    box = (100.0, 0.0, 1000.0, 720.0)
    blocks = np.random.default_rng(9).integers(0, 256, (90, 112, 3), dtype=np.uint8)
    runner = cv2.resize(blocks, (900, 720), interpolation=cv2.INTER_NEAREST)  # sharp corners
    masked, blind = BackgroundMotion(), BackgroundMotion()
    for ox, oy in path:
        frame = view(world, ox, oy)
        frame[:, 100:1000] = runner             # fixed in the picture
        masked.update(frame, [box])
        blind.update(frame, [])
    truth = -np.diff(path, axis=0)
    good = np.asarray(masked.steps)[1:]
    bad = np.asarray(blind.steps)[1:]
    assert np.nanmax(np.abs(good - truth)) < 0.3
    # fooled without the box: it sees the still runner, not the 9 px/frame pan
    assert np.nanmedian(np.abs(bad[:, 0])) < 0.5
    assert np.nanmedian(np.abs(bad - truth)[:, 0]) > 5.0


def test_a_blank_picture_is_unmeasured_and_counts_as_still():
    meter = BackgroundMotion()
    for _ in range(4):
        meter.update(np.full((360, 640, 3), 128, np.uint8))
    steps = np.asarray(meter.steps)
    assert np.isnan(steps).all()
    np.testing.assert_array_equal(accumulate(steps), np.zeros((4, 2)))


def test_accumulate_sums_steps_and_interpolates_the_frames_between():
    # a finite step is the motion since the previous frame with one; frames between are
    # interpolated (the pose pass measures every k-th frame at high frame rates)
    steps = np.array([[np.nan, np.nan], [1.0, -2.0], [np.nan, np.nan], [0.5, 0.5],
                      [np.nan, np.nan]])
    np.testing.assert_allclose(accumulate(steps),
                               [[0, 0], [1, -2], [1.25, -1.75], [1.5, -1.5], [1.5, -1.5]])
    assert accumulate(np.zeros((0, 2))).shape == (0, 2)
    with pytest.raises(ValueError, match="steps"):
        accumulate(np.zeros(3))


def test_every_other_frame_gives_the_same_path_on_a_shaking_pan():
    """Measured on every 2nd frame (as at 120 fps) and interpolated, the path of a
    60 fps-like shake stays within a few tenths of a pixel of every-frame measurement."""
    world = scene(5)
    path = camera_path(31, seed=3)
    every, second = BackgroundMotion(), BackgroundMotion()
    half = []
    for k, (ox, oy) in enumerate(path):
        frame = view(world, ox, oy)
        every.update(frame)
        half.append(second.update(frame) if k % 2 == 0 else (np.nan, np.nan))
    a, b = accumulate(np.asarray(every.steps)), accumulate(np.asarray(half))
    truth = path[0] - path
    assert np.abs(a - truth).max() < 1.0
    assert np.abs(b[::2] - truth[::2]).max() < 1.0
    assert np.abs(b - truth).max() < 2.0      # the odd frames: interpolated
