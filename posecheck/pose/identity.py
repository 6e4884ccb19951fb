"""Keep each track on its own person when people overlap (overtakes, a runner passing
behind another).

A region-of-interest landmarker (:mod:`posecheck.pose.tracking`) follows whatever pose its
previous landmarks pointed at; when two runners overlap in the image it can slide onto the
other one, and the jump is too small for the distance test (``MAX_JUMP`` sizes). The
cheapest cue that tells two runners apart is their clothes: each track keeps the colour
of the person's torso (:func:`torso_colour`: the quadrilateral shoulders-hips, sampled at
:data:`GRID` x :data:`GRID` points in its inner part, median), smoothed over frames. While
another tracked person is near (:func:`crowded`), a result whose torso colour is farther
than :data:`COLOUR_TOL` from the track's is taken for the other person: the track's
landmarker is dropped and, until the two are apart, the tracker takes among all poses the
IMAGE landmarker finds on the region of interest the one of the same colour nearest the
prediction (:func:`pick`; on a frame where there is none, a new landmarker tries, its result
checked the same way); then a new landmarker takes over.

The torso colour of a small side-on runner is too noisy to veto a result on its own (a
swinging bare arm covers most of a 100-px runner's torso every half stride), so every full
track also keeps an **appearance model** of the whole person (:class:`Appearance`): colour
histograms of torso, thighs and shins (:func:`body_histograms`), averaged over the last
:data:`SHORT` results (a whole arm cycle averages out) and compared with the track's
long-term reference (built from older results only). When the recent average drifts
:data:`DRIFT` away from the reference, the landmarker has slid onto someone else, whether
that person is tracked or not: the tracker takes back the results since the slide
(:func:`take_back`) and re-acquires its person by appearance (:func:`check`). Only once two
people have been seen at once (``AthleteTracker.others_seen``): a lone runner has nobody to
slide onto, and a close-up runner's look varies more than a small one's.

The first-pose check's measures (:func:`completeness`, :func:`contains`) live here too.
Nothing here imports posecheck's trackers (they import this module).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from posecheck.pose.geometry import unpack

GRID = 4              #: torso colour sampled on GRID x GRID points
COLOUR_TOL = 75.0     #: RGB distance (0-255 units) beyond which a torso is someone else's
COLOUR_KEEP = 0.9     #: smoothing of the track's colour (share of the old value per frame)
CROWD = 1.0           #: another person's predicted centre within this x size: crowded
TRUST_AFTER = 3       #: a track's colour is used once seen on this many frames
CONTAINED = 0.7       #: a more complete first pose's box holds this share of the first one's

_L_SH, _R_SH, _L_HIP, _R_HIP = 11, 12, 23, 24


def torso_colour(img: np.ndarray, xy: np.ndarray) -> np.ndarray | None:
    """Median RGB (3,) float of the torso of the pose ``xy`` ((33, 2) pixels of ``img``,
    (H, W, 3) uint8): bilinear points of the quadrilateral left shoulder, right shoulder,
    right hip, left hip, 20-80 % of the way along each side (clothes, not background; the
    median ignores an arm swinging across a side-on torso). None when the points are not
    finite or fall outside the image."""
    q = xy[[_L_SH, _R_SH, _R_HIP, _L_HIP]]
    if not np.isfinite(q).all():
        return None
    u = np.linspace(0.2, 0.8, GRID)
    a, b = np.meshgrid(u, u)
    a, b = a.ravel()[:, None], b.ravel()[:, None]
    top = q[0] + a * (q[1] - q[0])
    bottom = q[3] + a * (q[2] - q[3])
    pts = np.rint(top + b * (bottom - top)).astype(int)
    h, w = img.shape[:2]
    if (pts[:, 0] < 0).any() or (pts[:, 0] >= w).any() or (pts[:, 1] < 0).any() or (pts[:, 1] >= h).any():
        return None
    return np.median(img[pts[:, 1], pts[:, 0]].astype(np.float64), axis=0)


def same_colour(ref: np.ndarray | None, colour: np.ndarray | None) -> bool:
    """Whether ``colour`` (RGB) can be the torso of the person whose colour is ``ref``
    (:func:`blend`'s (4,) value); unknown, or known from fewer than :data:`TRUST_AFTER`
    frames, counts as the same."""
    if ref is None or colour is None or ref[3] < TRUST_AFTER:
        return True
    return float(np.linalg.norm(colour - ref[:3])) <= COLOUR_TOL


def blend(ref: np.ndarray | None, colour: np.ndarray | None) -> np.ndarray | None:
    """The track's colour after one more frame: (4,) = RGB, frames seen; the mean of the
    first frames, then smoothed by :data:`COLOUR_KEEP`."""
    if colour is None:
        return ref
    if ref is None:
        return np.append(colour, 1.0)
    keep = min(COLOUR_KEEP, ref[3] / (ref[3] + 1))
    return np.append(keep * ref[:3] + (1 - keep) * colour, ref[3] + 1)


def known(ref: np.ndarray | None) -> bool:
    """The track's colour (:func:`blend`) can be relied on."""
    return ref is not None and ref[3] >= TRUST_AFTER


def crowded(center: np.ndarray, size: float, others: list[tuple]) -> list:
    """The others (predicted centre, size, colour) within :data:`CROWD` sizes of this
    person: their colours (None where unknown); empty when nobody is near."""
    return [col for c, s, col in others if np.linalg.norm(c - center) < CROWD * max(size, s)]


def pick(cands: list, pred: np.ndarray, size: float, ref: np.ndarray | None,
         colours: list, max_off: float, crowd: bool = False, alike: list | None = None):
    """Index into ``cands`` (objects with ``center`` and ``size`` in the same pixels as
    ``pred``) of the pose that continues a track predicted at ``pred`` with ``size`` and
    torso colour ``ref``: centre within ``max_off``, size within 0.4-2.5 x, the nearest;
    when ``crowd`` (another tracked person is near) or several poses were found, of the
    same colour too (:func:`same_colour`; a lone pose's torso samples on a small side-on
    runner are too noisy to veto it); ``alike`` (per pose, :meth:`Appearance.alike`): only
    those that may be the track's person. None if no pose qualifies."""
    best, best_off = None, max_off
    strict = crowd or len(cands) > 1
    for k, (c, col) in enumerate(zip(cands, colours)):
        off = float(np.linalg.norm(c.center - pred))
        if (off <= best_off and 0.4 < c.size / max(size, 1.0) < 2.5
                and (not strict or same_colour(ref, col)) and (alike is None or alike[k])):
            best, best_off = k, off
    return best


def completeness(d) -> float:
    """Box height (pixels) x mean landmark visibility of a ``Detection``: a partial or
    collapsed pose of the same person is shorter and less visible (measured 332 px x 0.72
    against 413 x 0.85)."""
    return d.height * float(np.nanmean(d.visibility))


def contains(outer: tuple, inner: tuple) -> bool:
    """Most (≥ :data:`CONTAINED`) of box ``inner`` lies inside box ``outer`` (x0, y0, x1, y1)."""
    ix = max(0.0, min(outer[2], inner[2]) - max(outer[0], inner[0]))
    iy = max(0.0, min(outer[3], inner[3]) - max(outer[1], inner[1]))
    area = max((inner[2] - inner[0]) * (inner[3] - inner[1]), 1e-9)
    return ix * iy >= CONTAINED * area


# -- appearance of the whole person ----------------------------------------------------------
SHORT = 8             #: results averaged for the recent appearance (about one stride at 25 fps)
REF_AFTER = 16        #: the reference is used once built from this many results
REF_KEEP = 0.97       #: smoothing of the reference (share of the old value per result)
DRIFT = 0.16          #: recent vs reference histogram distance that means another person ...
ALIKE = 0.28          #: one result's distance to the reference within which it may be the person
NOISE = 2.5           #: ... at least this x the track's usual distance (:class:`Appearance`)
NOISE_ONE = 2.0       #: ... and this x its usual distance for one result
NOISE_KEEP = 0.95     #: smoothing of the usual distances
REACQUIRE_S = 1.0     #: a track re-acquiring its person (hidden by someone) is lost after this
_PALETTE = np.stack(np.meshgrid(*[np.linspace(0.0, 255.0, 5)] * 3, indexing="ij"), -1).reshape(-1, 3)
_PALETTE_SQ = (_PALETTE ** 2).sum(axis=1)
_SIGMA = 40.0         #: soft binning: RGB distance scale of a palette colour's share
_SEGMENTS = (((23, 25), (24, 26)), ((25, 27), (26, 28)))   # thighs, shins (hip-knee, knee-ankle)
N_PARTS = 3


def body_samples(img: np.ndarray, xy: np.ndarray) -> np.ndarray | None:
    """(48, 3) uint8 RGB samples of the pose ``xy`` ((33, 2) pixels of ``img``): 16 inside
    the torso (as :func:`torso_colour`), 16 along the thighs and 16 along the shins (15-85 %
    of hip-knee and knee-ankle, both legs). None if a point is not finite or off the image."""
    q = xy[[_L_SH, _R_SH, _R_HIP, _L_HIP]]
    u = np.linspace(0.2, 0.8, GRID)
    a, b = np.meshgrid(u, u)
    a, b = a.ravel()[:, None], b.ravel()[:, None]
    top = q[0] + a * (q[1] - q[0])
    bottom = q[3] + a * (q[2] - q[3])
    v = np.linspace(0.15, 0.85, 8)[:, None]
    legs = [xy[i] + v * (xy[j] - xy[i]) for segs in _SEGMENTS for i, j in segs]
    pts = np.concatenate([top + b * (bottom - top)] + legs)
    if not np.isfinite(pts).all():
        return None
    pts = np.rint(pts).astype(int)
    h, w = img.shape[:2]
    if (pts < 0).any() or (pts[:, 0] >= w).any() or (pts[:, 1] >= h).any():
        return None
    return img[pts[:, 1], pts[:, 0]]


def body_histograms(img: np.ndarray, xy: np.ndarray) -> np.ndarray | None:
    """(3, 125) colour histograms of torso, thighs and shins of the pose ``xy`` (see
    :func:`body_samples`), each summing to 1: every sample shared among a 5x5x5 RGB palette
    by a Gaussian of its distance (:data:`_SIGMA`), so a colour between two palette
    entries does not flip bins from frame to frame. None where :func:`body_samples` is."""
    px = body_samples(img, xy)
    if px is None:
        return None
    p = px.astype(np.float64)
    d2 = (p * p).sum(axis=1)[:, None] - 2.0 * p @ _PALETTE.T + _PALETTE_SQ  # squared distances
    w = np.exp(-(d2 - d2.min(axis=1, keepdims=True)) / (2 * _SIGMA * _SIGMA))
    w /= w.sum(axis=1, keepdims=True)
    hist = w.reshape(N_PARTS, -1, len(_PALETTE)).sum(axis=1)
    return hist / hist.sum(axis=1, keepdims=True)


def hist_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - histogram intersection, averaged over the parts: 0 = same colours, 1 = none shared."""
    return float(1.0 - np.minimum(a, b).sum(axis=1).mean())


class Appearance:
    """A track's appearance: the reference (average of results older than the last
    :data:`SHORT`, smoothed by :data:`REF_KEEP`) and the recent results.

    :meth:`add` takes each accepted result's :func:`body_histograms` with its frame row and
    returns the rows to take back when the recent average has drifted from the reference
    by :data:`DRIFT` (the results since the first one unlike the reference, :data:`ALIKE`);
    those results are forgotten and the reference is unchanged. Both limits grow to
    :data:`NOISE` x the track's usual distances (smoothed by :data:`NOISE_KEEP`): a large
    runner on real footage (limbs crossing a busy background) varies more than a small one
    (measured on the single-runner sample: recent vs reference up to 0.22, usually 0.1-0.15;
    on the synthetic race 0.03-0.09, 0.2-0.46 after a slide)."""

    def __init__(self):
        self.ref: np.ndarray | None = None
        self.n_ref = 0
        self.recent: deque = deque()  # (row, histograms)
        self.usual = np.zeros(2)      # usual distance to the reference: recent mean, one result

    @property
    def known(self) -> bool:
        return self.n_ref >= REF_AFTER

    def distance(self, hist: np.ndarray | None) -> float:
        """One result's distance to the reference (0 when unknown or not measurable)."""
        if hist is None or not self.known:
            return 0.0
        return hist_distance(hist, self.ref)

    def alike(self, hist: np.ndarray | None) -> bool:
        """A single result may be this person (lenient: one frame is noisy)."""
        return self.distance(hist) <= max(ALIKE, NOISE_ONE * self.usual[1])

    def add(self, row: int, hist: np.ndarray | None, check: bool = True) -> list[int]:
        """``check=False``: only learn (nobody else has been seen, nobody to slide onto)."""
        if hist is None:
            return []
        self.recent.append((row, hist))
        if self.known and len(self.recent) >= SHORT // 2:
            d = np.array([hist_distance(np.mean([h for _r, h in self.recent], axis=0), self.ref),
                          hist_distance(hist, self.ref)])
            if check and d[0] > max(DRIFT, NOISE * self.usual[0]):
                alike = max(ALIKE, NOISE_ONE * self.usual[1])
                far = [r for r, h in self.recent if hist_distance(h, self.ref) > alike]
                first = far[0] if far else self.recent[0][0]
                rows = [r for r, _h in self.recent if r >= first]
                self.recent.clear()
                return rows
            self.usual = NOISE_KEEP * self.usual + (1 - NOISE_KEEP) * d if self.usual.any() else d
        while len(self.recent) > SHORT:
            _r, old = self.recent.popleft()
            keep = min(REF_KEEP, self.n_ref / (self.n_ref + 1))
            self.ref = old if self.ref is None else keep * self.ref + (1 - keep) * old
            self.n_ref += 1
        return []


