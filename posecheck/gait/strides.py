"""Per-stride metrics: one :class:`Stride` per swing of each leg (toe-off → touchdown) with
the contact that follows it. Definitions, units and signs: ``docs/metrics.md``.

Lengths are in leg lengths (hip–knee + knee–ankle of the conditioned landmarks) or shank
lengths; angles in degrees with posecheck's conventions; times in real seconds and frames.

Instants where a joint angle changes fast (peak knee flexion, toe-off) are read from a
**fast** knee / hip flexion series: the raw angles with the leg-swap repair applied,
low-passed at :data:`FAST_CUTOFF_HZ` instead of the landmarks' 10 Hz. The 10 Hz filter
smears the knee's swing flexion (up to ~1,500–2,000°/s): on exact synthetic landmarks it
moves the knee-flexion peak 10–20 ms late (the thigh then reads 5–9° too far forward at
"peak knee flexion") and adds 12° to the knee flexion at toe-off (``docs/metrics.md`` §4).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from posecheck.gait._windows import (_at_fraction, _cubic_peak, _first_max, _first_upcrossing,
                                     _interp_many, _last_before, _max_ignoring_nan, _nanmean,
                                     _windows)
from posecheck.gait.swing_extras import swing_extras
from posecheck.signals.butterworth import lowpass, sampling_rate
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import GaitEvent, Kinematics

SIDES = ("left", "right")
#: Winter (2009) segment lengths: thigh 0.245 H + shank 0.246 H = leg 0.491 × stature.
LEG_PER_STATURE = 0.491
#: Cut-off (Hz) of the fast knee / hip flexion series (module docstring); at frame rates
#: whose Nyquist frequency is not above it the raw angles are used unfiltered.
FAST_CUTOFF_HZ = 20.0
#: The fast knee-flexion peak is searched within this many seconds of the 10 Hz peak
#: (robust to single-frame landmark errors; it lags the true peak by up to ~35 ms on the
#: synthetic back-kick, 0–10 ms on front-side swings).
PEAK_SEARCH_S = 0.05
#: Knee flexion at toe-off = least fast knee flexion within ± max(1 frame, this) of the
#: detected toe-off (its timing uncertainty, ``docs/metrics.md`` §3).
TOE_OFF_WINDOW_S = 0.02


@dataclass(frozen=True)
class Stride:
    """Metrics of one swing of one leg, its touchdown and the contact that follows.

    Frames are indices into the clip; ``nan`` where a value could not be measured.
    """

    side: str
    toe_off_frame: int
    toe_off_s: float
    touchdown_frame: int
    touchdown_s: float
    next_toe_off_s: float
    swing_time_s: float
    contact_time_s: float
    flight_time_s: float
    step_time_s: float
    step_frequency_hz: float
    step_length_leg: float
    step_length_m: float
    peak_knee_flexion_deg: float
    peak_knee_frame: int
    thigh_at_peak_knee_deg: float
    heel_height_at_peak_knee_leg: float
    swing_ankle_behind_trunk_pct: float
    max_heel_behind_hip_leg: float
    peak_thigh_deg: float
    peak_thigh_frame: int
    knee_at_thigh_vertical_deg: float
    step_over_shank: float
    step_over_frame: int
    thigh_separation_td_deg: float
    foot_ahead_of_hip_td_leg: float
    shank_td_deg: float
    hip_flexion_to_deg: float
    knee_flexion_to_deg: float
    ankle_to_deg: float
    trunk_lean_contact_deg: float
    hamstring_bflh_peak: float
    hamstring_sm_peak: float
    hamstring_st_peak: float
    hamstring_peak_frame: int
    hamstring_peak_pct_swing: float
    hamstring_peak_lengthening_per_s: float
    peak_knee_time_s: float
    hamstring_peak_pct_stride: float
    # added later (appended so older columns keep their order): the style metric
    # (assess/verdict.py) and gait/swing_extras.py
    hip_flexion_at_peak_knee_deg: float = float("nan")
    thigh_to_deg: float = float("nan")
    mvp_frame: int = -1
    shin_above_parallel_mvp_deg: float = float("nan")
    late_swing_frame: int = -1
    other_thigh_late_swing_deg: float = float("nan")
    trunk_lean_td_deg: float = float("nan")
    thigh_forward_velocity_dps: float = float("nan")
    thigh_backward_velocity_dps: float = float("nan")
    heel_glute_time_s: float = float("nan")
    #: ``acceleration``, ``transition`` or ``max_velocity`` (:mod:`posecheck.assess.phase`);
    #: empty until assessed
    phase: str = ""

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float):
                v = None if not np.isfinite(v) else round(v, 4)
            out[f.name] = v
        return out


def _fast_series(kin: Kinematics, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fast (module docstring) knee and hip flexion, each (n, 2) [left, right], degrees.

    The raw angles (labels as detected; raw hip flexion used the clip's running direction)
    get the leg-swap repair (``kin.leg_swapped``) and the per-frame direction; missing raw
    samples are filled from the 10 Hz series (gap filled), whose ±360° branch the hip
    follows. Low-passed at :data:`FAST_CUTOFF_HZ` (unfiltered when that is not below
    Nyquist)."""
    n = times.size
    x = np.empty((4, n))                        # rows: knee L, knee R, hip L, hip R
    x[:2] = kin.knee_flexion_raw.T
    x[2:] = kin.hip_flexion_raw.T
    swapped = np.flatnonzero(kin.leg_swapped)
    if swapped.size:
        x[:, swapped] = x[:, swapped][[1, 0, 3, 2]]
    if (kin.direction != kin.clip_direction).any():
        x[2:] *= kin.direction * kin.clip_direction
    filt = np.concatenate((kin.knee_flexion.T, kin.hip_flexion.T))
    x[2:] += 360.0 * np.round((filt[2:] - x[2:]) / 360.0)
    miss = np.isnan(x)
    if miss.any():
        x[miss] = filt[miss]
    x = x.T
    if n >= 2 and FAST_CUTOFF_HZ < 0.5 * sampling_rate(times):
        x = lowpass(x, times, FAST_CUTOFF_HZ)
    return x[:, :2], x[:, 2:]


