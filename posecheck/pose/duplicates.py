"""Two tracks on one person: which is merged away (:class:`posecheck.pose.tracking.AthleteTracker`).

Tracks converge on the same person when a crop's landmarker or the network slides from its
runner onto a neighbour, or when a light track's look lands on someone another track
follows. After each frame (:func:`dedup`) two tracks with a result on it are one person's
when their boxes overlap (IoU > :data:`DUPLICATE_IOU`) **and** their landmarks coincide
(:func:`same_pose`): two runners side by side in an overtake overlap as boxes, not as poses
(measured on a 6-s race: median landmark distance 0.275 of the height; the same person
twice: a few pixels). One of them stops (:func:`which_stops`): the one that slid onto the
person - its appearance (:class:`posecheck.pose.identity.Appearance`) unlike theirs - or
the one that does not know them yet, before the shorter one (until session 10 always the
shorter: in that race, the athlete's).
"""

from __future__ import annotations

import numpy as np

from posecheck.pose import budget, identity
from posecheck.pose.geometry import Detection, iou

DUPLICATE_IOU = 0.5
#: ... and whose landmarks lie within this x the larger box height of each other (median)
DUPLICATE_POSE = 0.1
DUPLICATE_APPEARANCE = 0.05  #: of two tracks on one person, the one this much less alike stops


def same_pose(a: Detection, b: Detection) -> bool:
    """Two detections are one person's pose: their landmarks' median distance is within
    :data:`DUPLICATE_POSE` x the larger box height (NaN landmarks ignored)."""
    with np.errstate(invalid="ignore"):
        d = np.linalg.norm(np.asarray(a.xy, float) - np.asarray(b.xy, float), axis=1)
    d = d[np.isfinite(d)]
    return d.size > 0 and float(np.median(d)) <= DUPLICATE_POSE * max(a.height, b.height, 1e-6)


def which_stops(a, b, hist: np.ndarray | None):
    """Of two tracks (:class:`posecheck.pose.tracking.Track`) on one person whose body
    histograms are ``hist`` (:func:`posecheck.pose.identity.body_histograms`), the one that
    stops: the one whose known appearance is unlike the person while the other's is alike
    or unknown; both alike, the one whose appearance is not known yet or, both known, the
    less alike by :data:`DUPLICATE_APPEARANCE`; else the shorter."""
    alike_a, alike_b = a.appearance.alike(hist), b.appearance.alike(hist)
    if alike_a != alike_b:
        return b if alike_a else a
    if alike_a and a.appearance.known != b.appearance.known:
        return b if a.appearance.known else a
    if a.appearance.known and b.appearance.known:
        da, db = a.appearance.distance(hist), b.appearance.distance(hist)
        if abs(da - db) > DUPLICATE_APPEARANCE:
            return a if da > db else b
    return a if len(a.rows) < len(b.rows) else b


def dedup(tracker, row: int, img: np.ndarray) -> None:
    """Stop one of every two active tracks of ``tracker`` that are one person on frame
    ``row`` (``img``: the inference image); its result there is removed."""
    act = [t for t in tracker.tracks if t.active and t.rows and t.last_row == row
           and t.dets[-1] is not budget.NAN_DET]  # (not a light track's followed frame)
    for i, a in enumerate(act):
        for b in act[i + 1:]:
            if not (a.active and b.active) or iou(a.last_det.bbox, b.last_det.bbox) <= DUPLICATE_IOU \
                    or not same_pose(a.last_det, b.last_det):
                continue
            loser = which_stops(a, b, identity.body_histograms(img, a.last_det.xy * tracker.scale))
            loser.active = False
            tracker._drop_landmarker(loser)
            for lst in (loser.rows, loser.dets, loser.centers, loser.heights, loser.times):
                lst.pop()  # its last detection duplicates the other track's
