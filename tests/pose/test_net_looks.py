"""A light track's look through the landmark network (:func:`posecheck.pose.net_track.net_look`).

A light track (someone who is not the athlete, :mod:`posecheck.pose.budget`) is looked at
every 0.4 s. The look tries the network first, seeded from the track's last pose moved to
its prediction (~8 CPU ms); MediaPipe's IMAGE landmarker on the region (~25-30 ms with a
person in it) only when the network's pose is not the track's person. Checked on the
committed sample (one runner, 60 fps, panning)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posecheck.config import PoseConfig
from posecheck.pose import budget, net_track
from posecheck.pose.geometry import Detection
from posecheck.pose.landmark_net import net_for
from posecheck.pose.landmarker import _factory
from posecheck.pose.models import resolve_model
from posecheck.pose.tracking import AthleteTracker
from posecheck.video.reader import iter_frames

CLIP = Path(__file__).resolve().parents[2] / "sample_videos" / "front_side_60fps.mp4"
FULL_ROWS = 20  #: rows followed in full before the track is made light


class CountingFactory:
    """An IMAGE-landmarker factory whose landmarkers count their calls."""

    def __init__(self, factory):
        self.factory, self.calls = factory, 0

    def __call__(self):
        inner, outer = self.factory(), self

        class Counted:
            def detect(self, rgb, ms):
                outer.calls += 1
                return inner.detect(rgb, ms)

            def close(self):
                inner.close()

        return Counted()


def _light_after_full(net_looks: bool, monkeypatch, frames: int = FULL_ROWS + 3):
    """The sample's runner tracked in full on FULL_ROWS frames, then light (as
    :func:`budget.review` makes it) and looked at on the next frame. Returns (tracker,
    its track, IMAGE calls on the look's frame)."""
    monkeypatch.setattr(budget, "NET_LOOKS", net_looks)
    cfg = PoseConfig(model="full")
    model = resolve_model("full")
    image = CountingFactory(_factory(cfg, model, False, False))
    tracker, calls = None, 0
    with iter_frames(CLIP, stop=frames) as reader:
        for row, (_idx, t, rgb) in enumerate(reader):
            if tracker is None:
                tracker = AthleteTracker((rgb.shape[1], rgb.shape[0]), _factory(cfg, model, True, False),
                                         image, search=False, net=net_for(cfg))
            if row == FULL_ROWS:
                tr = max(tracker.tracks, key=lambda x: len(x.rows))
                assert tr.full and len(tr.rows) == FULL_ROWS
                tr.full, tr.net, tr.light_gap, tr.light_next = False, None, True, t
                tracker._drop_landmarker(tr)
                before = image.calls
            tracker.process(row, t, int(round(t * 1000)), rgb)
            if row == FULL_ROWS:
                calls = image.calls - before
                break
    tracker.close()
    return tracker, tr, calls


def test_a_light_look_goes_through_the_network(monkeypatch):
    tracker, tr, image_calls = _light_after_full(True, monkeypatch)
    assert tr.last_row == FULL_ROWS  # the look found the runner
    assert tracker.stats["net_looks"] == 1 and image_calls == 0
    # the same look without the network: MediaPipe's IMAGE landmarker found them
    tracker2, tr2, image_calls2 = _light_after_full(False, monkeypatch)
    assert tr2.last_row == FULL_ROWS and tracker2.stats["net_looks"] == 0 and image_calls2 == 1
    # both found the same runner, within a few pixels
    assert np.linalg.norm(tr.centers[-1] - tr2.centers[-1]) < 0.1 * tr.heights[-1]


def test_a_network_pose_that_is_not_the_person_falls_back_to_mediapipe(monkeypatch):
    """The network's pose three heights off the prediction (it followed someone else) is
    not taken: the IMAGE landmarker looks, and the track continues on its person."""
    orig = net_track.net_look

    def elsewhere(tracker, tr, row, t, img, pred):
        out = orig(tracker, tr, row, t, img, pred)
        shift = np.array([3.0 * tr.heights[-1], 0.0])
        return [Detection(xy=d.xy + shift, z=d.z, visibility=d.visibility, presence=d.presence,
                          world=d.world) for d in out]

    monkeypatch.setattr(net_track, "net_look", elsewhere)
    tracker, tr, image_calls = _light_after_full(True, monkeypatch)
    assert tracker.stats["net_looks"] == 1 and image_calls == 1
    assert tr.last_row == FULL_ROWS
    assert np.linalg.norm(tr.centers[-1] - tr.centers[-2]) < 0.5 * tr.heights[-1]


def test_a_network_pose_on_another_tracked_person_is_dropped(monkeypatch):
    """A look's network pose that overlaps another active track's box is that person's
    (:data:`net_track.SOMEONE_ELSE`): net_look returns nothing."""
    tracker, tr, _calls = _light_after_full(True, monkeypatch, frames=FULL_ROWS + 1)
    from posecheck.pose.tracking import Track

    other = Track(tid=99, center=tr.center.copy(), size=tr.size, last_row=tr.last_row,
                  last_time=tr.last_time)
    other.add(tr.last_row, tr.last_time, tr.last_det, tracker.scale)
    other.active = True
    with iter_frames(CLIP, start=FULL_ROWS, stop=FULL_ROWS + 1) as reader:
        _idx, t, rgb = next(iter(reader))
    pred = tr.predict(FULL_ROWS)
    assert net_track.net_look(tracker, tr, FULL_ROWS, t, rgb, pred)  # alone: found
    tracker.tracks.append(other)
    assert net_track.net_look(tracker, tr, FULL_ROWS, t, rgb, pred) == []


def test_no_look_through_the_network_when_switched_off_or_without_one(monkeypatch):
    tracker, tr, _ = _light_after_full(True, monkeypatch, frames=FULL_ROWS + 1)
    with iter_frames(CLIP, start=FULL_ROWS, stop=FULL_ROWS + 1) as reader:
        _idx, t, rgb = next(iter(reader))
    pred = tr.predict(FULL_ROWS)
    assert net_track.net_look(tracker, tr, FULL_ROWS, t, rgb, pred)
    monkeypatch.setattr(budget, "NET_LOOKS", False)
    assert net_track.net_look(tracker, tr, FULL_ROWS, t, rgb, pred) == []
    monkeypatch.setattr(budget, "NET_LOOKS", True)
    tr.full = True  # a full track is followed, not looked at through here
    assert net_track.net_look(tracker, tr, FULL_ROWS, t, rgb, pred) == []
    tr.full, tracker.net = False, None
    assert net_track.net_look(tracker, tr, FULL_ROWS, t, rgb, pred) == []
