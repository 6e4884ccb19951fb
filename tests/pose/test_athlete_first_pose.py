"""A new track's first pose is checked against every pose the IMAGE landmarker sees there.

MediaPipe's person detector sometimes returns a second, partial box on the runner; a
one-pose VIDEO landmarker takes whichever box scores higher and keeps tracking that pose
(seen on frame 89 of the front-side sample: a collapsed pose 332 px tall at visibility 0.72
against the runner's 413 px at 0.85). Fake landmarkers reproduce that here.
"""

from __future__ import annotations

import numpy as np

from posecheck.pose.follow import BLANK_SIDE
from posecheck.pose.tracking import AthleteTracker, Detection, completeness, contains

W, H = 640, 480


def raw_pose(x: float, top: float, bottom: float, width: float, vis: float) -> np.ndarray:
    """(33, 8) raw landmarker output: a vertical body at x (pixels) from top to bottom."""
    raw = np.zeros((33, 8))
    raw[:, 0] = (x + np.linspace(-width / 2, width / 2, 33)) / W
    raw[:, 1] = np.linspace(top, bottom, 33) / H
    raw[:, 3] = vis
    raw[:, 4] = 1.0
    return raw


FULL = raw_pose(320, 60, 460, 160, 0.9)       # the runner
PARTIAL = raw_pose(320, 150, 440, 60, 0.7)    # a partial pose inside the runner's box
OTHER = raw_pose(120, 40, 470, 150, 0.95)     # another person, taller, elsewhere


class FakeVideo:
    """One-pose VIDEO landmarker: its detector's n-th run in the test picks ``first(n)`` (what
    it scored highest), later calls keep tracking what it picked; a blank image (the one a
    reused landmarker gets, posecheck.pose.follow.LandmarkerPool) makes it forget, so its
    next call detects again, as MediaPipe's does."""

    made: list = []
    picks = 0

    def __init__(self, first):
        self.first, self.tracked = first, None
        FakeVideo.made.append(self)

    def detect(self, rgb, ms):
        if rgb.shape[:2] == (BLANK_SIDE, BLANK_SIDE):
            self.tracked = None
            return []
        if self.tracked is None:
            FakeVideo.picks += 1
            self.tracked = self.first(FakeVideo.picks)
        return [self.tracked.copy()]

    def close(self):
        pass


class FakeImage:
    def __init__(self, poses):
        self.poses = poses

    def detect(self, rgb, ms):
        return [p.copy() for p in self.poses]

    def close(self):
        pass


def run(first, image_poses, frames=4):
    FakeVideo.made, FakeVideo.picks = [], 0
    tracker = AthleteTracker((W, H), lambda: FakeVideo(first), lambda: FakeImage(image_poses),
                             search=False)
    img = np.zeros((H, W, 3), np.uint8)
    for row in range(frames):
        tracker.process(row, row / 30, int(row * 1000 / 30), img)
    tracker.close()
    return tracker


def heights(tracker):
    return [[round(float(np.ptp(d[:, 1]))) for d in tr.dets] for tr in tracker.tracks]


def test_partial_first_pose_is_replaced_and_tracking_restarts():
    # the first landmarker picks the partial pose, a new one picks the runner
    tr = run(lambda n: PARTIAL if n == 1 else FULL, [FULL, PARTIAL])
    assert heights(tr) == [[400, 400, 400, 400]]       # the runner on every frame
    assert tr.tracks[0].restarts == 1 and FakeVideo.picks == 2
    assert len(FakeVideo.made) == 2     # one that latched onto a partial pose is not reused


def test_good_first_pose_is_kept_without_restart():
    tr = run(lambda n: FULL, [FULL, PARTIAL])
    assert heights(tr) == [[400, 400, 400, 400]]
    assert tr.tracks[0].restarts == 0 and FakeVideo.picks == 1 and len(FakeVideo.made) == 1
    assert tr.stats["first_pose_checks"] == 1          # one extra look, on the first frame


def test_restarts_are_bounded_when_the_detector_keeps_the_partial_pose():
    tr = run(lambda n: PARTIAL, [FULL, PARTIAL], frames=8)
    assert len(tr.tracks) == 1 and len(tr.tracks[0].rows) == 8
    assert tr.tracks[0].restarts == 3                  # MAX_RESTARTS, then it is accepted
    assert heights(tr)[0][:3] == [400, 400, 400] and heights(tr)[0][-1] == 290


def test_a_different_person_is_never_taken_for_a_more_complete_pose():
    tr = run(lambda n: FULL, [OTHER, FULL])
    assert heights(tr) == [[400, 400, 400, 400]] and tr.tracks[0].restarts == 0


def test_completeness_and_containment():
    def det(raw):
        xy = raw[:, :2] * [W, H]
        return Detection(xy, raw[:, 2], raw[:, 3], raw[:, 4], raw[:, 5:8])
    full, part, other = det(FULL), det(PARTIAL), det(OTHER)
    assert completeness(full) > 1.15 * completeness(part)
    assert contains(full.bbox, part.bbox) and not contains(part.bbox, full.bbox)
    assert not contains(other.bbox, full.bbox)
