"""Is time real? Slowed footage recognised from the physics of flight (``docs/metrics.md`` §9).

A clip exported slowed (a slow-motion capture re-timed to 30 fps without its capture tag, or
a screen recording of slow playback) makes every time in the analysis too long by the same
factor: step frequencies of 0.5–1.2 steps/s, flight times of seconds. Angles and positions
do not change, so nothing else reveals it. Gravity does: between toe-off and the other
foot's touchdown a runner is airborne and the body falls with g = 9.81 m/s². The trunk
centre's vertical path over the clip's flights is fitted with parabolas of one shared
curvature (:func:`flight_slowdown`); that curvature in pixels/s², turned into metres with
the leg length (0.491 × stature, Winter 2009; stature ``--height-m`` or
:data:`ASSUMED_STATURE_M`), is the *apparent* gravity g'. Time runs slow by
``sqrt(g / g')``. An assumed stature that is off by 10 % moves the factor by 5 %.

The trunk is not exactly the centre of mass, and on pose-model landmarks the stance's push
leaks into short flights, so the clock is only acted on when the running is too slow for
real time (:func:`implausible_for_real_time`; :func:`check_time`).
"""

from __future__ import annotations

import math

import numpy as np

from posecheck.assess.verdict import median_of
from posecheck.gait.strides import LEG_PER_STATURE
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import GaitEvent, Kinematics, TimeCheck

G = 9.81
#: stature assumed when the athlete's height is not given (m); the factor scales with its
#: square root, so 1.55–1.95 m moves it by −6 % … +6 %
ASSUMED_STATURE_M = 1.75
#: flights with fewer frames are not fitted (a parabola through 3–4 noisy points is no clock)
MIN_FLIGHT_FRAMES = 6
TRUNK = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
#: at least this many fitted flights for an estimate
MIN_FLIGHTS = 3
#: a clip whose factor is at least this is called slowed
SLOWED_FACTOR = 1.6
#: no running flight lasts this long in real time (typically 0.10–0.15 s, plateauing at
#: high speed, van Oeveren et al. 2021; Bolt 0.145 s, Čoh et al. 2018)
MAX_REAL_FLIGHT_S = 0.2
#: steps per second below any running (elite marathoners 2.7 steps/s at 4–5 m/s, van
#: Oeveren et al. 2021; the walk–run transition is near 2.3)
MIN_RUNNING_STEP_HZ = 2.0
#: contact / (contact + flight) of any running gait is well above this (Bolt at top speed
#: 0.086 / (0.086 + 0.145) = 0.37, Čoh et al. 2018; jogging > 0.5); missed touchdowns read
#: 0.03–0.05, a 3x slowed export of the sample on its unique frames 0.23 (events on
#: bridged frames read contacts short)
MIN_CONTACT_SHARE = 0.15


def flight_slowdown(kin: Kinematics, events: tuple[GaitEvent, ...], times: np.ndarray,
                    stature_m: float | None = None,
                    background_dy: np.ndarray | None = None) -> tuple[float, int]:
    """``(factor, flights)``: the slow-down ``sqrt(g / g')`` measured on the clip's flights
    (NaN when fewer than :data:`MIN_FLIGHTS` flights have :data:`MIN_FLIGHT_FRAMES` frames).

    The trunk centre (mean of hips and shoulders: four landmarks, less noise than the hips
    alone) is fitted, over the inner frames of every flight at once (one frame left out at
    each end for the events' timing error), by parabolas that share their curvature and
    have their own height and vertical speed per flight; g' is that curvature in metres.

    Args:
        kin: conditioned landmarks (``kin.xy`` (n, 33, 2) pixels, y down) and leg length.
        events: the clip's gait events; a flight runs from a toe-off to the next touchdown
            of the other foot, with no foot on the ground in between.
        times: (n,) seconds as the clip states them.
        stature_m: the athlete's height, or ``None`` for :data:`ASSUMED_STATURE_M`.
        background_dy: optional (n,) image y displacement of the static background (pixels,
            down; :attr:`posecheck.types.PoseSequence.background`): the trunk's fall is
            measured against the world, not the picture (a hand-held phone's shake of ±50 px
            at 2 Hz accelerates the picture by ~8000 px/s², four times g in pixels).
    """
    t = np.asarray(times, dtype=np.float64)
    leg_px = float(kin.leg_length_px)
    if not (math.isfinite(leg_px) and leg_px > 0) or t.size < MIN_FLIGHT_FRAMES:
        return float("nan"), 0
    px_per_m = leg_px / (LEG_PER_STATURE * (stature_m or ASSUMED_STATURE_M))
    trunk_y = np.mean([kin.xy[:, L[p], 1] for p in TRUNK], axis=0)
    if background_dy is not None:
        dy = np.asarray(background_dy, dtype=np.float64)
        if dy.shape != t.shape:
            raise ValueError(f"background_dy must have shape {t.shape}, got {dy.shape}")
        trunk_y = trunk_y - dy
    ordered = sorted(events, key=lambda e: e.time_s)
    flights = []
    for a, b in zip(ordered, ordered[1:]):
        if not (a.kind == "toe_off" and b.kind == "touchdown" and a.side != b.side):
            continue
        idx = np.flatnonzero((t > a.time_s) & (t < b.time_s))[1:-1]
        idx = idx[np.isfinite(trunk_y[idx])]
        if idx.size >= MIN_FLIGHT_FRAMES - 2:
            flights.append(idx)
    if len(flights) < MIN_FLIGHTS:
        return float("nan"), len(flights)
    rows = sum(f.size for f in flights)
    design = np.zeros((rows, 1 + 2 * len(flights)))
    y = np.empty(rows)
    r = 0
    for k, idx in enumerate(flights):
        tt = t[idx] - t[idx].mean()
        design[r: r + idx.size, 0] = tt * tt
        design[r: r + idx.size, 1 + 2 * k] = 1.0
        design[r: r + idx.size, 2 + 2 * k] = tt
        y[r: r + idx.size] = trunk_y[idx]
        r += idx.size
    curvature = 2.0 * np.linalg.lstsq(design, y, rcond=None)[0][0]     # px/s², + = falling
    if not curvature > 0:
        return float("inf"), len(flights)
    return math.sqrt(G / (curvature / px_per_m)), len(flights)


