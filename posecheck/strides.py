"""Per-stride metrics: one :class:`Stride` per swing of each leg (toe-off → touchdown) with
the contact that follows it. Definitions, units and signs: ``docs/metrics.md``.

Lengths are in leg lengths (hip–knee + knee–ankle of the conditioned landmarks) or shank
lengths; angles in degrees with posecheck's conventions; times in real seconds and frames.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import GaitEvent, Kinematics

SIDES = ("left", "right")
#: Winter (2009) segment lengths: thigh 0.245 H + shank 0.246 H = leg 0.491 × stature.
LEG_PER_STATURE = 0.491


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

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float):
                v = None if not np.isfinite(v) else round(v, 4)
            out[f.name] = v
        return out


def _interp_at(series: np.ndarray, times: np.ndarray, t: float) -> float:
    """Linear interpolation of ``series`` (n,) at time ``t`` between its finite samples
    (as ``np.interp`` over the finite samples; NaN with fewer than 2). Looks at the two
    frames around ``t`` first, so it is O(log n) in the usual case."""
    if not np.isfinite(t):
        return float("nan")
    n = series.shape[0]
    i = int(np.searchsorted(times, t))
    lo, hi = max(i - 1, 0), min(i, n - 1)
    if 0 < i < n and np.isfinite(series[lo]) and np.isfinite(series[hi]):
        u = (t - times[lo]) / (times[hi] - times[lo])
        return float(series[lo] + u * (series[hi] - series[lo]))
    ok = np.isfinite(series)
    if ok.sum() < 2:
        return float("nan")
    return float(np.interp(t, times[ok], series[ok]))


def _argmax(x: np.ndarray) -> int | None:
    return None if not np.isfinite(x).any() else int(np.nanargmax(x))


def compute_strides(kin: Kinematics, events: tuple[GaitEvent, ...], times: np.ndarray,
                    athlete_height_m: float | None = None) -> tuple[Stride, ...]:
    """One :class:`Stride` per swing (toe-off followed by a touchdown of the same foot)."""
    t = np.asarray(times, dtype=np.float64)
    xy = kin.xy
    leg = kin.leg_length_px
    if not (np.isfinite(leg) and leg > 0):
        return ()
    d = kin.direction.astype(float)
    hip_mid = 0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]])
    sh_mid = 0.5 * (xy[:, L["left_shoulder"]] + xy[:, L["right_shoulder"]])
    by_side = {s: sorted((e for e in events if e.side == s), key=lambda e: e.time_s) for s in SIDES}
    tds = sorted((e for e in events if e.kind == "touchdown"), key=lambda e: e.time_s)
    tos = sorted((e for e in events if e.kind == "toe_off"), key=lambda e: e.time_s)
    shank_px = np.nanmedian(np.concatenate([np.linalg.norm(
        xy[:, L[f"{s}_knee"]] - xy[:, L[f"{s}_ankle"]], axis=1) for s in SIDES]))
    # running speed (px/s): hip travel over a still stance toe during contacts
    speeds = []
    for s in SIDES:
        evs = by_side[s]
        for a, b in zip(evs, evs[1:]):
            if a.kind == "touchdown" and b.kind == "toe_off" and b.frame - a.frame >= 2:
                i, j = a.frame, min(b.frame, xy.shape[0] - 1)
                toe = xy[:, L[f"{s}_foot_index"], 0]
                rel = (hip_mid[:, 0] - toe) * d
                if np.isfinite(rel[i]) and np.isfinite(rel[j]) and t[j] > t[i]:
                    speeds.append((rel[j] - rel[i]) / (t[j] - t[i]))
    speed_px = float(np.median(speeds)) if speeds else float("nan")
    out: list[Stride] = []
    tv = hip_mid - sh_mid
    for s_idx, side in enumerate(SIDES):
        o_idx = 1 - s_idx
        other = SIDES[o_idx]
        evs = by_side[side]
        heel = xy[:, L[f"{side}_heel"]]
        ankle = xy[:, L[f"{side}_ankle"]]
        # ankle behind the trunk line: signed horizontal offset from the trunk line at ankle height
        with np.errstate(invalid="ignore", divide="ignore"):
            s_line = (ankle[:, 1] - hip_mid[:, 1]) / tv[:, 1]
            line_x = hip_mid[:, 0] + s_line * tv[:, 0]
            behind = (ankle[:, 0] - line_x) * d < 0
        ham = kin.hamstring[:, s_idx, :]
        dl = np.gradient(ham[:, 0], t) if t.size >= 2 else np.full(t.size, np.nan)
        toe_ahead = (xy[:, L[f"{side}_foot_index"], 0] - hip_mid[:, 0]) * d
        knee = kin.knee_flexion[:, s_idx]
        thigh = kin.thigh[:, s_idx]
        okn = xy[:, L[f"{other}_knee"]]
        for k, to in enumerate(evs):
            if to.kind != "toe_off" or k + 1 >= len(evs) or evs[k + 1].kind != "touchdown":
                continue
            td = evs[k + 1]
            nxt = evs[k + 2] if k + 2 < len(evs) and evs[k + 2].kind == "toe_off" else None
            a, b = to.frame, min(td.frame, xy.shape[0] - 1)
            if b - a < 3:
                continue
            sw = slice(a, b)
            ip = _argmax(knee[sw])
            pk = a + ip if ip is not None else -1
            fin = np.isfinite(ankle[sw, 0]) & np.isfinite(line_x[sw])
            it = _argmax(thigh[sw])
            # knee flexion when the thigh passes vertical (first − → + crossing in swing)
            kv = float("nan")
            th = thigh[sw]
            for i in range(len(th) - 1):
                if th[i] < 0 <= th[i + 1]:
                    u = -th[i] / (th[i + 1] - th[i])
                    kv = float(knee[a + i] + u * (knee[a + i + 1] - knee[a + i]))
                    break
            # step-over: swing ankle vs stance (other) knee when the ankle passes it
            so, so_f = float("nan"), -1
            rel = (ankle[sw, 0] - okn[sw, 0]) * d[sw]
            for i in range(len(rel) - 1):
                if rel[i] < 0 <= rel[i + 1]:
                    u = -rel[i] / (rel[i + 1] - rel[i])
                    ay = ankle[a + i, 1] + u * (ankle[a + i + 1, 1] - ankle[a + i, 1])
                    ky = okn[a + i, 1] + u * (okn[a + i + 1, 1] - okn[a + i, 1])
                    so, so_f = float((ky - ay) / shank_px), a + i + int(round(u))
                    break
            late = slice(a + (b - a) // 2, min(b + 1, xy.shape[0]))
            ih = _argmax(ham[late, 0])
            hp = late.start + ih if ih is not None else -1
            prev_to = [e for e in tos if e.side == other and e.time_s < td.time_s]
            prev_td = [e for e in tds if e.side == other and e.time_s < td.time_s]
            flight = td.time_s - prev_to[-1].time_s if prev_to else float("nan")
            step = td.time_s - prev_td[-1].time_s if prev_td else float("nan")
            contact = nxt.time_s - td.time_s if nxt else float("nan")
            c_sl = slice(td.frame, nxt.frame) if nxt else slice(0, 0)
            step_leg = speed_px * step / leg if np.isfinite(step) else float("nan")
            f = lambda arr, i: float(arr[i]) if i >= 0 else float("nan")  # noqa: E731
            out.append(Stride(
                side=side, toe_off_frame=to.frame, toe_off_s=to.time_s,
                touchdown_frame=td.frame, touchdown_s=td.time_s,
                next_toe_off_s=nxt.time_s if nxt else float("nan"),
                swing_time_s=td.time_s - to.time_s, contact_time_s=contact,
                flight_time_s=flight, step_time_s=step,
                step_frequency_hz=1.0 / step if np.isfinite(step) and step > 0 else float("nan"),
                step_length_leg=step_leg,
                step_length_m=(step_leg * LEG_PER_STATURE * athlete_height_m
                               if athlete_height_m else float("nan")),
                peak_knee_flexion_deg=f(knee, pk), peak_knee_frame=pk,
                thigh_at_peak_knee_deg=f(thigh, pk),
                heel_height_at_peak_knee_leg=(f(hip_mid[:, 1], pk) - f(heel[:, 1], pk)) / leg,
                swing_ankle_behind_trunk_pct=(100.0 * float(behind[sw][fin].mean())
                                              if fin.any() else float("nan")),
                max_heel_behind_hip_leg=float(np.nanmax((hip_mid[sw, 0] - heel[sw, 0]) * d[sw]) / leg),
                peak_thigh_deg=f(thigh, a + it if it is not None else -1),
                peak_thigh_frame=a + it if it is not None else -1,
                knee_at_thigh_vertical_deg=kv, step_over_shank=so, step_over_frame=so_f,
                thigh_separation_td_deg=(_interp_at(thigh, t, td.time_s)
                                         - _interp_at(kin.thigh[:, o_idx], t, td.time_s)),
                foot_ahead_of_hip_td_leg=_interp_at(toe_ahead, t, td.time_s) / leg,
                shank_td_deg=_interp_at(kin.shank[:, s_idx], t, td.time_s),
                hip_flexion_to_deg=_interp_at(kin.hip_flexion[:, s_idx], t, to.time_s),
                knee_flexion_to_deg=_interp_at(knee, t, to.time_s),
                ankle_to_deg=_interp_at(kin.ankle[:, s_idx], t, to.time_s),
                trunk_lean_contact_deg=(float(np.nanmean(kin.trunk_lean[c_sl]))
                                        if c_sl.stop > c_sl.start else float("nan")),
                hamstring_bflh_peak=f(ham[:, 0], hp), hamstring_sm_peak=f(ham[:, 1], hp),
                hamstring_st_peak=f(ham[:, 2], hp), hamstring_peak_frame=hp,
                hamstring_peak_pct_swing=(100.0 * (t[hp] - to.time_s) / (td.time_s - to.time_s)
                                          if hp >= 0 else float("nan")),
                hamstring_peak_lengthening_per_s=float(np.nanmax(dl[late])) if hp >= 0 else float("nan"),
            ))
    out.sort(key=lambda s: s.toe_off_s)
    return tuple(out)
