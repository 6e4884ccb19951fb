"""Pay for the athlete, not for everyone: which tracked people get the full pose path.

One landmarker call costs about as much as the bare loop's whole frame (measured on 2
cores, 720p: ~16 ms for the full model on a region of interest, ~12 ms for the lite one;
most of it is MediaPipe's fixed per-call work, not the network), so following every person
in view on every frame multiplies the cost by the number of people. Only one athlete is
analysed, so :class:`posecheck.pose.tracking.AthleteTracker` keeps two kinds of track:

* **full**: its own VIDEO-mode landmarker on every frame (the athlete's landmarks). Under
  the ``auto`` rule a track whose score so far (:func:`posecheck.pose.choice.auto_scores`:
  frames x median height) is at least :data:`CONTENDER` of the best might be the athlete
  and is full; it stays full until its score falls below :data:`KEEP` of the best (no
  swapping back and forth); once the leader is :func:`settled` (tracked for
  :data:`SETTLED_S`) the band narrows to :data:`CONTENDER_SETTLED` / :data:`KEEP_SETTLED`
  (a track keeps to its own person by appearance, :mod:`posecheck.pose.identity`, so the
  others need not be followed in full to keep the leader's track whole); until the leader
  is settled, the tallest people in view (last box height ≥ :data:`CONTENDER` of the
  tallest's) are full too: someone found late or first seen as a fragment (a 50-px upper
  body on a race's first frame) has a score that lags while they may well be the athlete;
  under any other rule every track is full, as before (a
  leftmost / top / ... choice can change with every frame).
* **light**: everybody else. The shared IMAGE-mode landmarker looks at its region of
  interest every :data:`LIGHT_EVERY_S` (the pose nearest the prediction is taken); the
  frames in between are *followed* (centre and height interpolated, landmarks NaN), so the
  choice, the "N people were found" note and the matching of chunks see the same person
  for the whole time it is in view. A light track is lost after :data:`LIGHT_LOST_AFTER_S`
  without a result.

Whether someone is full is reviewed every :data:`REVIEW_EVERY` frames and whenever someone
is found (a newcomer starts light unless they lead). At most ``max_people`` are tracked;
with every place taken, someone new and clearly taller than the shortest tracked person
(not the leader) takes that place (:func:`make_room`). Nobody can know during the clip who
will be chosen at its end, so the leader so far is a bet: if the track chosen at the end
was light for a while, its landmarks there are NaN, and
:func:`posecheck.pose.parallel.estimate_video` runs the full path again over those frames
only (:func:`posecheck.pose.repair.repair_track`) - the same cost as having kept it
full, paid only when the bet was wrong.

Periodic discovery (zoomed tiles, the other large cost) backs off while it finds nobody
new: every :data:`posecheck.pose.tracking.DISCOVERY_EVERY_S`, doubling up to
:data:`DISCOVERY_MAX_S`, back to the start when someone new is found or comes back (once the
leader is settled: back to :data:`DISCOVERY_NEW_S`, and only for someone new). Someone who
left at the left or right edge is looked for there instead, on one tile for a few seconds
(:class:`posecheck.pose.tiles.EdgeWatch`, :data:`EDGE_SEARCH`).
(Painting the tracked people out of the frame before discovery, so the IMAGE landmarker
does not compute their landmarks again in every tile, was tried and dropped: it also hides
a runner partly behind a tracked one, who is then never found.)
"""

from __future__ import annotations

import numpy as np

from posecheck.pose.choice import auto_scores
from posecheck.types import N_LANDMARKS

# ``AthleteTracker``, ``Detection``, ``Track`` in annotations: from posecheck.pose.tracking,
# not imported (tracking imports this module)

CONTENDER = 0.85         #: a track with this share of the best score might be the athlete
KEEP = 0.7               #: ... and stays full until it falls below this share
SETTLED_S = 3.0          #: once the leader has been tracked this long (its first to last row) ...
CONTENDER_SETTLED = 0.95 #: ... contenders need this share of its score ...
KEEP_SETTLED = 0.85      #: ... and stay full down to this share
LIGHT_EVERY_S = 0.4      #: a light track is looked at this often
LIGHT_LOST_AFTER_S = 2.5 #: ... and becomes dormant after this long without a result
LIGHT_FIRST_ROWS = 3     #: a light track is looked at on every frame until it has this many rows
LOOK_MARGIN = 1.25       #: a look's ROI is this x a full track's (its prediction is older)
REVIEW_EVERY = 5         #: frames between reviews of who is full
DISCOVERY_MAX_S = 8.0    #: periodic discovery backs off up to this interval
DISCOVERY_NEW_S = 2.0    #: ... and, once :func:`settled`, again this soon after someone new
#: is found (before: after 1 s, and also after a comeback)
EDGE_SEARCH = True       #: search the frame edge where someone left (posecheck.pose.tiles.EdgeWatch)
#: light tracks are moved by :class:`posecheck.pose.follow.BoxFollower` between their looks
#: (off: measured on the 20-s race, it keeps the others alive, so a runner who leaves early
#: can lead the score while the athlete's track is broken; see docs/speed.md)
FOLLOW_LIGHT = False
#: looks go through the landmark network first (posecheck.pose.net_track.net_look), the
#: IMAGE landmarker only if the network's pose is not the track's person. Off: ~4 % less
#: CPU on the race clips, but the athlete was analysed on 9 instead of 10 of 12 held-out
#: runs (docs/speed.md, session 11)
NET_LOOKS = False
#: with every place taken, someone new this x taller than the shortest tracked (not the
#: leader) takes that place (make_room)
ROOM_TALLER = 1.15


