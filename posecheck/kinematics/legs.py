"""Leg identity: which leg is near the camera, and detection + repair of left/right swaps.

MediaPipe confuses the legs of a side-on runner when they cross, mostly in late swing,
and swaps knee, ankle, heel and toe together in runs of a few frames, often at the same
phase of every stride. Its relative depth ``z`` and its per-landmark visibility follow *its
own* labels, so they cannot tell a swap. Two things give a swap away:

* **stride periodicity**: at sprinting speed each leg at frame t looks like the same leg a
  whole stride (two steps) earlier and later, and like the other leg one step away;
* **continuity**: at the start and end of a swapped run each labelled trajectory jumps
  from one leg to the other, while a real foot accelerates smoothly.

:func:`repair_leg_swaps` combines both in one decoder (``docs/metrics.md`` §2):

1. features per leg and frame: knee and ankle relative to the hip midpoint, in leg lengths
   (immune to panning and zoom); the *leg difference* d = left − right flips its sign
   when a frame's labels are exchanged;
2. step period P (fractional frames) from the autocorrelation of the label-free sum of both
   legs' features (:func:`step_period`);
3. periodic evidence (kernel ``_legs_kernels._periodic_evidence``): per frame, the median
   over the references t ± kP, k = 1 … 4, of the agreement of d(t) with the reference's
   leg difference (same sign a stride away, opposite one step away) under the current
   labels, so that a minority of wrongly labelled references cannot outvote the rest;
4. a second-order Viterbi (``_legs_kernels._leg_swap_viterbi``) over "labels as given" /
   "swapped": per-frame cost of the swapped state = weighted periodic evidence + a small
   prior (MediaPipe is right most of the time); per transition the acceleration of the
   relabelled trajectories + a cost per switch;
5. steps 3–4 again with the decoded labels as references until nothing changes; the
   periodic weight ramps up over the first passes (their references are the raw labels,
   which stride-locked swaps corrupt, so continuity leads at first);
6. block flips (``_legs_kernels._prefix_flip_gains``): a decoder whose references are its
   own labels can settle on a stretch of strides labelled the wrong way round, consistent
   inside; exchanging the whole stretch at once changes only the terms at its ends, so
   the best such flip is found for all ends in one sweep, applied if it lowers the
   energy, and steps 3–5 run again.

The labels and their mirror image (every frame exchanged) fit the periodicity and the
continuity equally well; the one with fewer exchanged frames wins. Clips shorter than two
strides (no period) use the continuity Viterbi alone (:func:`detect_leg_swaps`).

It runs on the raw landmarks (before any filtering, which would smear a swap into both
legs). Hips and the upper body are never relabelled: the two hip points are nearly
coincident in a side view, and the athlete's anatomical left/right stay their own sides.

Near leg: running left-to-right (direction +1) the athlete's right side faces the camera,
so the right leg is the near one; right-to-left, the left leg (geometry of an upright
runner, not a choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posecheck.kinematics import _legs_kernels as _k
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import check_landmark_xy

#: Leg landmarks relabelled together, per side (knee, ankle, heel, toe).
LEG_POINTS = ("knee", "ankle", "heel", "foot_index")
LEFT_IDS = np.array([L[f"left_{p}"] for p in LEG_POINTS])
RIGHT_IDS = np.array([L[f"right_{p}"] for p in LEG_POINTS])
#: Landmarks whose positions are the evidence (knee, ankle: the points of the angles).
FEATURE_POINTS = ("knee", "ankle")
FEATURE_LEFT = np.array([L[f"left_{p}"] for p in FEATURE_POINTS])
FEATURE_RIGHT = np.array([L[f"right_{p}"] for p in FEATURE_POINTS])
_HIP_IDS = np.array([L["left_hip"], L["right_hip"]])
_LENGTH_IDS = np.array([[L[f"{s}_{p}"] for p in ("hip", "knee", "ankle")]
                        for s in ("left", "right")])

#: Cost of one change of state (label swap starts or ends), in leg lengths of acceleration.
SWITCH_COST = 0.4
#: Cost of one *second* spent in the swapped state (per frame: this / fps).
SWAP_COST_PER_S = 12.0
#: Weight of one second of periodic evidence (per frame: this / fps); the evidence is in
#: leg lengths (2·d·ref / mean(|d|, |ref|)).
PERIODIC_WEIGHT_PER_S = 60.0
#: References each side for the periodicity test (±1..±4 steps).
PERIODIC_REFERENCES = 4
#: Share of the periodic weight in the first passes (then 1).
WEIGHT_RAMP = (0.25, 0.5, 1.0)
#: Most decoding passes per round (evidence -> Viterbi -> references from the labels).
MAX_PASSES = 8
#: Most rounds of (decoding passes, block flips).
MAX_ROUNDS = 3
#: Most block flips per round.
MAX_BLOCK_FLIPS = 8
#: Step frequency search range for the period (steps per second; sprinting is ~3.5–5.5).
STEP_FREQ_RANGE_HZ = (2.5, 6.0)
#: Least autocorrelation at the step period for the clip to count as periodic.
MIN_PERIODICITY = 0.3
#: The step period is the first autocorrelation peak reaching this share of the highest.
PEAK_SHARE = 0.8


@dataclass(frozen=True)
class LegSwapRepair:
    """What :func:`repair_leg_swaps` returns.

    Attributes:
        xy: (n, 33, 2) pixels with the leg landmarks of swapped frames exchanged.
        swapped: (n,) bool, frames whose raw left/right leg labels were exchanged.
        near_side: ``"right"`` if the athlete's right leg faces the camera, else ``"left"``.
        leg_length_px: median hip–knee + knee–ankle length in pixels (scale of the costs).
    """

    xy: np.ndarray
    swapped: np.ndarray
    near_side: str
    leg_length_px: float

    @property
    def swap_rate(self) -> float:
        """Share of frames relabelled."""
        return float(self.swapped.mean()) if self.swapped.size else 0.0


def near_side(direction: int) -> str:
    """``"right"`` for a runner going towards +x (direction +1), ``"left"`` towards −x."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    return "right" if direction > 0 else "left"