def compute_strides(kin: Kinematics, events: tuple[GaitEvent, ...], times: np.ndarray,
                    athlete_height_m: float | None = None) -> tuple[Stride, ...]:
    """One :class:`Stride` per swing (toe-off followed by a touchdown of the same foot).

    The per-stride windows (swing, late swing) are evaluated for the swings of both legs at
    once on padded (swings, frames) arrays over the two legs' series laid end to end; the
    results are those of a per-stride loop with ``np.nanargmax``/``np.nanmax`` over each
    window (and ``np.nanmean`` over each contact).
    """
    t = np.asarray(times, dtype=np.float64)
    xy = kin.xy
    leg = kin.leg_length_px
    if not (np.isfinite(leg) and leg > 0):
        return ()
    n = xy.shape[0]
    nan = float("nan")
    d = kin.direction.astype(float)
    hip_mid = 0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]])
    sh_mid = 0.5 * (xy[:, L["left_shoulder"]] + xy[:, L["right_shoulder"]])
    by_side = {s: sorted((e for e in events if e.side == s), key=lambda e: e.time_s) for s in SIDES}
    tds = sorted((e for e in events if e.kind == "touchdown"), key=lambda e: e.time_s)
    tos = sorted((e for e in events if e.kind == "toe_off"), key=lambda e: e.time_s)
    # shank length (px): sqrt(dx² + dy²), the same arithmetic as np.linalg.norm(axis=1)
    shank = xy[:, [L["left_knee"], L["right_knee"]]] - xy[:, [L["left_ankle"], L["right_ankle"]]]
    dx, dy = shank[..., 0], shank[..., 1]
    shank_px = np.nanmedian(np.sqrt(dx * dx + dy * dy).T)
    # running speed (px/s): hip travel over a still stance toe during contacts
    speeds = []
    for s in SIDES:
        evs = by_side[s]
        rel = (hip_mid[:, 0] - xy[:, L[f"{s}_foot_index"], 0]) * d
        for a, b in zip(evs, evs[1:]):
            if a.kind == "touchdown" and b.kind == "toe_off" and b.frame - a.frame >= 2:
                i, j = a.frame, min(b.frame, n - 1)
                if np.isfinite(rel[i]) and np.isfinite(rel[j]) and t[j] > t[i]:
                    speeds.append((rel[j] - rel[i]) / (t[j] - t[i]))
    speed_px = float(np.median(speeds)) if speeds else nan
    # (leg, toe-off, touchdown, next toe-off or None) of each swing of at least 3 frames,
    # left leg first (the order before the final sort by toe-off time)
    swings = []
    for s_idx, side in enumerate(SIDES):
        evs = by_side[side]
        for k, to in enumerate(evs):
            if to.kind != "toe_off" or k + 1 >= len(evs) or evs[k + 1].kind != "touchdown":
                continue
            td = evs[k + 1]
            if min(td.frame, n - 1) - to.frame < 3:
                continue
            nxt = evs[k + 2] if k + 2 < len(evs) and evs[k + 2].kind == "toe_off" else None
            prv = evs[k - 1] if k >= 1 and evs[k - 1].kind == "touchdown" else None
            swings.append((s_idx, to, td, nxt, prv))
    if not swings:
        return ()
    sd = np.array([w[0] for w in swings], dtype=np.int64)            # leg of each swing
    a = np.array([w[1].frame for w in swings], dtype=np.int64)
    b = np.minimum(np.array([w[2].frame for w in swings], dtype=np.int64), n - 1)
    to_t = np.array([w[1].time_s for w in swings], dtype=np.float64)
    td_t = np.array([w[2].time_s for w in swings], dtype=np.float64)
    prev_td_t = np.array([w[4].time_s if w[4] else np.nan for w in swings], dtype=np.float64)

    # per-leg series side by side, (2 n,): leg s at frame f is element s * n + f
    def legs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return np.concatenate((left, right))

    def both(name: str, c: int) -> np.ndarray:
        return legs(xy[:, L[f"left_{name}"], c], xy[:, L[f"right_{name}"], c])

    ankle_x, ankle_y = both("ankle", 0), both("ankle", 1)
    heel_x, heel_y = both("heel", 0), both("heel", 1)
    okn_x = legs(xy[:, L["right_knee"], 0], xy[:, L["left_knee"], 0])  # the other leg's knee
    okn_y = legs(xy[:, L["right_knee"], 1], xy[:, L["left_knee"], 1])
    hip_x2, hip_y2 = legs(hip_mid[:, 0], hip_mid[:, 0]), legs(hip_mid[:, 1], hip_mid[:, 1])
    d2 = legs(d, d)
    tv = hip_mid - sh_mid
    tv_x2, tv_y2 = legs(tv[:, 0], tv[:, 0]), legs(tv[:, 1], tv[:, 1])
    # ankle behind the trunk line: signed horizontal offset from the trunk line at ankle height
    with np.errstate(invalid="ignore", divide="ignore"):
        s_line = (ankle_y - hip_y2) / tv_y2
        line_x = hip_x2 + s_line * tv_x2
        behind = (ankle_x - line_x) * d2 < 0
    ham = [legs(kin.hamstring[:, 0, j], kin.hamstring[:, 1, j]) for j in range(3)]
    dl = legs(*(np.gradient(kin.hamstring[:, s_idx, 0], t) if t.size >= 2
                else np.full(t.size, np.nan) for s_idx in range(2)))
    knee = legs(kin.knee_flexion[:, 0], kin.knee_flexion[:, 1])
    # fast knee / hip flexion (module docstring); raw hip flexion used the clip's direction
    fast_knee, fast_hip = _fast_series(kin, t)
    knee_f = legs(fast_knee[:, 0], fast_knee[:, 1])
    thigh = legs(kin.thigh[:, 0], kin.thigh[:, 1])
    off = sd * n                                                      # leg offset per swing

    def at(arr: np.ndarray, frames: np.ndarray) -> np.ndarray:
        return np.where(frames >= 0, arr[off + frames], nan)          # frame -1 = not measured

    # swing [a, b)
    sw, ok = _windows(a, b)
    fsw = off[:, None] + sw
    ip = _first_max(knee[fsw], ok)
    pk10 = np.where(ip >= 0, a + ip, -1)                  # the 10 Hz peak: where to look
    # the fast knee's peak within PEAK_SEARCH_S of it (inside the swing), then sub-frame
    t_pk10 = t[np.maximum(pk10, 0)]
    lo_p = np.maximum(a, np.searchsorted(t, t_pk10 - PEAK_SEARCH_S - 1e-9, side="left"))
    hi_p = np.minimum(b, np.searchsorted(t, t_pk10 + PEAK_SEARCH_S + 1e-9, side="right"))
    pw, ok_p = _windows(lo_p, np.maximum(hi_p, lo_p))
    ipf = _first_max(knee_f[off[:, None] + pw], ok_p)
    i_pk = np.where(ipf >= 0, lo_p + ipf, pk10)
    fi, knee_pk = _cubic_peak(knee_f, off + np.maximum(i_pk, 0), off, off + n - 1)
    fi = np.where(ipf >= 0, fi, off + np.maximum(i_pk, 0))
    knee_pk = np.where(ipf >= 0, knee_pk, knee[off + np.maximum(i_pk, 0)])
    fi_leg = fi - off                                     # fractional frame of the peak
    pk = np.where(i_pk >= 0, np.rint(fi_leg).astype(np.int64), -1)
    tp = np.where(i_pk >= 0, _at_fraction(t, fi_leg), nan)
    it = _first_max(thigh[fsw], ok)
    pt = np.where(it >= 0, a + it, -1)
    fin = ok & (np.isfinite(ankle_x) & np.isfinite(line_x))[fsw]
    n_fin = fin.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        behind_pct = 100.0 * ((behind[fsw] & fin).sum(axis=1) / n_fin)
    heel_behind = _max_ignoring_nan(((hip_x2 - heel_x) * d2)[fsw], ok) / leg
    # knee flexion when the thigh passes vertical (first − → + crossing in swing)
    iv, uv = _first_upcrossing(thigh[fsw], ok)
    fv = off + a + np.maximum(iv, 0)
    kv = np.where(iv >= 0, knee[fv] + uv * (knee[np.minimum(fv + 1, 2 * n - 1)] - knee[fv]), nan)
    # step-over: swing ankle vs stance (other) knee when the ankle passes it
    io, uo = _first_upcrossing(((ankle_x - okn_x) * d2)[fsw], ok)
    fo = a + np.maximum(io, 0)
    f0, f1 = off + fo, off + np.minimum(fo + 1, n - 1)
    ay = ankle_y[f0] + uo * (ankle_y[f1] - ankle_y[f0])
    ky = okn_y[f0] + uo * (okn_y[f1] - okn_y[f0])
    so = np.where(io >= 0, (ky - ay) / shank_px, nan)
    so_f = np.where(io >= 0, fo + np.round(np.nan_to_num(uo)).astype(np.int64), -1)
    # late swing [a + (b - a) // 2, min(b + 1, n)): hamstring peak
    late, ok_late = _windows(a + (b - a) // 2, np.minimum(b + 1, n))
    ih = _first_max(ham[0][off[:, None] + late], ok_late)
    hp = np.where(ih >= 0, late[:, 0] + ih, -1)
    dl_max = np.where(hp >= 0, _max_ignoring_nan(dl[off[:, None] + late], ok_late), nan)
    # the other leg's last toe-off / touchdown before this touchdown
    left = sd == 0

    def last_other(evs: list[GaitEvent]) -> np.ndarray:
        times_of = {s: np.array([e.time_s for e in evs if e.side == s]) for s in SIDES}
        return np.where(left, _last_before(times_of["right"], td_t),
                        _last_before(times_of["left"], td_t))

    flight = td_t - last_other(tos)
    step = td_t - last_other(tds)
    with np.errstate(invalid="ignore", divide="ignore"):
        step_leg = np.where(np.isfinite(step), speed_px * step / leg, nan)
        step_freq = np.where(np.isfinite(step) & (step > 0), 1.0 / step, nan)

    def interp(series: np.ndarray, when: np.ndarray) -> np.ndarray:
        """(n, 2) [left, right] series at each swing's time, the swing's own leg."""
        return np.where(left, _interp_many(series[:, 0], t, when),
                        _interp_many(series[:, 1], t, when))

    # knee flexion at toe-off: least fast knee flexion within ± w of the toe-off
    w_to = max(1.0 / sampling_rate(t), TOE_OFF_WINDOW_S) if n >= 2 else TOE_OFF_WINDOW_S
    lo_w = np.searchsorted(t, to_t - w_to, side="left")
    hi_w = np.maximum(np.searchsorted(t, to_t + w_to, side="right"), lo_w)
    tw, ok_w = _windows(lo_w, hi_w)
    inner = -_max_ignoring_nan(-knee_f[off[:, None] + np.minimum(tw, n - 1)], ok_w)
    ends = np.fmin(interp(fast_knee, to_t - w_to), interp(fast_knee, to_t + w_to))
    knee_to = np.fmin(inner, ends)
    at_pk = lambda arr: np.where(i_pk >= 0, _at_fraction(arr, fi), nan)  # noqa: E731
    toes = xy[:, [L["left_foot_index"], L["right_foot_index"]], 0]
    toe_ahead = (toes - hip_mid[:, :1]) * d[:, None]
    sep = interp(kin.thigh, td_t) - interp(kin.thigh[:, ::-1], td_t)
    # per-swing values as Python floats/ints (one .tolist() per column)
    col = {k: v.tolist() for k, v in {
        "flight": flight, "step": step, "step_freq": step_freq, "step_leg": step_leg,
        "pk": pk, "pt": pt, "hp": hp, "knee_pk": np.where(i_pk >= 0, knee_pk, nan),
        "thigh_pk": at_pk(thigh), "hipf_pk": at_pk(legs(fast_hip[:, 0], fast_hip[:, 1])), "tp": tp, "heel_h": at_pk((hip_y2 - heel_y) / leg),
        "behind": np.where(n_fin > 0, behind_pct, nan), "heel_behind": heel_behind,
        "thigh_pt": at(thigh, pt), "kv": kv, "so": so, "so_f": so_f, "sep": sep,
        "toe_td": interp(toe_ahead, td_t) / leg, "shank_td": interp(kin.shank, td_t),
        "hip_to": interp(fast_hip, to_t), "knee_to": knee_to,
        "ankle_to": interp(kin.ankle, to_t), "bflh": at(ham[0], hp), "sm": at(ham[1], hp),
        "st": at(ham[2], hp), "dl_max": dl_max}.items()}
    extra = swing_extras(kin, t, events, sd, to_t, td_t, a,
                         np.array([w[2].frame for w in swings], dtype=np.int64), pk)
    lean_nan = np.isnan(kin.trunk_lean)
    lean0 = np.where(lean_nan, 0.0, kin.trunk_lean)                  # for _nanmean
    lean_n = np.concatenate(([0], np.cumsum(~lean_nan)))
    out: list[Stride] = []
    for j, (s_idx, to, td, nxt, _prv) in enumerate(swings):
        c_a, c_b = (min(td.frame, n), min(nxt.frame, n)) if nxt else (0, 0)
        h_p = col["hp"][j]
        out.append(Stride(
            side=SIDES[s_idx], toe_off_frame=to.frame, toe_off_s=to.time_s,
            touchdown_frame=td.frame, touchdown_s=td.time_s,
            next_toe_off_s=nxt.time_s if nxt else nan,
            swing_time_s=td.time_s - to.time_s,
            contact_time_s=nxt.time_s - td.time_s if nxt else nan,
            flight_time_s=col["flight"][j], step_time_s=col["step"][j],
            step_frequency_hz=col["step_freq"][j], step_length_leg=col["step_leg"][j],
            step_length_m=(col["step_leg"][j] * LEG_PER_STATURE * athlete_height_m
                           if athlete_height_m else nan),
            peak_knee_flexion_deg=col["knee_pk"][j], peak_knee_frame=col["pk"][j],
            thigh_at_peak_knee_deg=col["thigh_pk"][j],
            heel_height_at_peak_knee_leg=col["heel_h"][j],
            swing_ankle_behind_trunk_pct=col["behind"][j],
            max_heel_behind_hip_leg=col["heel_behind"][j],
            peak_thigh_deg=col["thigh_pt"][j], peak_thigh_frame=col["pt"][j],
            knee_at_thigh_vertical_deg=col["kv"][j], step_over_shank=col["so"][j],
            step_over_frame=col["so_f"][j], thigh_separation_td_deg=col["sep"][j],
            foot_ahead_of_hip_td_leg=col["toe_td"][j], shank_td_deg=col["shank_td"][j],
            hip_flexion_to_deg=col["hip_to"][j], knee_flexion_to_deg=col["knee_to"][j],
            ankle_to_deg=col["ankle_to"][j],
            trunk_lean_contact_deg=(_nanmean(lean0, lean_n, c_a, c_b)
                                    if nxt and nxt.frame > td.frame else nan),
            hamstring_bflh_peak=col["bflh"][j], hamstring_sm_peak=col["sm"][j],
            hamstring_st_peak=col["st"][j], hamstring_peak_frame=h_p,
            hamstring_peak_pct_swing=(100.0 * (t[h_p] - to.time_s) / (td.time_s - to.time_s)
                                      if h_p >= 0 else nan),
            hamstring_peak_lengthening_per_s=col["dl_max"][j],
            peak_knee_time_s=col["tp"][j],
            hamstring_peak_pct_stride=(100.0 * (t[h_p] - prev_td_t[j]) / (td.time_s - prev_td_t[j])
                                       if h_p >= 0 and np.isfinite(prev_td_t[j]) else nan),
            hip_flexion_at_peak_knee_deg=col["hipf_pk"][j],
            **{k: v[j] for k, v in extra.items()},
        ))
    out.sort(key=lambda s: s.toe_off_s)
    return tuple(out)
