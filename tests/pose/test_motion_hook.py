"""The camera's motion inside the pose pass (posecheck.pose.motion_hook): people's boxes
from the tracker, hooks chained, frames in order; and the whole pass on a rendered clip
with a panning, shaking camera against the truth."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from posecheck.pose.motion_hook import HALF_WIDTH, MotionHook, chain, motion_stride, person_boxes


def _track(rows, center, height):
    return SimpleNamespace(rows=list(rows), centers=[center] * len(rows),
                           heights=[height] * len(rows))


def test_person_boxes_are_the_people_seen_on_this_row():
    tracker = SimpleNamespace(tracks=[_track([3, 4], (500.0, 300.0), 200.0),
                                      _track([2], (100.0, 100.0), 50.0),      # not on row 4
                                      _track([4], (np.nan, 10.0), 50.0),      # no position
                                      _track([], (0.0, 0.0), 1.0)])
    boxes = person_boxes(tracker, 4)
    assert boxes == [(500 - HALF_WIDTH * 200, 200.0, 500 + HALF_WIDTH * 200, 400.0)]


def test_chain_calls_each_hook_in_order():
    calls = []
    a = lambda *args: calls.append(("a", args))  # noqa: E731
    b = lambda *args: calls.append(("b", args))  # noqa: E731
    assert chain(None, None) is None
    assert chain(None, a) is a
    chain(a, None, b)(1, 2)
    assert calls == [("a", (1, 2)), ("b", (1, 2))]


def test_motion_hook_measures_every_frame_in_order():
    hook = MotionHook()
    tracker = SimpleNamespace(tracks=[])
    frame = np.full((90, 160, 3), 100, np.uint8)
    hook(tracker, 0, 10, frame, False)
    hook(tracker, 1, 11, frame, True)
    assert hook.steps.shape == (2, 2)
    with pytest.raises(ValueError, match="in order"):
        hook(tracker, 3, 13, frame, False)


def test_motion_hook_measures_every_kth_frame_at_high_frame_rates():
    assert [motion_stride(f) for f in (0.0, 25.0, 30.0, 60.0, 120.0, 240.0)] == [1, 1, 1, 2, 4, 8]
    hook = MotionHook(stride=4)
    seen = []
    hook.meter.update = lambda rgb, boxes: seen.append(int(rgb[0, 0, 0])) or (1.0, 2.0)
    tracker = SimpleNamespace(tracks=[])
    for row, index in enumerate(range(6, 15)):       # a chunk starting at file index 6
        hook(tracker, row, index, np.full((4, 4, 3), index, np.uint8), False)
    assert seen == [8, 12]
    steps = hook.steps
    assert np.isfinite(steps[:, 0]).tolist() == [i % 4 == 0 for i in range(6, 15)]
    with pytest.raises(ValueError, match="stride"):
        MotionHook(stride=0)


def test_a_repeated_picture_did_not_move_and_costs_nothing():
    hook = MotionHook()
    real, calls = hook.meter.update, []
    hook.meter.update = lambda rgb, boxes: calls.append(1) or real(rgb, boxes)
    tracker = SimpleNamespace(tracks=[])
    frame = np.full((90, 160, 3), 100, np.uint8)
    for row, rep in enumerate([True, False, True, True, False]):  # the first is measured
        hook(tracker, row, row, frame, rep)
    assert len(calls) == 3
    np.testing.assert_array_equal(hook.steps[[2, 3]], np.zeros((2, 2)))
    assert np.isnan(hook.steps[[0, 1, 4]]).all()      # a blank picture: unmeasured


@pytest.fixture(scope="module")
def shaky_clip(tmp_path_factory):
    """1.5 s at 30 fps, 640x360, a panning camera with 1° of hand-held shake (RMS)."""
    from clipfactory import make_clip
    from synthclips import render_layers
    from tools.synth import CameraParams, SprintParams
    from tools.synth.render import _x264_determinism

    p = SprintParams(seconds=1.5, fps=30, width=640, height=360, seed=4,
                     camera=CameraParams(mode="pan", shake=1.0))
    frames, gt = [], None
    for rgb, _a, gt in render_layers(p):
        frames.append(rgb)
    path = make_clip(tmp_path_factory.mktemp("shaky") / "shaky.mp4", frames, fps=30,
                     codec_options=_x264_determinism())
    return path, gt.payload


@pytest.mark.parametrize("workers", [1, 2])
def test_the_pose_pass_measures_the_shake_of_a_rendered_clip(shaky_clip, workers):
    """Truth: a toe on the ground is still in the world, so between two frames of one
    contact its image y moves exactly as the background does there."""
    from posecheck.config import PoseConfig
    from posecheck.pose.parallel import estimate_video
    from posecheck.video.probe import probe

    path, gt = shaky_clip
    info = probe(path)
    seq = estimate_video(path, info, PoseConfig(model="full", workers=workers))
    assert seq.background is not None and seq.background.shape == (seq.n_frames, 2)
    step = np.diff(seq.background[:, 1])
    frames = gt["frames"]
    toe = {s: np.asarray(frames["points_px"][f"toe.{s}"])[:, 1] for s in "LR"}
    errs, moves = [], []
    for s in "LR":
        on = np.asarray(frames["contact"][s], bool) if isinstance(frames["contact"], dict) \
            else np.asarray(frames["contact"])[:, "LR".index(s)].astype(bool)
        both = on[1:] & on[:-1]
        errs.append((step - np.diff(toe[s]))[both])
        moves.append(np.diff(toe[s])[both])
    errs, moves = np.concatenate(errs), np.concatenate(moves)
    assert errs.size >= 8
    assert np.abs(moves).mean() > 2.0        # the camera really shakes (px per frame)
    assert np.abs(errs).mean() < 0.5, errs


def _events_within_a_frame(analysis, gt) -> float:
    """Share of the truth's touchdowns and toe-offs with a detected event of the same foot
    and kind within one frame."""
    fps = gt["fps"]
    hits = []
    for e in gt["events"]:
        near = [x for x in analysis.events if x.side == e["side"] and x.kind == e["type"]]
        hits.append(bool(near) and min(abs(x.time_s - e["time"]) for x in near) * fps <= 1.0)
    return float(np.mean(hits))


def test_a_shaking_camera_no_longer_costs_the_foot_events(shaky_clip, monkeypatch):
    """The whole analysis of the shaken render: with the background's motion the feet are
    timed against the track, without it (the ground line through the feet alone) the shake
    loses events."""
    import posecheck.pipeline as pipeline

    path, gt = shaky_clip
    assert len(gt["events"]) >= 8
    with_motion = _events_within_a_frame(pipeline.analyze_video(path), gt)
    monkeypatch.setattr(pipeline, "background_dy", lambda pose: None)
    without = _events_within_a_frame(pipeline.analyze_video(path), gt)
    # measured: 12 of 14 events within a frame with it, 8 without
    assert with_motion >= 0.7, (with_motion, without)
    assert with_motion - without >= 0.14, (with_motion, without)
