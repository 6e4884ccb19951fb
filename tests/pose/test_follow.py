"""The cheap parts of following people (posecheck.pose.follow): reused landmarkers, the box
follower, and a dormant track coming back only to a person of its own colour."""

from __future__ import annotations

import cv2
import numpy as np

from posecheck.pose import follow
from posecheck.pose.tracking import AthleteTracker


# ------------------------------------------------------------------ LandmarkerPool
class FakeLandmarker:
    """Records every call; finds nobody on a blank image."""

    made = 0

    def __init__(self):
        FakeLandmarker.made += 1
        self.calls: list[tuple[tuple, int]] = []
        self.closed = False

    def detect(self, rgb, ms):
        assert not self.calls or ms > self.calls[-1][1], "timestamps must increase"
        self.calls.append((rgb.shape, ms))
        return []

    def close(self):
        self.closed = True


def test_pool_reuses_a_dropped_landmarker_after_a_blank_frame():
    FakeLandmarker.made = 0
    pool = follow.LandmarkerPool(FakeLandmarker, keep=1)
    a, last = pool.take(1000)
    assert last == -1 and FakeLandmarker.made == 1
    a.detect(np.zeros((100, 100, 3), np.uint8), 1000)
    pool.give(a, 1000)
    b, last = pool.take(1040)
    assert b is a and FakeLandmarker.made == 1 and pool.reused == 1
    # the blank image comes first, at a timestamp between the old and the new frame
    assert a.calls[-1] == ((follow.BLANK_SIDE, follow.BLANK_SIDE, 3), last) and 1000 < last < 1040
    c, _ = pool.take(1080)                       # none spare: a new one
    assert c is not a and FakeLandmarker.made == 2
    pool.give(b, 1040)
    pool.give(c, 1080)                           # keep=1: the second is closed
    assert c.closed and not b.closed
    pool.close()
    assert b.closed


def test_pool_shifts_the_clock_of_a_landmarker_that_ran_ahead():
    # chunks of one run share a pool: a landmarker last fed at 15 s by the second chunk
    # goes to the first, whose clock is at 1 s; it must see increasing timestamps with the
    # frames' own spacing (MediaPipe smooths over time), not 1 ms apart
    pool = follow.LandmarkerPool(FakeLandmarker)
    a, _ = pool.take(14_960)
    a.detect(np.zeros((8, 8, 3), np.uint8), 15_000)
    pool.give(a, 15_000)
    b, last = pool.take(1_000)
    assert isinstance(b, follow.Shifted) and b.landmarker is a and last == 999
    for ms in (1_000, 1_040, 1_080):
        b.detect(np.zeros((8, 8, 3), np.uint8), ms)  # (FakeLandmarker asserts the order)
    fed = [ms for _shape, ms in a.calls[-3:]]
    assert fed[0] > 15_000 and np.diff(fed).tolist() == [40, 40]
    pool.give(b, 1_080)                              # back on its own clock
    c, last = pool.take(15_050)                      # still behind its own last feed
    assert isinstance(c, follow.Shifted) and a.calls[-1][1] == fed[-1] + 1
    pool.give(c, 15_050)
    # within one stream (no landmarker ahead of the frame) nothing is shifted
    e, last = pool.take(17_000)
    assert e is a and last == 16_999 and a.calls[-1][1] == 16_999
    pool.give(e, 17_000)
    d, _ = pool.take(17_040)
    assert d is a and not isinstance(d, follow.Shifted)