def leg_length_px(xy: np.ndarray) -> float:
    """Median over frames and sides of |hip − knee| + |knee − ankle| (pixels); NaN if unknown.

    ``xy``: (n, 33, 2) landmark pixels, NaN where missing."""
    xy = np.ascontiguousarray(check_landmark_xy(xy))
    lengths = np.empty(2 * xy.shape[0])
    _k._leg_lengths(xy, _LENGTH_IDS, lengths)
    lengths = lengths[np.isfinite(lengths)]
    return float(np.median(lengths)) if lengths.size else float("nan")


def swap_legs(arr: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Copy of ``arr`` ((n, 33, ...) per-landmark data) with the left and right leg
    landmarks exchanged in the frames where ``frames`` ((n,) bool) is true."""
    out = np.array(arr, copy=True)
    rows = np.flatnonzero(frames)
    if rows.size:
        left = out[np.ix_(rows, LEFT_IDS)].copy()
        out[np.ix_(rows, LEFT_IDS)] = out[np.ix_(rows, RIGHT_IDS)]
        out[np.ix_(rows, RIGHT_IDS)] = left
    return out


def _check_xy_times(xy, times) -> tuple[np.ndarray, np.ndarray]:
    xy = check_landmark_xy(xy)
    t = np.asarray(times, dtype=np.float64)
    if t.shape != (xy.shape[0],):
        raise ValueError(f"times must have shape ({xy.shape[0]},), got {t.shape}")
    return xy, t


def _fps(t: np.ndarray) -> float:
    dt = float(np.median(np.diff(t))) if t.size > 1 else float("nan")
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError("times must be strictly increasing")
    return 1.0 / dt


def _leg_features(xy: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) left and right leg features: knee and ankle (x, y interleaved) relative to
    the hip midpoint, in leg lengths (so camera panning and zoom do not matter). Heel and
    toe move with the ankle and add MediaPipe's foot noise more than information."""
    fl, fr, _ = _features_valid(xy, scale)
    return fl, fr


def _features_valid(xy: np.ndarray, scale: float):
    """(fl, fr, valid) of :func:`_leg_features`, ``valid`` (n,) = all features finite."""
    xy = np.ascontiguousarray(xy, dtype=np.float64)
    n = xy.shape[0]
    fl, fr = np.empty((n, 2 * FEATURE_LEFT.size)), np.empty((n, 2 * FEATURE_LEFT.size))
    valid = np.empty(n, dtype=np.bool_)
    _k._leg_features(xy, FEATURE_LEFT, FEATURE_RIGHT, _HIP_IDS, float(scale), fl, fr, valid)
    return fl, fr, valid


def _valid(fl: np.ndarray, fr: np.ndarray) -> np.ndarray:
    return np.isfinite(fl).all(axis=1) & np.isfinite(fr).all(axis=1)


def _feature_pair(fl, fr, fps: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``fl``, ``fr`` as C-contiguous float64 (n, m) arrays of one shape (and ``fps`` > 0
    when given); ValueError otherwise."""
    fl = np.ascontiguousarray(fl, dtype=np.float64)
    fr = np.ascontiguousarray(fr, dtype=np.float64)
    if fl.ndim != 2 or fl.shape != fr.shape:
        raise ValueError(f"fl and fr must be (n, m) of one shape, got {fl.shape}, {fr.shape}")
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be > 0, got {fps!r}")
    return fl, fr


def _lag_correlations(fl: np.ndarray, fr: np.ndarray, fps: float) -> tuple[np.ndarray, int]:
    """Autocorrelation of the label-free sum ``fl + fr`` at the lags of STEP_FREQ_RANGE_HZ:
    (r, lo) with r[i] the correlation at lag lo + i frames (r empty when the clip is shorter
    than two strides of the longest lag)."""
    fl, fr = _feature_pair(fl, fr, fps)
    lo = max(2, int(np.ceil(fps / STEP_FREQ_RANGE_HZ[1] - 1e-6)))
    hi = min(int(np.floor(fps / STEP_FREQ_RANGE_HZ[0] + 1e-6)), (fl.shape[0] - 1) // 4)
    if hi < lo:
        return np.empty(0), lo
    r = np.empty(hi - lo + 1)
    _k._lag_correlations(np.ascontiguousarray(fl), np.ascontiguousarray(fr), lo, hi, r)
    return r, lo


def _first_peak(r: np.ndarray) -> int | None:
    """Index of the first local maximum of ``r`` within PEAK_SHARE of its largest value
    (the step, not a stride: at fast cadences both lags lie in the search range and the
    sum of both legs correlates about as well a whole stride away); ``None`` when the
    largest value is below MIN_PERIODICITY."""
    if r.size == 0 or r.max() < MIN_PERIODICITY:
        return None
    top = PEAK_SHARE * r.max()
    for i in range(r.size):
        left = r[i - 1] if i > 0 else -np.inf
        right = r[i + 1] if i + 1 < r.size else -np.inf
        if r[i] >= top and r[i] >= left and r[i] >= right:
            return i
    return int(np.argmax(r))


def step_period_frames(fl: np.ndarray, fr: np.ndarray, fps: float) -> int | None:
    """Step period in whole frames: the first autocorrelation peak of the label-free sum
    ``fl + fr`` (it repeats every step whichever leg is which) that reaches PEAK_SHARE of
    the highest one.

    Args:
        fl, fr: (n, m) leg features labelled left / right, NaN where missing.
        fps: frames per second; the period is searched over STEP_FREQ_RANGE_HZ.

    Returns:
        The lag in frames, or ``None`` when the clip is shorter than two strides of the
        longest lag or no correlation reaches MIN_PERIODICITY.
    """
    r, lo = _lag_correlations(fl, fr, fps)
    i = _first_peak(r)
    return None if i is None else lo + i


def step_period(fl: np.ndarray, fr: np.ndarray, fps: float) -> float | None:
    """Step period in (fractional) frames: :func:`step_period_frames` refined by a
    parabola through the autocorrelation at the best lag and its two neighbours (a whole
    frame is a large phase error at 30 fps four steps away). Same arguments; ``None``
    when not periodic."""
    r, lo = _lag_correlations(fl, fr, fps)
    i = _first_peak(r)
    if i is None:
        return None
    if 0 < i < r.size - 1:
        den = r[i - 1] - 2.0 * r[i] + r[i + 1]
        if den < 0:
            return lo + i + float(np.clip(0.5 * (r[i - 1] - r[i + 1]) / den, -0.5, 0.5))
    return float(lo + i)


def periodic_evidence(fl, fr, swapped, period: float,
                      max_k: int = PERIODIC_REFERENCES) -> np.ndarray:
    """Stride-periodicity evidence per frame (:func:`_legs_kernels._periodic_evidence`).

    Args:
        fl, fr: (n, m) leg features labelled left / right, in leg lengths, NaN where missing.
        swapped: (n,) bool, the labelling the references are taken under.
        period: step period in frames (real, >= 1).
        max_k: references each side.

    Returns:
        (n,) leg lengths: median over the references of 2·d(t)·ref / mean(|d(t)|, |ref|)
        (d = fl − fr, ref = the reference's leg difference, sign-corrected); > 0 favours
        the raw labels of the frame, < 0 exchanging them; NaN where unknown.
    """
    fl, fr = _feature_pair(fl, fr)
    sw = np.ascontiguousarray(swapped, dtype=np.bool_)
    if sw.shape != (fl.shape[0],):
        raise ValueError(f"swapped must have shape ({fl.shape[0]},), got {sw.shape}")
    if not (period >= 1 and int(max_k) >= 1):
        raise ValueError("period and max_k must be >= 1")
    out = np.empty(fl.shape[0])
    _k._periodic_evidence(fl - fr, _valid(fl, fr), sw, float(period), int(max_k), out)
    return out


def viterbi_labels(fl, fr, state_cost, switch_cost: float) -> np.ndarray:
    """(n,) bool: the cheapest labelling under the second-order continuity Viterbi
    (see :func:`_legs_kernels._leg_swap_viterbi`).

    Args:
        fl, fr: (n, m) leg coordinates labelled left / right, in leg lengths, NaN where
            missing (the state is kept through such frames).
        state_cost: (n,) cost of the swapped state per frame (negative = evidence for it).
        switch_cost: cost of one change of state, leg lengths (>= 0).
    """
    fl, fr = _feature_pair(fl, fr)
    c = np.ascontiguousarray(state_cost, dtype=np.float64)
    if c.shape != (fl.shape[0],) or not np.isfinite(c).all():
        raise ValueError(f"state_cost must be finite with shape ({fl.shape[0]},)")
    if not switch_cost >= 0:
        raise ValueError(f"switch_cost must be >= 0, got {switch_cost!r}")
    out = np.zeros(fl.shape[0], dtype=np.int8)
    _k._leg_swap_viterbi(fl, fr, _valid(fl, fr), c, float(switch_cost), out)
    return out.astype(bool)


def detect_leg_swaps(xy, times, scale_px: float | None = None,
                     switch_cost: float = SWITCH_COST,
                     swap_cost_per_s: float = SWAP_COST_PER_S) -> np.ndarray:
    """(n,) bool: frames whose leg labels look exchanged by **continuity alone** (the
    fallback for clips shorter than two strides).

    Args:
        xy: (n, 33, 2) raw landmark pixels, NaN where missing.
        times: (n,) real seconds, strictly increasing (sets the per-frame swap cost).
        scale_px: length scale in pixels (default: :func:`leg_length_px`).
        switch_cost: cost of one change of state, in leg lengths.
        swap_cost_per_s: cost of a second in the swapped state.
    """
    xy, t = _check_xy_times(xy, times)
    n = xy.shape[0]
    scale = leg_length_px(xy) if scale_px is None else float(scale_px)
    if n < 3 or not (np.isfinite(scale) and scale > 0):
        return np.zeros(n, dtype=bool)
    fl, fr = _leg_features(xy, scale)
    return viterbi_labels(fl, fr, np.full(n, swap_cost_per_s / _fps(t)), switch_cost)


def decode_leg_swaps(fl, fr, fps: float, period: float | None,
                     switch_cost: float = SWITCH_COST,
                     swap_cost_per_s: float = SWAP_COST_PER_S) -> np.ndarray:
    """(n,) bool frames to relabel: periodic evidence and continuity in one Viterbi,
    iterated with the decoded labels as references (module docstring).

    Args:
        fl, fr: (n, m) leg features labelled left / right (:func:`_leg_features`), leg
            lengths, NaN where missing.
        fps: frames per second (the per-frame costs are per-second constants / fps).
        period: step period in frames (:func:`step_period`), or ``None`` for continuity
            alone.
        switch_cost: cost of one change of state (leg lengths of acceleration).
        swap_cost_per_s: prior cost of one second spent in the swapped state.
    """
    fl, fr = _feature_pair(fl, fr, fps)
    if period is not None and not period >= 1:
        raise ValueError(f"period must be >= 1 frame, got {period!r}")
    n = fl.shape[0]
    prior = swap_cost_per_s / fps
    swapped = viterbi_labels(fl, fr, np.full(n, prior), switch_cost) if period is None \
        else np.zeros(n, dtype=bool)
    if period is None:
        return swapped
    w = PERIODIC_WEIGHT_PER_S / fps
    valid = _valid(fl, fr)
    d = fl - fr
    evidence = np.empty(n)
    passes = 0
    refs = None  # labels the evidence was last computed under
    for _ in range(MAX_ROUNDS):
        for _ in range(MAX_PASSES):
            if refs is None or not np.array_equal(refs, swapped):
                _k._periodic_evidence(d, valid, swapped, float(period), PERIODIC_REFERENCES,
                                      evidence)
                refs = swapped.copy()
            ramp = WEIGHT_RAMP[min(passes, len(WEIGHT_RAMP) - 1)]
            passes += 1
            cost = prior + ramp * w * np.nan_to_num(evidence, nan=0.0)
            new = np.zeros(n, dtype=np.int8)
            _k._leg_swap_viterbi(fl, fr, valid, cost, float(switch_cost), new)
            new = new.astype(bool)
            if 2 * np.count_nonzero(new & valid) > np.count_nonzero(valid):
                # the evidence and continuity are the same for the labels and their mirror
                # image (every frame exchanged); only the prior tells them apart
                new = ~new
            if np.array_equal(new, swapped) and ramp == 1.0:
                break
            swapped = new
        # an edge's share of both ends' evidence: w / (2 · max_k) per reference
        if not _flip_blocks(fl, fr, valid, swapped, period, w / (2 * PERIODIC_REFERENCES),
                            prior, switch_cost):
            break
    return swapped


def _flip_blocks(fl, fr, valid, swapped, period, edge_weight, prior, switch_cost) -> bool:
    """Exchange, in place, the labels of whole blocks of ``swapped`` while that lowers the
    pairwise energy of :func:`_legs_kernels._prefix_flip_gains` + the prior; True if any.

    A frame-by-frame decoder whose references are its own labels can settle on a block of
    strides labelled the wrong way round (inside the block everything is consistent);
    flipping the block as a whole changes only the terms at its two ends."""
    n = swapped.size
    gains = np.empty(n + 1)
    changed = False
    for _ in range(MAX_BLOCK_FLIPS):
        _k._prefix_flip_gains(fl, fr, valid, swapped, float(period), PERIODIC_REFERENCES,
                              float(edge_weight), float(switch_cost), gains)
        kept_minus_swapped = np.concatenate(([0.0], np.cumsum(1.0 - 2.0 * swapped)))
        head = gains + prior * kept_minus_swapped                         # flip [0, b)
        tail = gains + prior * (kept_minus_swapped[-1] - kept_minus_swapped)  # flip [b, n)
        b_head, b_tail = int(np.argmin(head[1:n])) + 1, int(np.argmin(tail[1:n])) + 1
        if min(head[b_head], tail[b_tail]) >= -1e-9:
            break
        if head[b_head] <= tail[b_tail]:
            swapped[:b_head] = ~swapped[:b_head]
        else:
            swapped[b_tail:] = ~swapped[b_tail:]
        changed = True
    return changed


def periodic_leg_swaps(xy, times, scale_px: float | None = None,
                       switch_cost: float = SWITCH_COST,
                       swap_cost_per_s: float = SWAP_COST_PER_S) -> np.ndarray | None:
    """(n,) bool frames whose leg labels look exchanged by stride periodicity and
    continuity (:func:`decode_leg_swaps`), or ``None`` when the clip is too short or not
    periodic enough to tell.

    Args:
        xy: (n, 33, 2) raw landmark pixels, NaN where missing.
        times: (n,) real seconds, strictly increasing.
        scale_px: length scale in pixels (default: :func:`leg_length_px`).
    """
    xy, t = _check_xy_times(xy, times)
    n = xy.shape[0]
    scale = leg_length_px(xy) if scale_px is None else float(scale_px)
    if n < 5 or not (np.isfinite(scale) and scale > 0):
        return None
    fl, fr = _leg_features(xy, scale)
    fps = _fps(t)
    period = step_period(fl, fr, fps)
    if period is None:
        return None
    return decode_leg_swaps(fl, fr, fps, period, switch_cost, swap_cost_per_s)


def repair_leg_swaps(xy, times, direction: int, switch_cost: float = SWITCH_COST,
                     swap_cost_per_s: float = SWAP_COST_PER_S) -> LegSwapRepair:
    """Detect and undo left/right leg label swaps in raw landmarks.

    Args:
        xy: (n, 33, 2) raw landmark pixels (x right, y down), NaN where missing.
        times: (n,) real seconds, strictly increasing.
        direction: clip running direction, +1 towards +x, −1 towards −x (gives the near leg).
        switch_cost: cost of one change of state (leg lengths of acceleration).
        swap_cost_per_s: prior cost of one second spent in the swapped state.

    Returns:
        :class:`LegSwapRepair` (relabelled copy; the input is not modified).
    """
    xy, t = _check_xy_times(xy, times)
    side = near_side(direction)
    n = xy.shape[0]
    scale = leg_length_px(xy)
    swapped = np.zeros(n, dtype=bool)
    if n >= 3 and np.isfinite(scale) and scale > 0:
        fl, fr = _leg_features(xy, scale)
        fps = _fps(t)
        period = step_period(fl, fr, fps) if n >= 5 else None
        swapped = decode_leg_swaps(fl, fr, fps, period, switch_cost, swap_cost_per_s)
    return LegSwapRepair(xy=swap_legs(xy, swapped), swapped=swapped, near_side=side,
                         leg_length_px=scale)