def implausible_for_real_time(strides) -> bool:
    """Whether the clip's running, taken at face value, is too slow for real time: median
    flight longer than :data:`MAX_REAL_FLIGHT_S` or median step frequency below
    :data:`MIN_RUNNING_STEP_HZ` — while its contacts and flights keep the proportions of
    running (median contact / (contact + flight) ≥ :data:`MIN_CONTACT_SHARE`; slowing a clip
    keeps them, missed touchdowns do not: then the events, not the time base, are wrong)."""
    flight, contact, freq = (median_of(strides, name) for name in
                             ("flight_time_s", "contact_time_s", "step_frequency_hz"))
    if not (contact / (contact + flight) >= MIN_CONTACT_SHARE):
        return False
    return bool(flight > MAX_REAL_FLIGHT_S or freq < MIN_RUNNING_STEP_HZ)


def check_time(repeat: float, gravity: tuple[float, int], user_factor: float | None,
               implausible: bool = True) -> TimeCheck:
    """Decide how to treat the clip's time base.

    Only a clip whose running is too slow for real time (``implausible``, see
    :func:`implausible_for_real_time`) is questioned: on real-time clips the flight clock
    is reported but never acted on (on MediaPipe landmarks at 120–240 fps it read 1.0–1.9,
    the stance's push leaking into the flight fit).

    * Repeated frames (``repeat`` > 1.5): if the timing is implausible and the flight
      clock agrees (within 35 %) or cannot tell, each picture is one captured frame shown
      ``repeat`` times and the clip is re-timed by ``repeat``; otherwise the repeats only
      pad the frame rate and the unique frames keep their times.
    * A slow-down left after that: the clip is flagged as slowed, with the factor to give
      with ``--slowmo`` when the flight clock measured one (≥ :data:`SLOWED_FACTOR`); it
      is never re-timed on an estimate.

    ``user_factor``: the ``--slowmo`` the user gave (repeats then do not re-time).
    """
    factor, flights = gravity
    notes: list[str] = []
    retime = 1.0
    if repeat > 1.5:
        agrees = not math.isfinite(factor) or abs(factor / repeat - 1.0) <= 0.35
        if implausible and agrees and not user_factor:
            retime = repeat
            notes.append(f"each picture of the clip is shown {repeat:.3g} times (a slowed "
                         f"export): the unique frames were analysed, {repeat:.3g}x faster, "
                         f"as real time")
        else:
            notes.append(f"each picture of the clip is shown {repeat:.3g} times: only the "
                         f"unique frames were analysed")
    slowed = False
    if implausible and retime == 1.0:
        how = "" if not user_factor else f" even with --slowmo {user_factor:g}"
        if math.isfinite(factor) and factor >= SLOWED_FACTOR:
            slowed = True
            give = factor * (user_factor or 1.0)
            notes.append(f"the clip looks slowed{how}: the athlete falls about {factor:.1f}x too "
                         f"slowly in flight for real time, so every time, step frequency and "
                         f"contact time is off by that factor; if it is slow motion give "
                         f"--slowmo {give:.1f}")
        elif not math.isfinite(factor):
            slowed = True
            notes.append(f"the clip looks slowed{how}: flights last longer than "
                         f"{MAX_REAL_FLIGHT_S:g} s or steps come slower than "
                         f"{MIN_RUNNING_STEP_HZ:g} per second, which no runner does in real "
                         f"time; if it is slow motion give its --slowmo factor (the flights "
                         f"were too few or too short to measure it)")
    return TimeCheck(repeat_factor=float(repeat), gravity_factor=factor, n_flights=flights,
                     retime=retime, slowed=slowed, notes=tuple(notes))