def test_pool_shared_by_threads_hands_each_landmarker_to_one_user_at_a_time():
    import threading

    FakeLandmarker.made = 0
    pool = follow.LandmarkerPool(FakeLandmarker, keep=1)
    users: dict[int, int] = {}
    clash = []
    lock = threading.Lock()

    def stream(offset: int) -> None:
        for k in range(200):
            ms = offset + 40 * k
            lm, last = pool.take(ms)
            inner = lm.landmarker if isinstance(lm, follow.Shifted) else lm
            with lock:
                if users.get(id(inner)):
                    clash.append(k)
                users[id(inner)] = 1
            lm.detect(np.zeros((8, 8, 3), np.uint8), max(ms, last + 1))
            with lock:
                users[id(inner)] = 0
            pool.give(lm, max(ms, last + 1))

    threads = [threading.Thread(target=stream, args=(o,)) for o in (0, 50_000, 100_000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not clash                                  # (and timestamps increased: FakeLandmarker)
    assert pool.created + pool.reused == 600 and pool.reused > 0
    assert FakeLandmarker.made == pool.created <= 600 and len(pool._spare) <= 1


# ------------------------------------------------------------------ BoxFollower
def textured_frame(k: int, w: int = 1280, h: int = 720) -> tuple[np.ndarray, np.ndarray]:
    """A grey, lightly textured background with a 120 px tall striped "runner" moving
    right and a little down; returns the RGB frame and the runner's centre (x, y)."""
    rng = np.random.default_rng(0)
    bg = (rng.normal(110, 6, (h // 8, w // 8)).clip(0, 255)).astype(np.uint8)
    img = cv2.resize(bg, (w, h), interpolation=cv2.INTER_NEAREST)
    img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    cx, cy = 200 + 9.0 * k, 300 + 1.5 * k
    x0, y0 = int(cx - 30), int(cy - 60)
    for i in range(6):  # bands of shirt / shorts / legs
        col = (200, 40, 40) if i % 2 == 0 else (30, 30, 30)
        cv2.rectangle(img, (x0, y0 + 20 * i), (x0 + 60, y0 + 20 * i + 19), col, -1)
    return img, np.array([cx, cy])


def test_box_follower_follows_a_moving_person_within_a_few_pixels():
    f = follow.BoxFollower((1280, 720))
    img, c = textured_frame(0)
    f.frame(img)
    pos, errs = c.copy(), []
    for k in range(1, 60):
        img, truth = textured_frame(k)
        f.frame(img)
        nxt = f.follow(pos, 120.0, shift=np.array([9.0, 1.5]))
        assert nxt is not None, k
        pos = nxt
        errs.append(float(np.linalg.norm(pos - truth)))
    # one grey pixel of the follower is 4 full-frame pixels; no drift over 60 frames
    assert max(errs) <= 10.0, errs


def test_box_follower_gives_up_on_flat_or_vanished_boxes():
    f = follow.BoxFollower((1280, 720))
    img, c = textured_frame(0)
    f.frame(img)
    f.frame(np.full_like(img, 110))               # the person is gone, the frame is flat
    assert f.follow(c, 120.0) is None             # (matchTemplate on a flat window: no match)
    f = follow.BoxFollower((1280, 720))
    f.frame(img)
    f.frame(img)
    assert f.follow(np.array([5.0, 300.0]), 120.0) is None    # box leaves the frame
    assert f.follow(c, 20.0) is None                          # too small to match
    assert follow.BoxFollower((1280, 720)).follow(c, 120.0) is None  # no previous frame


# ------------------------------------------------------------------ revive by colour
W, H = 640, 360


def box_frame(colour) -> np.ndarray:
    img = np.full((H, W, 3), 90, np.uint8)
    if colour is not None:
        cv2.rectangle(img, (300, 120), (340, 220), colour, -1)
    return img


class BoxLandmarker:
    """One pose for the box in the crop (x from 10 % to 90 % of its width), none if blank."""

    def __init__(self, video: bool):
        self.video = video

    def detect(self, rgb, ms):
        mask = np.any(rgb != 90, axis=2)
        if rgb.shape[0] < 100 or not mask.any():
            return []
        ys, xs = np.nonzero(mask)
        h, w = rgb.shape[:2]
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        raw = np.zeros((33, 8))
        raw[:, 0] = (x0 + (x1 - x0) * np.linspace(0.1, 0.9, 33)) / w
        raw[:, 1] = (y0 + (y1 - y0) * np.linspace(0.02, 0.98, 33)) / h
        raw[[11, 12, 23, 24], 0] = (x0 + (x1 - x0) * np.array([0.3, 0.7, 0.7, 0.3])) / w
        raw[[11, 12, 23, 24], 1] = (y0 + (y1 - y0) * np.array([0.25, 0.25, 0.5, 0.5])) / h
        raw[:, 3] = raw[:, 4] = 0.9
        return [raw]

    def close(self):
        pass


def run_boxes(second_colour) -> AthleteTracker:
    """A red person for 20 frames, nobody for 10 (0.4 s), then ``second_colour`` at the same
    place and size."""
    tr = AthleteTracker((W, H), lambda: BoxLandmarker(True), lambda: BoxLandmarker(False),
                        search=False)
    for k in range(45):
        colour = (200, 30, 30) if k < 20 else None if k < 30 else second_colour
        tr.process(k, k / 25, k * 40, box_frame(colour))
    tr.close()
    return tr


def test_a_dormant_track_comes_back_only_to_its_own_colour():
    same = run_boxes((200, 30, 30))
    assert len([t for t in same.tracks if t.rows]) == 1       # the athlete came back
    other = run_boxes((30, 60, 200))
    people = [t for t in other.tracks if t.rows]
    assert len(people) == 2                                   # a different person: new track
    assert max(people[0].rows) < 20 and min(people[1].rows) >= 30
    # the dropped landmarkers were reused, not built again
    assert other.stats["landmarkers_created"] <= 2, other.stats


class NoWholeFrame(BoxLandmarker):
    """A VIDEO landmarker that misses the small person on the whole frame (finds them on a
    crop), counting how many were built."""

    made = 0

    def __init__(self):
        super().__init__(True)
        NoWholeFrame.made += 1

    def detect(self, rgb, ms):
        return [] if rgb.shape[:2] == (H, W) else super().detect(rgb, ms)


def test_the_scout_is_given_back_once_someone_is_tracked_and_reused_from_a_shared_pool():
    # the whole-frame scout finds nobody; the people search (IMAGE) finds the person; the
    # scout used to stay alive beside the track's own landmarker to the end of the clip
    NoWholeFrame.made = 0
    pool = follow.LandmarkerPool(NoWholeFrame)
    tr = AthleteTracker((W, H), NoWholeFrame, lambda: BoxLandmarker(False), search=True,
                        pool=pool)
    for k in range(20):
        tr.process(k, k / 25, k * 40, box_frame((200, 30, 30)))
        if k == 0:
            assert tr._scout is not None and NoWholeFrame.made == 1
    people = [t for t in tr.tracks if t.rows]
    assert len(people) == 1 and len(people[0].rows) == 20     # tracked on every frame
    assert tr._scout is None and people[0].landmarker is not None
    assert NoWholeFrame.made == 1 and pool.reused == 1        # the scout became its landmarker
    tr.close()                                                # a shared pool stays open
    assert len(pool._spare) == 1
    pool.close()
    assert not pool._spare


def test_shared_landmarker_builds_once_calls_one_at_a_time_and_closes_on_shutdown():
    import threading
    import time

    from posecheck.pose.follow import SharedLandmarker

    made, active, overlap, closed = [], [0], [0], []

    class Fake:
        def detect(self, rgb, ms):
            active[0] += 1
            overlap[0] = max(overlap[0], active[0])
            time.sleep(0.002)
            active[0] -= 1
            return [rgb.shape]

        def close(self):
            closed.append(self)

    shared = SharedLandmarker(lambda: made.append(Fake()) or made[-1])
    assert shared() is shared and not made  # built on first use only
    img = np.zeros((4, 4, 3), np.uint8)
    threads = [threading.Thread(target=lambda: [shared.detect(img, 0) for _ in range(20)])
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and shared.calls == 60 and overlap[0] == 1
    shared.close()  # a tracker's close: the landmarker stays open
    assert not closed
    shared.shutdown()
    assert closed == made
    shared.shutdown()  # twice is harmless
    assert closed == made
