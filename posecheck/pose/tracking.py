"""Find, track and choose the athlete: zoomed search, region-of-interest tracking, selection.

MediaPipe's pose *detector* sees the whole input shrunk to 224x224, so a runner who fills a
fifth of a 720p frame (the view from the stands or a lane away) is about 30 px tall to it
and is missed, although the landmark model would place every joint well once it is given a
crop around the person. This module holds the logic that works around it; it never imports
mediapipe (:mod:`posecheck.pose.landmarker` owns the landmarkers and passes them in as factories).

How one frame is processed (:class:`AthleteTracker`)
----------------------------------------------------
* The frame is scaled down first if its long side exceeds :data:`INFER_MAX_SIDE` (4K/8K):
  inference never sees more pixels than a 1080p frame; landmarks are mapped back to the
  original pixels.
* **Tracks.** Every person being followed has a *track*: a region of interest (ROI) = a
  square of :data:`ROI_MARGIN` x the person's size (clamped to the frame) centred on the
  position predicted from the last frames, and its own VIDEO-mode landmarker that sees only
  that crop. A close-up runner's ROI covers (almost) the whole frame, so the common case
  costs one landmarker call per frame as before. Landmarks are mapped back to full-frame
  pixels: ``x = x0 + x_norm * crop_w``, ``y = y0 + y_norm * crop_h``, ``z = z_norm * crop_w``
  (z keeps MediaPipe's "same scale as x" convention, in full-frame pixels).
* A result farther than :data:`MAX_JUMP` person sizes from the prediction is rejected (the
  crop's landmarker jumped to someone else) and that landmarker is replaced (dropped
  landmarkers are reused: :class:`posecheck.pose.follow.LandmarkerPool`); a track with no
  valid result for :data:`LOST_AFTER_S` becomes *dormant*.
* **Discovery** runs on the first frame, every :data:`DISCOVERY_EVERY_S` and on every frame
  while nobody is tracked: an IMAGE-mode landmarker looks at the whole frame for up to
  ``max_people`` poses and, when that finds nobody or everybody tracked is far (less than
  :data:`FAR_PERSON` of the frame height), at overlapping zoomed tiles
  (:func:`posecheck.pose.tiles.search_tiles`: squares of half the frame's short side, half overlapping). While
  nobody is tracked the tiles are visited round-robin, :data:`TILES_PER_FRAME` per frame
  (all of them on the first frame), so a clip with no person is not many times slower.
  A detection not already tracked revives a dormant track it matches (same place, size,
  torso colour and appearance: the athlete came back) or starts a new one.
* **First-pose check.** MediaPipe's detector sometimes returns a second, partial box on the
  runner, which a one-pose VIDEO landmarker then keeps: a clearly more complete pose (box
  containing the first, :func:`completeness` ≥ :data:`MORE_COMPLETE` x) among all the IMAGE
  landmarker finds on the same crop replaces a new landmarker's first pose (it restarts).
* Tracks that converge on the same person (the same pose, not only overlapping boxes) are
  merged: the one that slid onto them stops (:mod:`posecheck.pose.duplicates`).
* Only people who might be the athlete get landmarks on every frame; the others are looked
  at a few times a second; discovery backs off (:mod:`posecheck.pose.budget`). A track
  keeps to its person's appearance, and near someone else to its torso colour; results
  after a slide onto someone else are taken back (:mod:`posecheck.pose.identity`).

The athlete is chosen among the tracks by :mod:`posecheck.pose.choice`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from posecheck.pose import budget, duplicates, follow, identity, net_track
from posecheck.pose.geometry import (MAX_JUMP, MIN_ROI, ROI_MARGIN, Detection, Landmarker,  # noqa: F401 (API)
                                     RawPose, iou, pack, roi_for, to_detection, unpack)
from posecheck.pose.identity import CONTAINED, completeness, contains  # noqa: F401 (API)
from posecheck.pose.tiles import MIN_TILE, EdgeWatch, covers, inside, search_tiles  # noqa: F401 (API)

INFER_MAX_SIDE = 1920      #: longer frames are scaled down to this long side for inference
LOST_AFTER_S = 0.3         #: a track with no result for this long becomes dormant
REVIVE_WITHIN_S = 3.0      #: a dormant track can be revived this long after it was lost
#: ... within 1.5 of its sizes of where it was, + this many sizes a second once its
#: appearance is known (a panning camera's view wanders: the athlete of a 6-s race moved
#: 400-500 px, ~3.5 sizes, in the image in 2 s)
REVIVE_DRIFT = 2.0
DISCOVERY_EVERY_S = 1.0    #: look for new people this often while someone is tracked
DISCOVERY_MIN_FRAMES = 10  #: ... but not more often than every this many frames
#: a search also zooms into tiles when everybody found and tracked is shorter than this x the
#: frame height: the whole-frame detector misses people under ~0.2 of it, and next to someone
#: 0.3 tall they are further away than the next lanes. (The first search used 0.4 until
#: session 6: 20 tile calls, ~0.35 s, on the first frame of the sample, whose runner is 0.39.)
FAR_PERSON = 0.3
TILES_PER_FRAME = 3        #: tiles searched per frame while nobody is tracked
MORE_COMPLETE = 1.15       #: a first pose is replaced by one this much more complete
MAX_RESTARTS = 3           #: at most this many landmarker restarts per track
#: box heights within this ratio show the same extent of a person (else a fragment and the
#: whole: the centre's shift is not motion)
SAME_EXTENT = 1.5


@dataclass
class Track:
    """One person followed through the clip (coordinates in inference pixels)."""

    tid: int
    center: np.ndarray
    size: float
    last_row: int
    last_time: float
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    landmarker: object = None         # per-track VIDEO landmarker (None = create on demand)
    last_ms: int = -1
    active: bool = True
    whole: bool = False               # the landmarker sees the whole frame (a close-up)
    rows: list = field(default_factory=list)        # frame rows with a detection
    dets: list = field(default_factory=list)        # packed (33, 9) float32, see pack()
    last_det: Detection | None = None
    restarts: int = 0                 # landmarker restarts on a more complete first pose
    centers: list = field(default_factory=list)     # (x, y) full-frame pixels
    heights: list = field(default_factory=list)     # box height, full-frame pixels
    times: list = field(default_factory=list)
    full: bool = True                 # landmarks on every frame (else light, see budget)
    light_next: float = -math.inf     # time of a light track's next look
    light_gap: bool = False           # light since the last row: fill the frames between
    colour: np.ndarray | None = None  # torso colour (RGB, frames seen), see identity
    looking: bool = False             # picking by colour among all poses while crowded
    appearance: identity.Appearance = field(default_factory=identity.Appearance)
    reacquire: float | None = None    # time its results were taken back (slid onto someone)
    movenet: dict = field(default_factory=dict)     # row -> (17, 3) keypoints, movenet_hook
    net: object = None                # landmark_net.NetFollower of a full track (net_track)
    net_misses: int = 0               # consecutive misses of the network ...
    net_next_row: int = 0             # ... and the row it is tried again

    def predict(self, row: int) -> np.ndarray:
        return self.center + self.velocity * min(row - self.last_row, 30)

    def add(self, row: int, t: float, det: Detection, scale: float) -> None:
        c = det.center * scale
        if self.rows and row > self.last_row:  # over the last ~6 rows: noisy looks average out
            # ... of about this pose's height: a box that grew from a fragment of the person
            # to the whole (or shrank) moved its centre, not the person (zero: unknown)
            ks = [k for k in range(max(-len(self.rows), -6), 0)
                  if 1 / SAME_EXTENT <= det.height / max(self.heights[k], 1e-6) <= SAME_EXTENT]
            self.velocity = ((c - np.asarray(self.centers[ks[0]]) * scale) / (row - self.rows[ks[0]])
                             if ks else np.zeros(2))
        self.center = c
        self.size = 0.7 * self.size + 0.3 * det.size * scale if self.rows else det.size * scale
        self.last_row, self.last_time = row, t
        self.rows.append(row)
        self.dets.append(pack(det))
        self.last_det = det
        self.centers.append(det.center)
        self.heights.append(det.height)
        self.times.append(t)


class AthleteTracker:
    """Per-frame search and ROI tracking of every person; see the module docstring.

    Args:
        frame_size: (width, height) of the full frames.
        video_landmarker: factory () -> object with ``detect(rgb, ms) -> list[RawPose]`` and
            ``close()``; VIDEO mode, one pose (one per track).
        image_landmarker: factory of the same for discovery (IMAGE mode, ``max_people``
            poses; ``ms`` ignored); created on first use.
        max_people: at most this many tracks are followed at once.
        search: zoomed tile search (off: whole-frame discovery only).
        rule: the athlete rule (``PoseConfig.athlete``): decides who gets full landmarks.
        pool: a :class:`posecheck.pose.follow.LandmarkerPool` of landmarkers made by
            ``video_landmarker``, shared with other trackers (its owner closes it); default:
            one of its own.
        net: a :class:`posecheck.pose.landmark_net.LandmarkNet` that follows the full tracks
            (:mod:`posecheck.pose.net_track`); ``None``: their MediaPipe VIDEO landmarkers do.
    """

    def __init__(self, frame_size: tuple[int, int], video_landmarker: Callable[[], object],
                 image_landmarker: Callable[[], object], max_people: int = 3,
                 search: bool = True, rule: str = "auto",
                 pool: follow.LandmarkerPool | None = None, net=None):
        self.width, self.height = frame_size
        long_side = max(self.width, self.height)
        self.scale = min(1.0, INFER_MAX_SIDE / long_side) if long_side > 0 else 1.0
        self.iw = max(1, int(round(self.width * self.scale)))
        self.ih = max(1, int(round(self.height * self.scale)))
        self.net = net
        self._own_pool = pool is None  # VIDEO landmarkers, reused
        self._pool = follow.LandmarkerPool(video_landmarker) if pool is None else pool
        self.follower = follow.BoxFollower((self.iw, self.ih))  # light tracks between looks
        self._new_image, self._image = image_landmarker, None
        self._scout, self._scout_ms = None, -1  # whole-frame VIDEO landmarker while nobody is tracked
        self.max_people = max(1, int(max_people))
        self.tiles = search_tiles(self.iw, self.ih) if search else []
        self.edges = EdgeWatch(self.tiles, self.iw)  # re-entry search where people left
        self.tracks: list[Track] = []
        self._next_tile = 0
        self._last_discovery: tuple[int, float] | None = None
        self._swept = False
        self.rule, self.row_times, self._discovery_every = rule, [], DISCOVERY_EVERY_S
        self._found = False  # someone started or came back on this frame (review who is full)
        self.others_seen = False  # two people at once: a track may slide onto someone else
        self._background: list[np.ndarray] = []  # the camera's motion (note_background)
        self.stats = dict.fromkeys(("frames", "roi_calls", "discoveries", "tile_calls", "rejected_jumps",
                                    "landmarkers_created", "landmarkers_reused", "first_pose_checks",
                                    "light_calls", "crowded_calls", "reacquire_calls",
                                    "appearance_rejects", "rows_taken_back", "edge_tile_calls",
                                    "net_calls", "net_misses", "net_rescues", "net_looks",
                                    "made_room"), 0)

    # -- public -------------------------------------------------------------------------
    def note_background(self, row: int, step) -> None:
        """The static background's displacement (px, (2,)) from the previous measured frame
        to frame ``row`` (NaN: not measured there, counted as none), from the pose pass's
        :class:`posecheck.pose.motion_hook.MotionHook` on every frame in order:
        over-the-ground directions for the ``auto`` rule (:meth:`background`)."""
        if row != len(self._background):
            raise ValueError(f"background steps must come in order: expected row "
                             f"{len(self._background)}, got {row}")
        step = np.asarray(step, dtype=np.float64)
        last = self._background[-1] if self._background else np.zeros(2)
        self._background.append(last + step if np.isfinite(step).all() else last)

    def background(self) -> np.ndarray | None:
        """(rows so far, 2) px the background has moved since the first frame (NaN steps
        count as none), or None if nothing was noted."""
        return np.asarray(self._background) if self._background else None

    def process(self, row: int, time_s: float, ms: int, rgb: np.ndarray) -> None:
        """Feed frame ``row`` (full-size upright RGB) at ``ms`` (strictly increasing)."""
        self.stats["frames"] += 1
        self.row_times.append(time_s)
        img = rgb if self.scale >= 1.0 else cv2.resize(rgb, (self.iw, self.ih), interpolation=cv2.INTER_AREA)
        if self._scout is not None and any(t.active for t in self.tracks):
            self._pool.give(self._scout, self._scout_ms)  # someone is tracked: no scout needed
            self._scout = None  # (a track that needs a landmarker takes it from the pool)
        if self.tracks and budget.FOLLOW_LIGHT:
            self.follower.frame(img)
        for tr in self.tracks:
            if tr.active and tr.full:
                self._update(tr, row, time_s, ms, img)
            elif tr.active and time_s >= tr.light_next:  # a light track's look
                self.stats["light_calls"] += 1
                found = self._look(tr, row, time_s, img)
                if not found:  # its motion is not what was predicted (a camera that pans and
                    tr.velocity = np.zeros(2)  # shakes): look where it was last seen next time
                tr.light_next = time_s + budget.LIGHT_EVERY_S * (len(tr.rows) >= budget.LIGHT_FIRST_ROWS or not found)
                tr.active = found or time_s - tr.last_time <= budget.LIGHT_LOST_AFTER_S
                if not tr.active:
                    self.edges.left(tr.predict(row), tr.size, time_s)
            elif tr.active and budget.FOLLOW_LIGHT:  # between looks: moved by the box follower
                follow.follow_light(self, tr, row, time_s)
        duplicates.dedup(self, row, img)
        self.others_seen = self.others_seen or sum(t.active and t.last_row == row for t in self.tracks) > 1
        active = [t for t in self.tracks if t.active]
        scouted = False
        if not active:
            # Nobody tracked: look at the whole frame as a plain VIDEO landmarker would (the
            # close-up case costs exactly what it did before ROI tracking existed).
            if self._scout is None:
                self._scout, self._scout_ms = self._take(ms)
            scouted, self._scout_ms = True, max(ms, self._scout_ms + 1)
            poses = self._scout.detect(img, self._scout_ms)
            if poses:
                det = to_detection(poses[0], 0, 0, self.iw, self.ih, self.scale)
                better = self._more_complete(det, img, 0, 0, self.iw, self.ih)
                tr = self._adopt(better or det, row, time_s, img)
                if better is not None:  # the scout is following a partial pose: restart it
                    self._scout.close()  # (not reused: see _drop_landmarker)
                    self._scout = None
                    if tr is not None:
                        tr.restarts += 1
                elif tr is not None and tr.landmarker is None:  # hand the landmarker over
                    tr.landmarker, tr.last_ms, tr.whole = self._scout, self._scout_ms, True
                    self._scout = None
                active = [t for t in self.tracks if t.active]
        if self._last_discovery is None and active and not self._small(active):
            self._last_discovery = (row, time_s)  # a close-up: next check a second from now
        due = (not active or self._last_discovery is None
               or (row - self._last_discovery[0] >= DISCOVERY_MIN_FRAMES
                   and time_s - self._last_discovery[1] >= self._discovery_every))
        if due:
            self._discover(row, time_s, img, active, whole_frame=not scouted)
        elif budget.EDGE_SEARCH and (edge := self.edges.due(time_s)):  # where someone left
            for d in self._unique(self._search(edge, active, img, "edge_tile_calls")):
                self._adopt(d, row, time_s, img)
        if self._found or self.stats["frames"] % budget.REVIEW_EVERY == 0:
            budget.review(self, time_s)  # who is full from the next frame on
            self._found = False

    def close(self) -> None:
        for tr in self.tracks:
            self._drop_landmarker(tr)
        for lm in (self._scout, self._image):
            if lm is not None:
                lm.close()
        self._scout = self._image = None
        if self._own_pool:
            self._pool.close()

    # -- tracking -----------------------------------------------------------------------
    def _update(self, tr: Track, row: int, t: float, ms: int, img: np.ndarray) -> bool:
        if tr.rows and tr.last_row == row:
            return True  # started by discovery on this frame
        pred = tr.predict(row)
        near = identity.crowded(pred, tr.size, [(o.predict(row), o.size, o.colour)
                                                for o in self.tracks if o.active and o is not tr])
        crowd = identity.known(tr.colour) and bool(near)
        tr.looking = tr.looking and crowd
        if tr.looking or tr.reacquire is not None:  # slid onto someone: pick by colour/appearance
            tr.whole, key = False, "crowded_calls" if tr.looking else "reacquire_calls"
            self.stats[key] += 1
            if self._look(tr, row, t, img, crowd=crowd):
                tr.reacquire = None
                return True  # (else a new landmarker tries, its result checked)
        if net_track.net_update(self, tr, row, t, img, pred, crowd):
            return True  # (else the MediaPipe landmarker below)
        if tr.whole:
            x0, y0, w, h = 0, 0, self.iw, self.ih
        else:
            x0, y0, w, h = roi_for(pred, tr.size, self.iw, self.ih)
        crop = img if (w, h) == (self.iw, self.ih) else np.ascontiguousarray(img[y0:y0 + h, x0:x0 + w])
        fresh = tr.landmarker is None
        if fresh:
            tr.landmarker, tr.last_ms = self._take(ms)
        ms = max(ms, tr.last_ms + 1)
        tr.last_ms = ms
        poses = tr.landmarker.detect(crop, ms)
        self.stats["roi_calls"] += 1
        det = None
        if poses:
            cand = to_detection(poses[0], x0, y0, w, h, self.scale)
            if self._accept(tr, cand, pred, row, t, img, crowd, fresh):
                det = cand
            if det is None:  # the crop's landmarker latched onto someone else: start it afresh
                self.stats["rejected_jumps"] += 1
                self._drop_landmarker(tr)
                tr.looking = crowd
        if det is not None:
            better = self._more_complete(det, crop, x0, y0, w, h) if fresh else None
            if better is not None and tr.restarts < MAX_RESTARTS:
                tr.restarts += 1
                det = better
                self._drop_landmarker(tr, reuse=False)  # it follows the partial pose: start afresh
            budget.fill_gap(tr, row, det, self.row_times)
            tr.add(row, t, det, self.scale)
            return True
        if net_track.net_rescue(self, tr, row, t, img, pred, crowd):
            return True
        if tr.whole:  # lost on the whole frame: re-acquire on a crop (and stay zoomed in)
            tr.whole = False
            self._drop_landmarker(tr)
        if t - tr.last_time > (LOST_AFTER_S if tr.reacquire is None else identity.REACQUIRE_S):
            tr.active, tr.reacquire = False, None
            self._drop_landmarker(tr)
            self.edges.left(tr.predict(row), tr.size, t)
        return False

    def _accept(self, tr: Track, cand: Detection, pred: np.ndarray, row: int, t: float,
                img: np.ndarray, crowd: bool, fresh: bool) -> bool:
        """Whether ``cand`` (a full track's result on frame ``row``) continues ``tr``: near
        the prediction ``pred``, of a plausible size, of the track's torso colour when
        someone is near (``crowd``), and - for a new landmarker's first pose (``fresh``)
        once others were seen - of its appearance; a result after a slide onto someone else
        takes the slid rows back (:func:`identity.check`). Blends the colour in if accepted."""
        off = np.linalg.norm(cand.center * self.scale - pred)
        ratio = cand.size * self.scale / max(tr.size, 1.0)
        colour = identity.torso_colour(img, cand.xy * self.scale)
        hist = identity.body_histograms(img, cand.xy * self.scale)
        alike = not (fresh and self.others_seen) or tr.appearance.alike(hist)  # (a new landmarker's)
        if not alike and tr.reacquire is None:
            tr.reacquire = t  # someone else in front: look for the person by appearance
        if (off <= MAX_JUMP * max(tr.size, MIN_ROI / ROI_MARGIN) and 0.4 < ratio < 2.5
                and (not crowd or identity.same_colour(tr.colour, colour)) and alike):
            if not identity.check(self, tr, row, t, hist):  # (drifted: results taken back)
                tr.colour = identity.blend(tr.colour, colour)
                return True
        return False

    def _look(self, tr: Track, row: int, t: float, img: np.ndarray, crowd: bool = False) -> bool:
        """The IMAGE landmarker on the track's ROI (with :data:`budget.NET_LOOKS`, the landmark
        network first: :func:`net_track.net_look`); the pose nearest the prediction that may
        be the track's person (:func:`identity.pick`: colour, appearance) continues it."""
        pred = tr.predict(row)
        cands = net_track.net_look(self, tr, row, t, img, pred)  # (the network first: cheaper)
        if cands and self._pick_look(tr, row, t, img, pred, cands, crowd):
            return True
        x0, y0, w, h = roi_for(pred, budget.LOOK_MARGIN * tr.size, self.iw, self.ih)
        poses = self._image_landmarker().detect(np.ascontiguousarray(img[y0:y0 + h, x0:x0 + w]), 0)
        return self._pick_look(tr, row, t, img, pred,
                               [to_detection(p, x0, y0, w, h, self.scale) for p in poses], crowd)

    def _pick_look(self, tr: Track, row: int, t: float, img: np.ndarray, pred: np.ndarray,
                   cands: list[Detection], crowd: bool) -> bool:
        """The pose of ``cands`` (a look's results on frame ``row``) that continues ``tr``
        (:func:`identity.pick`), recorded on the track; False if none may."""
        cols = [identity.torso_colour(img, c.xy * self.scale) for c in cands]
        hists = [identity.body_histograms(img, c.xy * self.scale) for c in cands]
        k = identity.pick(cands, pred / self.scale, tr.size / self.scale, tr.colour, cols,
                          MAX_JUMP * max(tr.size, MIN_ROI / ROI_MARGIN) / self.scale, crowd,
                          alike=[tr.appearance.alike(hh) for hh in hists])
        if k is None or identity.check(self, tr, row, t, hists[k]):
            return False
        budget.fill_gap(tr, row, cands[k], self.row_times)
        tr.add(row, t, cands[k], self.scale)
        tr.colour = identity.blend(tr.colour, cols[k])
        return True

    def _more_complete(self, det: Detection, crop: np.ndarray, x0: int, y0: int, w: int,
                       h: int) -> Detection | None:
        """A more complete pose of the same person than ``det``, the first result of a new
        VIDEO landmarker on ``crop`` (at x0, y0, size w x h of the inference image), or None
        (the first-pose check of the module docstring)."""
        self.stats["first_pose_checks"] += 1
        best, score = None, completeness(det) * MORE_COMPLETE
        for p in self._image_landmarker().detect(crop, 0):
            alt = to_detection(p, x0, y0, w, h, self.scale)
            if contains(alt.bbox, det.bbox) and completeness(alt) > score:
                best, score = alt, completeness(alt)
        return best

    def _image_landmarker(self):  # the IMAGE-mode landmarker (all poses), created on first use
        if self._image is None:
            self._image = self._new_image()
            self.stats["landmarkers_created"] += 1
        return self._image

    def _take(self, ms: int) -> tuple[object, int]:
        """A VIDEO landmarker tracking nobody and its last timestamp (:class:`follow.LandmarkerPool`)."""
        lm, last = self._pool.take(ms)
        self.stats["landmarkers_created" if last < 0 else "landmarkers_reused"] += 1
        return lm, last

    def _drop_landmarker(self, tr: Track, reuse: bool = True) -> None:
        """``reuse=False``: closed, not pooled (one that latched onto a partial pose; reused,
        the single-runner sample's first-pose restarts went differently than with a new one)."""
        if tr.landmarker is not None:
            if reuse:
                self._pool.give(tr.landmarker, tr.last_ms)
            else:
                tr.landmarker.close()
            tr.landmarker = None

    # -- discovery ----------------------------------------------------------------------
    def _discover(self, row: int, t: float, img: np.ndarray, active: list[Track],
                  whole_frame: bool = True) -> None:
        self._last_discovery = (row, t)
        self.stats["discoveries"] += 1
        if active and (whole_frame or self.tiles):  # back off while nobody new turns up (reset by _adopt)
            self._discovery_every = min(2 * self._discovery_every, budget.DISCOVERY_MAX_S)
        dets = []
        if whole_frame:
            dets = [to_detection(p, 0, 0, self.iw, self.ih, self.scale)
                    for p in self._image_landmarker().detect(img, 0)]
        small = all(d.height * self.scale < FAR_PERSON * self.ih for d in dets) and \
            self._small(active)
        if self.tiles and small:
            if active or not self._swept:
                tiles = self.tiles  # periodic check (or first frame): every tile
                self._swept = True
            else:
                n = min(TILES_PER_FRAME, len(self.tiles))
                tiles = [self.tiles[(self._next_tile + k) % len(self.tiles)] for k in range(n)]
                self._next_tile = (self._next_tile + n) % len(self.tiles)
            dets += self._search(tiles, active, img)
        for d in self._unique(dets):
            self._adopt(d, row, t, img)

    def _search(self, tiles: list, active: list[Track], img: np.ndarray, key: str = "tile_calls") -> list:
        """The IMAGE landmarker on each tile not filled by a tracked person: the poses wholly inside."""
        dets = []
        for (x0, y0, w, h) in tiles:
            if active and any(covers(tr, x0, y0, w, h) for tr in active):
                continue  # a tracked person fills this tile; nothing new to find here
            self.stats[key] += 1
            for p in self._image_landmarker().detect(np.ascontiguousarray(img[y0:y0 + h, x0:x0 + w]), 0):
                d = to_detection(p, x0, y0, w, h, self.scale)
                if inside(d, x0, y0, w, h, self.scale):
                    dets.append(d)
        return dets

    def _small(self, tracks: list[Track]) -> bool:
        """Everybody tracked is short compared with the frame (far away: others may be)."""
        return all(float(np.median(tr.heights)) * self.scale < FAR_PERSON * self.ih
                   for tr in tracks)

    def _unique(self, dets: list[Detection]) -> list[Detection]:
        out: list[Detection] = []
        for d in sorted(dets, key=lambda d: -d.height):
            if all(iou(d.bbox, o.bbox) < 0.3 for o in out):
                out.append(d)
        return out

    def _adopt(self, d: Detection, row: int, t: float, img: np.ndarray | None = None) -> Track | None:
        box = d.bbox
        for tr in self.tracks:
            if tr.active and tr.last_det is not None and iou(box, budget.box_now(tr, row, self.scale)) > 0.2:
                return None  # already tracked
        c, s = d.center * self.scale, d.size * self.scale
        best, best_off = None, math.inf
        colour = None if img is None else identity.torso_colour(img, d.xy * self.scale)
        hist = None if img is None else identity.body_histograms(img, d.xy * self.scale)
        for tr in self.tracks:  # a dormant track of the same place, size and colour comes back
            lost = tr.active and not tr.full and tr.last_row < row  # (a light track's looks may miss)
            if ((tr.active and not lost) or t - tr.last_time > REVIVE_WITHIN_S
                    or not identity.same_colour(tr.colour, colour) or not tr.appearance.alike(hist)):
                continue
            # (the prediction may have run off on a panning camera: or where it was last seen)
            off = min(float(np.linalg.norm(c - tr.predict(row))), float(np.linalg.norm(c - tr.center)))
            # someone whose appearance is known may have drifted further across a panning view
            reach = 1.5 + (REVIVE_DRIFT * (t - tr.last_time) if tr.appearance.known else 0.0)
            off /= reach * tr.size
            if off < 1.0 and 0.6 < s / tr.size < 1.6 and off < best_off:
                best, best_off = tr, off
        new = best is None
        if new:
            if sum(tr.active for tr in self.tracks) >= self.max_people and not budget.make_room(self, d):
                self.others_seen = True  # someone not tracked
                return None
            best = Track(tid=len(self.tracks), center=c, size=s, last_row=row, last_time=t)
            self.tracks.append(best)
        else:
            best.velocity, best.net = np.zeros(2), None
        best.active, best.full, best.light_gap = True, True, False
        best.add(row, t, d, self.scale)
        best.colour, best.reacquire = identity.blend(best.colour, colour), None
        best.appearance.add(row, hist)
        if not budget.settled(self.tracks):  # look again soon
            self._discovery_every = DISCOVERY_EVERY_S
        elif new:
            self._discovery_every = budget.DISCOVERY_NEW_S
        self._found = True
        return best