def full_track_ids(tracks: list[Track], rule: str, now_s: float,
                   background: np.ndarray | None = None) -> set[int]:
    """Track ids (``Track.tid``) that get the full pose path from now on: under ``auto``
    the active tracks within :data:`CONTENDER` of the best
    :func:`posecheck.pose.choice.auto_scores` over every track seen so far (dormant ones
    included), and the full ones still within :data:`KEEP` (:data:`CONTENDER_SETTLED`,
    :data:`KEEP_SETTLED` once the leader has been tracked for :data:`SETTLED_S`: each track
    keeps to its own person by appearance, :mod:`posecheck.pose.identity`, so a runner who
    is not the leader need not be followed in full to keep the leader's track whole); under
    any other rule every active track. ``now_s`` is unused (kept for rules that age tracks);
    ``background``: the camera's motion so far (:func:`posecheck.pose.choice.track_summary`)."""
    active = [t for t in tracks if t.active]
    if rule != "auto":
        return {t.tid for t in active}
    seen = [t for t in tracks if t.rows]
    if not seen:
        return {t.tid for t in active}
    scores = auto_scores(seen, background)
    best = max(scores.values())
    if settled(seen, scores):
        enter, keep, tall = CONTENDER_SETTLED, KEEP_SETTLED, np.inf
    else:  # while the choice is open, the tallest now are contenders too (found late or
        # first seen as a fragment, their score lags)
        enter, keep = CONTENDER, KEEP
        tall = CONTENDER * max((_height_now(t) for t in active), default=np.inf)
    return {t.tid for t in seen if t.active and (
        scores[id(t)] >= enter * best or (t.full and scores[id(t)] >= keep * best)
        or _height_now(t) >= tall)}


def make_room(tracker: AthleteTracker, d: Detection) -> bool:
    """All of the tracker's places (``max_people``) are taken and ``d`` is someone new: stop
    the shortest tracked person (not the leader) if ``d`` is :data:`ROOM_TALLER` x taller
    (median of their last 5 boxes). Under the ``auto`` rule the tallest are likelier the
    athlete, while the places went to people in the order they were found: a chunk of a
    race that started with three other runners in view never took the athlete, found a
    second later (held-out clip k1, two workers: every frame analysed on another runner).
    True if a place was made (other rules: never)."""
    seen = [tr for tr in tracker.tracks if tr.active and tr.heights]
    if tracker.rule != "auto" or len(seen) < 2:
        return False
    scores = auto_scores([tr for tr in tracker.tracks if tr.rows], tracker.background())
    lead = max(seen, key=lambda tr: scores[id(tr)])
    short = min((tr for tr in seen if tr is not lead), key=lambda tr: float(np.median(tr.heights[-5:])))
    if d.height < ROOM_TALLER * float(np.median(short.heights[-5:])):
        return False
    short.active = False
    tracker._drop_landmarker(short)
    tracker.stats["made_room"] += 1
    return True


def _height_now(tr: Track) -> float:
    """The track's box height (full-frame px) over its last few rows (the largest)."""
    return float(max(tr.heights[-3:])) if tr.heights else 0.0


def settled(tracks: list[Track], scores: dict | None = None) -> bool:
    """The leader so far (:func:`posecheck.pose.choice.auto_scores`; ``scores`` if already
    computed) has been tracked for :data:`SETTLED_S` (its first to last row)."""
    seen = [t for t in tracks if t.rows]
    if not seen:
        return False
    scores = auto_scores(seen) if scores is None else scores
    lead = max(seen, key=lambda t: scores[id(t)])
    return lead.times[-1] - lead.times[0] >= SETTLED_S


def review(tracker: AthleteTracker, time_s: float) -> None:
    """Make the tracker's active tracks full or light as :func:`full_track_ids` says; a
    track that becomes light gives up its landmarker and is looked at again soon."""
    full = full_track_ids(tracker.tracks, tracker.rule, time_s, tracker.background())
    for tr in tracker.tracks:
        if not tr.active or tr.full == (tr.tid in full):
            continue
        tr.full = tr.tid in full
        if not tr.full:
            tracker._drop_landmarker(tr)
            tr.net = None  # (seeded afresh if it is full again)
            tr.whole, tr.light_gap = False, True
            # a newcomer is looked at again on the next frames (its motion is unknown)
            tr.light_next = time_s + (LIGHT_EVERY_S if len(tr.rows) >= LIGHT_FIRST_ROWS else 0.0)


#: the packed detection of a followed frame without landmarks (see tracking.pack)
NAN_DET = np.full((N_LANDMARKS, 8), np.nan, np.float32)


def fill_gap(tr: Track, row: int, det: Detection, row_times: list[float]) -> None:
    """Before ``tr.add(row, ..., det)``: if the track was light since its last row, follow
    the frames in between (rows with centre and height interpolated between the last
    detection and ``det``, their times from ``row_times``, landmarks :data:`NAN_DET`)."""
    if tr.light_gap and tr.rows and row > tr.last_row + 1:
        r0, c0, h0 = tr.last_row, tr.centers[-1], tr.heights[-1]
        for r in range(r0 + 1, row):
            w = (r - r0) / (row - r0)
            tr.rows.append(r)
            tr.dets.append(NAN_DET)
            tr.centers.append(c0 + w * (det.center - c0))
            tr.heights.append(h0 + w * (det.height - h0))
            tr.times.append(row_times[r] if r < len(row_times) else tr.times[-1])
    tr.light_gap = not tr.full


def box_now(tr: Track, row: int, scale: float) -> tuple[float, float, float, float]:
    """The track's last box (full-frame px) moved to where the track is predicted on
    ``row`` (a light track's last box can be several frames old)."""
    dx, dy = (tr.predict(row) - tr.center) / scale
    x0, y0, x1, y1 = tr.last_det.bbox
    return x0 + dx, y0 + dy, x1 + dx, y1 + dy