def take_back(tr, first_row: int, scale: float) -> int:
    """Remove the results of the track ``tr`` (a :class:`posecheck.pose.tracking.Track`,
    ``scale`` = inference / full-frame pixels) from frame row ``first_row`` on (they were
    someone else's) and restore its position, size and motion from the results before.
    Returns how many rows were removed."""
    n = 0
    while tr.rows and tr.rows[-1] >= first_row:
        tr.movenet.pop(tr.rows[-1], None)
        for lst in (tr.rows, tr.dets, tr.centers, tr.heights, tr.times):
            lst.pop()
        n += 1
    if not tr.rows:
        return n
    tr.last_row, tr.last_time = tr.rows[-1], tr.times[-1]
    tr.center = np.asarray(tr.centers[-1], dtype=np.float64) * scale
    k = max(-len(tr.rows), -6)
    span = tr.rows[-1] - tr.rows[k]
    tr.velocity = ((tr.center - np.asarray(tr.centers[k]) * scale) / span if span > 0
                   else np.zeros(2))
    real = next((d for d in reversed(tr.dets) if np.isfinite(d[0, 0])), None)
    if real is not None:
        tr.last_det = unpack(real)
        tr.size = tr.last_det.size * scale
    return n


def check(tracker, tr, row: int, t: float, hist: np.ndarray | None) -> bool:
    """Add a result's appearance (``hist``, :func:`body_histograms`) on frame ``row`` to the
    track ``tr`` of ``tracker`` (a :class:`posecheck.pose.tracking.AthleteTracker`); if the
    recent ones drifted from its reference (:class:`Appearance`), take them back
    (:func:`take_back`) and make the track re-acquire its person (True)."""
    back = tr.appearance.add(row, hist, check=tracker.others_seen)
    if back:
        tracker.stats["appearance_rejects"] += 1
        tracker.stats["rows_taken_back"] += take_back(tr, back[0], tracker.scale)
        tr.reacquire = t
    return bool(back)

