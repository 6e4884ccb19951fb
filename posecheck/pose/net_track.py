"""Full tracks followed by the landmark network run directly (:mod:`posecheck.pose.landmark_net`).

A full track of :class:`posecheck.pose.tracking.AthleteTracker` gets its landmarks on every
frame. With a :class:`posecheck.pose.landmark_net.LandmarkNet` (``PoseConfig.landmark_net``)
that is done by a :class:`posecheck.pose.landmark_net.NetFollower` instead of the track's
own MediaPipe VIDEO landmarker: the same network without the segmentation head MediaPipe
computes and discards (~12 instead of ~16-18 CPU ms a frame, full model), its region of
interest carried from frame to frame by the network's own alignment landmarks.

* The follower is seeded from the track's last accepted pose, moved to where the track is
  predicted (:meth:`Track.predict`), and from then on follows its own results.
* A result without a trunk (:func:`plausible`) is refused; the others are checked as the
  MediaPipe landmarker's are (:meth:`AthleteTracker._accept`:
  near the prediction, plausible size, the track's colour when someone is near, its
  appearance). The track keeps its own MediaPipe landmarker meanwhile, idle: handed back to
  the pool shared by the parallel chunks, a miss would take whichever spare another chunk
  left there, and a reused landmarker answers differently from a new one, so the results
  varied from run to run (rows 104+ of the sample, two workers).
* A miss (the network's pose flag below 0.5, or a result refused) hands that frame to the
  MediaPipe path, whose detector can find the person again anywhere in the track's crop; the
  network is tried again after 1, 2, 4 ... :data:`MAX_BACKOFF` frames (reset by a hit), so a
  person the network cannot follow costs one extra call now and then, not every frame.
* Not used while a track picks its person among several by colour or appearance (``looking``,
  ``reacquire``: the MediaPipe path with its IMAGE-mode looks does that).
"""

from __future__ import annotations

import numpy as np

from posecheck.pose import budget
from posecheck.pose.geometry import iou, to_detection
from posecheck.pose.landmark_net import NetFollower

MAX_BACKOFF = 16  #: after misses the network waits at most this many frames before trying again
SOMEONE_ELSE = 0.5  #: a look's pose overlapping another tracked person's box this much (IoU) is theirs
MIN_TRUNK = 0.12  #: a result whose trunk is shorter than this x its box's size is refused


def net_update(tracker, tr, row: int, t: float, img: np.ndarray, pred: np.ndarray, crowd: bool) -> bool:
    """Follow the full track ``tr`` of ``tracker`` (an
    :class:`posecheck.pose.tracking.AthleteTracker` with a network) onto frame ``row`` with
    the network; ``img`` = the inference image, ``pred`` = the track's predicted centre
    there (inference px), ``crowd`` = someone else is near. True if the frame got a pose
    (recorded on the track); False = not tried or missed (use the MediaPipe path)."""
    if tracker.net is None or tr.last_det is None or row < tr.net_next_row or tr.looking \
            or tr.reacquire is not None:
        return False
    if tr.net is None or tr.net.roi is None:
        tr.net = NetFollower(tracker.net)
    if not _follow(tracker, tr, tr.net, row, t, img, pred, crowd, fresh=False, key="net_calls"):
        return _missed(tracker, tr, row)  # (the follower is seeded afresh next time)
    tr.net_misses, tr.net_next_row = 0, row + 1
    return True


def net_rescue(tracker, tr, row: int, t: float, img: np.ndarray, pred: np.ndarray,
               crowd: bool) -> bool:
    """A last try for a full track that got no pose on frame ``row`` (its look and its
    MediaPipe landmarker found nobody it could take, e.g. two runners overlapping): the
    network once, seeded from the track's last pose moved to its prediction, its result
    checked as a new landmarker's (:meth:`AthleteTracker._accept` with ``fresh``: colour when
    someone is near, appearance). True if the frame got a pose. The follower is not kept."""
    if tracker.net is None or tr.last_det is None:
        return False
    return _follow(tracker, tr, NetFollower(tracker.net), row, t, img, pred, crowd, fresh=True,
                   key="net_rescues")


def net_look(tracker, tr, row: int, t: float, img: np.ndarray, pred: np.ndarray) -> list:
    """A light track's look on frame ``row`` through the network, ~8 instead of ~25-30 CPU
    ms of the IMAGE landmarker on its region: seeded from the track's last pose moved to its
    prediction ``pred`` (inference px), not kept. Returns ``[Detection]`` if the network
    found a plausible pose there that is not on another tracked person's box (IoU >
    :data:`SOMEONE_ELSE`), else ``[]``; the caller picks by colour and appearance as for
    the IMAGE landmarker's poses, and looks with it if that fails.
    Nothing for a full track: its picks among people near it stay with MediaPipe (through
    the network too, the athlete was analysed on 24 instead of 26 of 28 tuning runs)."""
    if tracker.net is None or tr.last_det is None or not budget.NET_LOOKS or tr.full:
        return []
    follower = NetFollower(tracker.net, smooth=False)
    if not follower.seed(tr.last_det.xy * tracker.scale + (pred - tr.center)):
        return []
    tracker.stats["net_looks"] += 1
    poses = follower.detect(img, int(round(t * 1000)))
    cands = [to_detection(p, 0, 0, tracker.iw, tracker.ih, tracker.scale) for p in poses]
    others = [budget.box_now(o, row, tracker.scale) for o in tracker.tracks
              if o is not tr and o.active and o.last_det is not None]
    return [c for c in cands if plausible(c) and not any(iou(c.bbox, b) > SOMEONE_ELSE for b in others)]


def _follow(tracker, tr, follower: NetFollower, row: int, t: float, img: np.ndarray,
            pred: np.ndarray, crowd: bool, fresh: bool, key: str) -> bool:
    """``follower`` (seeded first, if it has no region, from the track's last pose moved to
    its prediction ``pred``) on frame ``row``, counted in ``tracker.stats[key]``; its pose,
    if plausible and accepted by the tracker's checks (``fresh``: as a new landmarker's), is
    recorded on ``tr``. True if recorded."""
    if follower.roi is None and not follower.seed(tr.last_det.xy * tracker.scale + (pred - tr.center)):
        return False
    poses = follower.detect(img, int(round(t * 1000)))
    tracker.stats[key] += 1
    if not poses:
        return False
    cand = to_detection(poses[0], 0, 0, tracker.iw, tracker.ih, tracker.scale)
    if not plausible(cand) or not tracker._accept(tr, cand, pred, row, t, img, crowd, fresh=fresh):
        return False
    budget.fill_gap(tr, row, cand, tracker.row_times)
    tr.add(row, t, cand, tracker.scale)
    return True


def plausible(d) -> bool:
    """The pose ``d`` (a :class:`posecheck.pose.geometry.Detection`) has a trunk: its
    shoulders' midpoint at least :data:`MIN_TRUNK` x the box's size from its hips' midpoint
    (a network following a crop it has mis-turned collapses the body onto a few pixels:
    measured 4-21 px trunks in 250-px boxes, against ~0.3 x the size in a real runner)."""
    trunk = np.linalg.norm((d.xy[11] + d.xy[12]) / 2 - (d.xy[23] + d.xy[24]) / 2)
    return bool(np.isfinite(trunk) and trunk >= MIN_TRUNK * d.size)


def _missed(tracker, tr, row: int) -> bool:
    tracker.stats["net_misses"] += 1
    tr.net_misses += 1
    tr.net_next_row = row + min(MAX_BACKOFF, 2 ** (tr.net_misses - 1))
    if tr.net is not None:
        tr.net.roi = None
    return False
