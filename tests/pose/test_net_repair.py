"""The repair pass through the landmark network (:class:`posecheck.pose.repair.NetRepair`).

When the athlete chosen at the end was a light track for a while (only followed, NaN
landmarks), :func:`posecheck.pose.repair.repair_track` decodes those frames again. With
the network following the athlete, the network fills them (the same landmarks as the
athlete's other frames, about half a MediaPipe VIDEO call); without it, MediaPipe does.

The light stretch is made on the committed sample: the tracker follows the runner in full,
then rows 15-29 of its track lose their landmarks (their followed centres and heights kept,
as a light track's are); the repair must give them back close to what the tracker had."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posecheck.config import PoseConfig
from posecheck.pose import budget, landmarker
from posecheck.pose.landmark_net import shared_net
from posecheck.pose.models import resolve_landmark_net
from posecheck.pose.repair import NetRepair, repair_track
from posecheck.video.probe import probe

CLIP = Path(__file__).resolve().parents[2] / "sample_videos" / "front_side_60fps.mp4"
LIGHT = list(range(15, 30))
LEGS = [23, 24, 25, 26, 27, 28]  # hips, knees, ankles


@pytest.fixture(scope="module")
def tracked():
    """(track, file indices of its rows, the landmarks the tracker found on LIGHT)."""
    cfg = PoseConfig(model="full")
    indices, _times, tracks, _size = landmarker.track_frames(_frames(40), cfg)
    track = max(tracks, key=lambda t: len(t.rows))
    assert [track.rows[k] for k in LIGHT] == LIGHT  # followed on every frame
    truth = np.stack([np.asarray(track.dets[k])[:, :2] for k in LIGHT])
    return track, np.asarray(indices), truth


def _frames(n: int):
    from posecheck.video.reader import iter_frames

    with iter_frames(CLIP, stop=n) as reader:
        yield from reader


def _lighten(track):
    """A copy of ``track`` whose LIGHT rows lost their landmarks (as a light track's)."""
    dets = [np.asarray(d).copy() for d in track.dets]
    for k in LIGHT:
        dets[k] = budget.NAN_DET.copy()
    return replace(track, dets=dets)


def _leg_error(track, truth) -> np.ndarray:
    got = np.stack([np.asarray(track.dets[k])[:, :2] for k in LIGHT])
    # legs may be labelled either way round between two runs (posecheck's leg identity)
    straight = np.linalg.norm(got[:, LEGS] - truth[:, LEGS], axis=2)
    crossed = np.linalg.norm(got[:, [24, 23, 26, 25, 28, 27]] - truth[:, LEGS], axis=2)
    return np.minimum(np.median(straight, axis=1), np.median(crossed, axis=1))


def test_the_network_fills_a_light_stretch_close_to_what_it_followed(tracked, monkeypatch):
    track, index, truth = tracked
    light = _lighten(track)
    built = []
    orig = landmarker._Landmarker.__init__

    def counting(self, *a, **k):
        built.append(k.get("video"))
        orig(self, *a, **k)

    monkeypatch.setattr(landmarker._Landmarker, "__init__", counting)  # (repair uses this class)
    cfg = PoseConfig(model="full", landmark_net=True)
    filled = repair_track(light, index, str(CLIP), probe(CLIP), cfg)
    assert filled == len(LIGHT)
    assert built == []  # no MediaPipe landmarker: the network did it
    # the tracker's own network results on these frames, a few pixels off at most (the
    # repair is seeded from the frame before the stretch, the tracker from its last frame)
    err = _leg_error(light, truth)
    assert np.median(err) < 4.0 and err.max() < 12.0, err.round(1)
    # rows that had landmarks are untouched
    for k in (0, 14, 30, len(track.rows) - 1):
        assert np.array_equal(np.asarray(light.dets[k]), np.asarray(track.dets[k]))


def test_without_the_network_mediapipe_fills_it(tracked):
    track, index, truth = tracked
    light = _lighten(track)
    cfg = PoseConfig(model="full", landmark_net=False)
    filled = repair_track(light, index, str(CLIP), probe(CLIP), cfg)
    assert filled >= len(LIGHT) - 1
    assert np.median(_leg_error(light, truth)) < 15.0  # another model's landmarks


def test_a_result_off_the_followed_centre_is_not_taken(tracked):
    """A light row gets the network's pose only when it lies within ``max_off`` heights of
    the row's followed centre and looks like the track's person (else the track was
    following someone else there: the row stays NaN rather than taking whoever the network
    finds)."""
    track, _index, _truth = tracked
    k = LIGHT[0]
    rgb = next(f for i, (_idx, _t, f) in enumerate(_frames(k + 1)) if i == k)
    net = shared_net(resolve_landmark_net("full"))
    for max_off, unlike, taken in ((0.9, False, True), (1e-3, False, False), (0.9, True, False)):
        light = _lighten(track)
        if unlike:  # the person there does not look like the track's (a runner beside them)
            light = replace(light, appearance=copy.copy(track.appearance))
            light.appearance.alike = lambda hist: False
        rep = NetRepair(net, light, max_off=max_off)
        assert rep.fill(k - 1, rgb, 0) is None  # a row with landmarks: seeds, fills nothing
        packed = rep.fill(k, rgb, 17)
        assert rep.calls == 1 and (packed is not None) == taken
        if taken:
            assert packed.shape == np.asarray(track.dets[k]).shape and np.isfinite(packed[:, :2]).all()
