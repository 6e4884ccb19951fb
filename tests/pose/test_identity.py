"""A track keeps its own person through a crossing with someone who is not tracked
(issue 18): the appearance model of :mod:`posecheck.pose.identity` on synthetic people
(shirt, shorts, legs of their own colours) and an AthleteTracker whose fake landmarker
slides onto the larger of two overlapping people, as MediaPipe's does."""

from __future__ import annotations

import numpy as np
import pytest

from fakeposes import box_pose
from posecheck.pose import identity
from posecheck.pose.identity import Appearance, body_histograms, hist_distance
from posecheck.pose.tracking import AthleteTracker

W, H = 960, 540
BG = (90, 90, 90)
SKIN = (176, 122, 90)
#: (shirt, shorts, legs) per person; the shirt colour identifies the person to the fakes
ATHLETE = ((30, 60, 160), (25, 25, 30), SKIN)
INTRUDER = ((200, 30, 30), (20, 20, 20), (150, 100, 70))


def draw(img: np.ndarray, x: float, y: int, h: int, look, arm: bool = False) -> None:
    """A person: box 0.4 h wide at (x, y), shirt 0-50 % of the height, shorts 50-70 %, legs
    below; ``arm``: a bare arm (skin) across most of the torso (half of every stride)."""
    x0, w = int(round(x)), int(0.4 * h)
    img[y:y + h // 2, x0:x0 + w] = look[0]
    img[y + h // 2:y + int(0.7 * h), x0:x0 + w] = look[1]
    img[y + int(0.7 * h):y + h, x0:x0 + w] = look[2]
    if arm:
        img[y + h // 5:y + h // 2, x0 + w // 6:x0 + w - w // 6] = SKIN


def people_in(rgb: np.ndarray) -> list[np.ndarray]:
    """Poses of the people whose shirt lies wholly inside ``rgb``, tallest first (the box is
    the visible shirt's width and twice its height)."""
    h, w = rgb.shape[:2]
    out = []
    for look in (ATHLETE, INTRUDER):
        ys, xs = np.nonzero(np.all(rgb == look[0], axis=2))
        if len(xs) < 30:
            continue
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        bh = 2 * (y1 - y0)
        if x0 == 0 or y0 == 0 or x1 >= w or y0 + bh >= h:
            continue  # cut by the crop edge
        out.append((bh, box_pose(x0, y0, x1 - x0, bh, w, h)))
    return [p for _bh, p in sorted(out, key=lambda o: -o[0])]


class SlidingLandmarker:
    """VIDEO mode: the tallest person wholly in the crop (it slides onto a larger runner
    crossing the region of interest); IMAGE mode: everybody."""

    def __init__(self, video: bool):
        self.video = video

    def detect(self, rgb, ms):
        poses = people_in(rgb)
        return poses[:1] if self.video else poses

    def close(self):
        pass


FRAMES = 120


def positions(k: int) -> tuple[float, float]:
    """x of the athlete (110 px tall, slowly right) and of the intruder (150 px, nearer,
    running left past it: they overlap around frame 67)."""
    return 300 + 3 * k, 900 - 6 * k


def crossing_frame(k: int) -> np.ndarray:
    img = np.full((H, W, 3), BG, np.uint8)
    xa, xi = positions(k)
    draw(img, xa, 200, 110, ATHLETE, arm=k % 10 < 5)
    draw(img, xi, 170, 150, INTRUDER)   # nearer the camera: drawn over the athlete
    return img


def run_crossing() -> AthleteTracker:
    # one person at most: the intruder is never tracked, so only the athlete's own
    # appearance can tell the slide
    tracker = AthleteTracker((W, H), lambda: SlidingLandmarker(True),
                             lambda: SlidingLandmarker(False), max_people=1, search=False)
    for k in range(FRAMES):
        tracker.process(k, k / 25, k * 40, crossing_frame(k))
    tracker.close()
    return tracker


def test_body_histograms_tell_people_apart_through_the_arm_swing():
    img = np.full((H, W, 3), BG, np.uint8)
    draw(img, 100, 100, 110, ATHLETE)
    draw(img, 400, 100, 110, ATHLETE, arm=True)
    draw(img, 700, 100, 110, INTRUDER)
    a, a_arm, b = (body_histograms(img, identity_xy(x, 100, 110)) for x in (100, 400, 700))
    assert a.shape == (3, 125) and np.allclose(a.sum(axis=1), 1.0)
    assert hist_distance(a, a) == pytest.approx(0.0)
    # the arm changes the torso, not the legs: closer than another person is
    assert hist_distance(a, a_arm) < hist_distance(a, b)
    assert hist_distance(a, b) > 2 * identity.DRIFT
    assert body_histograms(img, identity_xy(950, 100, 110)) is None   # off the image


def identity_xy(x: float, y: float, h: float) -> np.ndarray:
    """(33, 2) full-frame pixels of the pose of a person box at (x, y), h tall."""
    raw = box_pose(x, y, 0.4 * h, h, W, H)
    return np.stack([raw[:, 0] * W, raw[:, 1] * H], axis=1)


def test_appearance_takes_back_the_results_after_a_slide():
    frames = [crossing_frame(k) for k in (0, 5)]       # arm down, arm across
    ha = [body_histograms(f, identity_xy(positions(k)[0], 200, 110)) for f, k in zip(frames, (0, 5))]
    img = np.full((H, W, 3), BG, np.uint8)
    draw(img, 400, 170, 150, INTRUDER)
    hb = body_histograms(img, identity_xy(400, 170, 150))
    app = Appearance()
    for row in range(40):                              # the athlete, arm swinging
        assert app.add(row, ha[(row // 5) % 2]) == []  # (the swing is no drift)
    assert app.known and app.alike(ha[0]) and app.alike(ha[1]) and not app.alike(hb)
    ref = app.ref.copy()
    back = []
    for row in range(40, 48):                          # slid onto the intruder
        back = app.add(row, hb)
        if back:
            break
    assert back and back[0] == 40 and back[-1] == row and row < 40 + identity.SHORT
    # only the athlete's older results went into the reference, never the intruder's
    assert hist_distance(app.ref, ref) < 0.02 and hist_distance(app.ref, hb) > 2 * identity.DRIFT
    assert app.add(row + 1, ha[0]) == []


def test_track_keeps_its_person_through_a_crossing_with_someone_untracked():
    tracker = run_crossing()
    (tr,) = [t for t in tracker.tracks if len(t.rows) > 20]
    rows = np.asarray(tr.rows)
    c = np.asarray(tr.centers)
    xa = np.array([positions(k)[0] for k in rows]) + 22   # box centres
    xi = np.array([positions(k)[1] for k in rows]) + 30
    on_athlete = np.abs(c[:, 0] - xa) < 15
    on_intruder = (np.abs(c[:, 0] - xi) < 15) & ~on_athlete
    assert on_intruder.sum() == 0, rows[on_intruder]
    assert len(rows) >= 0.8 * FRAMES and on_athlete.mean() >= 0.98
    assert rows[-1] == FRAMES - 1                         # still on the athlete at the end
    assert tracker.stats["appearance_rejects"] + tracker.stats["reacquire_calls"] >= 1


def test_without_the_appearance_check_the_track_slides(monkeypatch):
    """The scene does fool a tracker that relies on distance, size and (uncrowded) colour."""
    monkeypatch.setattr(identity, "DRIFT", np.inf)
    monkeypatch.setattr(identity, "ALIKE", np.inf)
    tracker = run_crossing()
    tr = max(tracker.tracks, key=lambda t: len(t.rows))
    k = tr.rows[-1]
    assert abs(tr.centers[-1][0] - (positions(k)[1] + 30)) < 15   # ends on the intruder


def test_no_take_back_while_nobody_else_was_seen_and_noisy_tracks_allow_more():
    img = np.full((H, W, 3), BG, np.uint8)
    draw(img, 100, 100, 110, ATHLETE)
    draw(img, 400, 100, 150, INTRUDER)
    ha = body_histograms(img, identity_xy(100, 100, 110))
    hb = body_histograms(img, identity_xy(400, 100, 150))
    lone = Appearance()
    for row in range(60):   # a lone runner whose look changes (turning, light): learnt, not vetoed
        assert lone.add(row, ha if row < 30 else hb, check=False) == []
    # a track whose results usually differ from its reference (a large runner on busy
    # footage) tolerates more: its limits grow to NOISE x its usual distances
    mix = 0.4 * ha + 0.6 * hb
    steady, noisy = Appearance(), Appearance()
    for row in range(40):
        assert steady.add(row, ha) == [] and noisy.add(row, ha if row % 2 else mix) == []
    probe = 0.1 * ha + 0.9 * hb
    assert noisy.distance(probe) > identity.ALIKE and noisy.alike(probe)
    assert not noisy.alike(hb) and not steady.alike(mix)
    assert steady.usual[0] == 0 and noisy.usual[0] > 0


# ------------------------------------------------------------------ re-entry at the frame edge
def reentry_frame(k: int) -> np.ndarray:
    """The athlete near the left (tall, so the other one is a light track); another runner
    leaves on the right (gone from frame 36) and comes back from the right at frame 115
    (wholly in view from frame 121, 4.84 s)."""
    img = np.full((H, W, 3), BG, np.uint8)
    draw(img, 150 + k, 150, 150, ATHLETE, arm=k % 10 < 5)
    x = 600 + 10 * k if k < 40 else 960 - 8 * (k - 115)
    if x < W:
        draw(img, min(x, W), 300, 110, INTRUDER)
    return img


@pytest.mark.parametrize("edge_search", [True, False])
def test_runner_who_left_is_found_again_at_the_edge(monkeypatch, edge_search):
    from posecheck.pose import budget

    monkeypatch.setattr(budget, "EDGE_SEARCH", edge_search)
    tracker = AthleteTracker((W, H), lambda: SlidingLandmarker(True),
                             lambda: SlidingLandmarker(False), max_people=3, search=True)
    for k in range(170):
        tracker.process(k, k / 25, k * 40, reentry_frame(k))
    tracker.close()
    back = sorted(r for t in tracker.tracks for r, d in zip(t.rows, t.dets)
                  if r >= 121 and np.isfinite(d[0, 0]) and d[0, 0] > 480)  # the one on the right
    if edge_search:   # the edge tile where it left, every 0.4 s: found within half a second
        assert tracker.stats["edge_tile_calls"] >= 1
        assert back and back[0] <= 121 + 13, back[:3]
    else:             # only the periodic search, which has backed off to seconds by then
        assert tracker.stats["edge_tile_calls"] == 0
        assert not back or back[0] > 121 + 13, back[:3]


def test_edge_watch_tiles():
    from posecheck.pose.tiles import REENTRY_EVERY_S, REENTRY_S, EdgeWatch, search_tiles

    tiles = search_tiles(1280, 720)
    watch = EdgeWatch(tiles, 1280)
    assert not watch.left(np.array([640.0, 500.0]), 100.0, 0.0)       # lost mid-frame: no exit
    assert watch.left(np.array([1250.0, 500.0]), 100.0, 0.0)          # at the right edge
    (tile,) = watch.due(0.5)
    assert tile[0] + tile[2] == 1280 and tile[1] <= 500 <= tile[1] + tile[3]
    assert watch.due(0.5 + REENTRY_EVERY_S / 2) == []                  # not again so soon
    assert watch.due(0.5 + REENTRY_EVERY_S) == [tile]
    assert watch.due(REENTRY_S + 0.1) == []                            # given up after a while


@pytest.mark.parametrize("height, zoomed", [(200, False), (130, True)])
def test_first_search_zooms_in_only_for_a_far_runner(height, zoomed):
    """A runner over a third of the frame tall is filmed close: the first search does not
    look for more people at zoomed tiles (issue 18's start-up: 20 tile calls on the sample,
    whose runner is 0.39 of the frame); a small one may have others as small around."""
    from posecheck.pose import tracking

    assert 200 / H >= tracking.FAR_PERSON > 130 / H
    tracker = AthleteTracker((W, H), lambda: SlidingLandmarker(True),
                             lambda: SlidingLandmarker(False), max_people=3, search=True)
    for k in range(5):
        img = np.full((H, W, 3), BG, np.uint8)
        draw(img, 200 + 4 * k, 40, height, ATHLETE)
        tracker.process(k, k / 25, k * 40, img)
    tracker.close()
    assert [len(t.rows) for t in tracker.tracks] == [5]
    assert (tracker.stats["tile_calls"] > 0) == zoomed
