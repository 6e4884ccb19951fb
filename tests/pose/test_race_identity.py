"""Keeping runners apart in race footage (issue 18's tracking bug): a fragment's first box
does not make a velocity, two runners side by side are not one person, the track that knows
the person survives a collision, someone lost is found again across a panning view, and the
``auto`` rule reads directions over the ground. The whole-race check is in test_race.py."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.pose import duplicates, tracking
from posecheck.pose.choice import choose_track
from posecheck.pose.identity import body_histograms
from posecheck.pose.duplicates import same_pose, which_stops
from posecheck.pose.tracking import AthleteTracker, Detection, Track
from test_identity import ATHLETE, BG, INTRUDER, H, W, draw


def detection(x: float, y: float, h: float, phase: float = 0.0) -> Detection:
    """A pose of height ``h`` whose box starts at (x, y): landmarks down the body, the
    shoulders at 25 % and the hips at 50 % of its height, the legs swung by ``phase``
    (fractions of the height)."""
    xy = np.column_stack([x + 0.4 * h * np.linspace(0.1, 0.9, 33), y + h * np.linspace(0.02, 0.98, 33)])
    xy[[11, 12, 23, 24]] = np.column_stack([x + 0.4 * h * np.array([0.3, 0.7, 0.7, 0.3]),
                                            y + h * np.array([0.25, 0.25, 0.5, 0.5])])
    xy[25:33, 0] += phase * h * np.linspace(-1, 1, 8)
    return Detection(xy=xy, z=np.zeros(33), visibility=np.ones(33), presence=np.ones(33),
                     world=np.zeros((33, 3)))


def test_velocity_is_not_measured_across_a_fragment_growing_to_the_whole():
    tr = Track(tid=0, center=np.zeros(2), size=1.0, last_row=0, last_time=0.0)
    tr.add(0, 0.0, detection(500, 300, 50), 1.0)      # the upper body only
    tr.add(1, 0.04, detection(480, 250, 110), 1.0)    # the whole runner: the box centre jumps
    assert np.all(tr.velocity == 0)
    tr.add(2, 0.08, detection(483, 250, 110), 1.0)    # the same extent: real motion
    assert tr.velocity == pytest.approx([3.0, 0.0])


def test_two_runners_side_by_side_are_not_one_pose():
    a = detection(400, 200, 120, phase=0.2)
    b = detection(410, 190, 125, phase=-0.2)          # an overtake: boxes overlap, legs differ
    assert tracking.iou(a.bbox, b.bbox) > duplicates.DUPLICATE_IOU
    assert not same_pose(a, b)
    jitter = Detection(xy=a.xy + np.random.default_rng(0).normal(0, 2, a.xy.shape), z=a.z,
                       visibility=a.visibility, presence=a.presence, world=a.world)
    assert same_pose(a, jitter)                       # two tracks on one person


def _tracker() -> AthleteTracker:
    return AthleteTracker((W, H), lambda: None, lambda: None, max_people=3, search=False)


def _learnt(tid: int, look, x: float = 100, rows: int = 30) -> Track:
    """A track that has seen ``look`` (drawn at ``x``) on ``rows`` frames."""
    img = np.full((H, W, 3), BG, np.uint8)
    draw(img, x, 100, 110, look)
    hist = body_histograms(img, detection(x, 100, 110).xy)
    tr = Track(tid=tid, center=np.zeros(2), size=1.0, last_row=0, last_time=0.0)
    for r in range(rows):
        tr.add(r, r / 25, detection(x, 100, 110), 1.0)
        tr.appearance.add(r, hist)
    return tr


def test_the_track_that_knows_the_person_survives_a_collision():
    img = np.full((H, W, 3), BG, np.uint8)
    draw(img, 400, 100, 110, ATHLETE)
    on_athlete = detection(400, 100, 110)
    hist = body_histograms(img, on_athlete.xy)
    own, slid = _learnt(0, ATHLETE, rows=30), _learnt(1, INTRUDER, rows=40)
    assert own.appearance.known and slid.appearance.known
    assert which_stops(own, slid, hist) is slid   # not the shorter one
    assert which_stops(slid, own, hist) is slid
    newcomer = _learnt(2, ATHLETE, rows=3)        # a light track's first looks
    assert not newcomer.appearance.known
    assert which_stops(newcomer, own, hist) is newcomer
    twin = _learnt(3, ATHLETE, rows=35)           # both know the person: the shorter stops
    assert which_stops(own, twin, hist) is own


def test_dedup_stops_one_of_two_tracks_on_one_pose_only():
    img = np.full((H, W, 3), BG, np.uint8)
    draw(img, 400, 100, 110, ATHLETE)
    tracker = _tracker()
    own, slid, beside = _learnt(0, ATHLETE, rows=30), _learnt(1, INTRUDER, rows=40), _learnt(2, INTRUDER)
    for tr, det in ((own, detection(400, 100, 110)), (slid, detection(401, 101, 110)),
                    (beside, detection(400, 88, 110))):  # a lane farther: boxes overlap
        tr.add(50, 2.0, det, 1.0)
    tracker.tracks = [own, slid, beside]
    rows = {tr.tid: len(tr.rows) for tr in tracker.tracks}
    duplicates.dedup(tracker, 49, img)   # (only tracks with a result on that frame take part)
    assert own.active and slid.active and beside.active
    assert tracking.iou(own.last_det.bbox, beside.last_det.bbox) > duplicates.DUPLICATE_IOU
    duplicates.dedup(tracker, 50, img)   # own and slid: one pose; beside: overlapping, another
    assert own.active and not slid.active and beside.active
    assert len(slid.rows) == rows[1] - 1 and len(own.rows) == rows[0]


@pytest.mark.parametrize("known", [True, False])
def test_someone_lost_is_found_again_across_a_panning_view(known):
    tracker = _tracker()
    lost = _learnt(0, ATHLETE, x=100, rows=30 if known else 2)
    lost.active = False
    tracker.tracks = [lost]
    # 1 s later the camera has swung: the same runner 3.5 sizes (~170 px) away
    x = 100 + 3.5 * lost.size
    img = np.full((H, W, 3), BG, np.uint8)
    draw(img, x, 100, 110, ATHLETE)
    t = lost.last_time + 1.0
    got = tracker._adopt(detection(x, 100, 110), 55, t, img)
    assert got is not None
    assert (got is lost) == known    # unknown appearance: only where it was (a new track)


def _moving(tid: int, x0: float, vx: float, n: int = 100, h: float = 100.0) -> Track:
    tr = Track(tid=tid, center=np.zeros(2), size=h, last_row=0, last_time=0.0)
    for k in range(n):
        tr.add(k, k / 25, detection(x0 + vx * k, 300, h), 1.0)
    return tr


def test_auto_reads_directions_over_the_ground():
    # a phone pans right with the athlete: the background slides left 10 px a frame, the
    # athlete drifts left across the picture, the runners who pass move right in it
    athlete = _moving(0, 900, -3.0, h=120)
    others = [_moving(1, 100, 5.0), _moving(2, 150, 6.0), _moving(3, 50, 4.0)]
    background = np.column_stack([-10.0 * np.arange(100), np.zeros(100)])
    tracks = [athlete, *others]
    assert choose_track(tracks, "auto", background) is athlete
    # in picture coordinates alone the athlete seems to run back and is passed over
    assert choose_track(tracks, "auto") is not athlete
    # the position rules stay in the picture: a runner in the second half only, standing
    # at x 700 in it, is not the rightmost (over the ground it would be, 500 px further on)
    late = Track(tid=4, center=np.zeros(2), size=100.0, last_row=0, last_time=0.0)
    for k in range(50, 100):
        late.add(k, k / 25, detection(650, 300, 100), 1.0)
    assert choose_track([*tracks, late], "rightmost", background) is athlete


def test_the_tallest_in_view_is_full_while_the_choice_is_open():
    from posecheck.pose import budget

    early = _moving(0, 100, 4.0, n=40, h=100)       # found first, a fine score
    late = _moving(1, 600, 4.0, n=5, h=125)         # found late (or as a fragment): tallest now
    small = _moving(2, 900, 4.0, n=40, h=60)
    for tr in (late,):
        for k in range(5):                          # (rows 35-39, as the others')
            tr.rows[k] += 35
        tr.last_row = tr.rows[-1]
    tracks = [early, late, small]
    assert not budget.settled(tracks)
    assert budget.full_track_ids(tracks, "auto", 1.6) == {0, 1}
    early2 = _moving(0, 100, 4.0, n=100, h=100)     # once the leader is settled: scores decide
    assert budget.settled([early2, late, small])
    assert budget.full_track_ids([early2, late, small], "auto", 4.0) == {0}


def test_a_full_house_makes_room_for_someone_taller_not_for_someone_shorter():
    """Every place taken (``max_people`` 3): someone new 1.15x taller than the shortest
    tracked person takes their place (the leader by score keeps theirs); someone not that
    much taller is refused, as under any rule but ``auto``."""
    from posecheck.pose import budget

    def house(rule="auto"):
        tracker = AthleteTracker((W, H), lambda: None, lambda: None, max_people=3, search=False,
                                 rule=rule)
        lead = _moving(0, 100, 4.0, n=60, h=80)      # tracked longest: the leader, though short
        mid, short = _moving(1, 400, 4.0, n=20, h=100), _moving(2, 700, 4.0, n=20, h=90)
        for tr in (lead, mid, short):
            tr.active = True
        tracker.tracks = [lead, mid, short]
        return tracker, lead, mid, short

    tracker, lead, mid, short = house()
    assert tracker._adopt(detection(1000, 300, 100), 60, 2.4) is None   # 100 < 1.15 x 90
    assert lead.active and mid.active and short.active
    got = tracker._adopt(detection(1000, 300, 110), 60, 2.4)            # 110 >= 1.15 x 90
    assert got is not None and got.tid == 3 and got.active
    assert not short.active and lead.active and mid.active
    assert tracker.stats["made_room"] == 1
    # taller than the leader's 80 as well: still not the leader's place
    tracker, lead, mid, short = house()
    assert budget.make_room(tracker, detection(1000, 300, 200)) and lead.active and not short.active
    tracker, *_ = house("largest")                                      # other rules: refused
    assert tracker._adopt(detection(1000, 300, 200), 60, 2.4) is None
