"""Parametric max-velocity sprint cycle with a planted stance foot and ballistic flight.

Sagittal conventions (all angles in degrees, global = relative to the vertical / the
ground, in the person's sagittal plane; "forward" = running direction):

* ``thigh``: angle of the hip->knee line from the downward vertical, + = knee ahead of hip.
* ``knee``: knee flexion = 180 - interior hip-knee-ankle angle (0 = straight) =
  thigh - shank_distal, where ``shank_distal`` is the angle of knee->ankle from the downward
  vertical (+ = ankle ahead of knee).
* ``foot``: pitch of the foot (ankle->MTP line) relative to its neutral flat-foot pitch,
  + = toes up. ``ankle`` dorsiflexion = foot - shank_distal (0 in quiet standing,
  + = dorsiflexion, - = plantarflexion).
* ``toes``: pitch of the toes segment, + = tips up; MTP extension = foot - toes.
* ``lean``: trunk lean, angle of the hip-mid -> shoulder-mid line from the upward vertical,
  + = shoulders ahead of hips.

Model
-----
The root (hip-centre midpoint) moves forward at constant speed. Vertically it follows a
parabola under gravity during flight and, during contact, the trajectory produced by a
half-sine vertical ground force (plus a small cosine term) whose impulse exactly carries
body weight over the step -- so the vertical motion is physically consistent. During
contact the tip of the toes is a fixed point on the ground; toe and foot pitch follow
schedules and hip/knee come from exact two-link inverse kinematics, so the foot cannot
slide. Touchdown and toe-off postures are style keys; swing-phase thigh, knee, ankle and
toe angles are C1 cubic Hermite curves through style keyframes, matched in value and
rate to the stance solution at toe-off and touchdown. The right leg runs half a stride
after the left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicHermiteSpline

from .body import Body

G = 9.81
#: Toe-tip velocity at touchdown over the ground (m/s): forward (so backward relative to the
#: hip, which moves at the running speed) and downward. See docs/synthetic_sprinter.md.
TOE_TD_FORWARD_MPS = 1.5
TOE_TD_DOWN_MPS = 1.0

#: (back-kick value, front-side value); the style knob interpolates linearly.
STYLE_KEYS: dict[str, tuple[float, float]] = {
    "thigh_td": (25.0, 21.0),        # thigh at touchdown
    "knee_td": (24.0, 19.0),         # knee flexion at touchdown
    "foot_td": (-6.0, -8.0),        # foot pitch at touchdown (heel slightly up)
    "foot_mid": (-3.0, -4.0),        # lowest heel (max foot pitch) in stance, at 40 %
    "knee_to": (28.0, 12.0),         # knee flexion at toe-off
    "foot_to": (-62.0, -70.0),       # foot pitch at toe-off (heel high)
    "toes_to": (-10.0, -15.0),       # toes pitch at toe-off (rolled over the tip)
    "thigh_ext_extra": (5.0, 2.0),   # hip keeps extending this much after toe-off
    "t_ext": (0.075, 0.045),         # ... reaching it this fraction of stride after toe-off
    "thigh_peak": (55.0, 80.0),      # peak thigh flexion from vertical
    "t_thigh_peak": (0.75, 0.80),    # phase of the peak (fraction of stride from touchdown)
    "knee_peak": (118.0, 136.0),     # peak knee flexion in swing
    "thigh_at_knee_peak": (-16.0, 30.0),
    "knee_at_thigh_peak": (48.0, 88.0),
    "knee_late_drop": (5.0, 6.0),    # knee extends this far below knee_td before touchdown
    "ankle_swing": (-22.0, 4.0),     # ankle dorsiflexion in mid-swing (toe up for front-side)
    "landing_window": (1.0, 1.0),    # approach = this fraction of (thigh peak -> touchdown)
    "lean": (9.0, 6.0),
    "arm_amp": (44.0, 56.0),         # shoulder swing amplitude about the mean
    "arm_mean": (2.0, 8.0),
}


def style_keys(style: float) -> dict[str, float]:
    """Interpolate :data:`STYLE_KEYS` at ``style`` (0 = back-kick, 1 = front-side)."""
    s = float(np.clip(style, 0, 1))
    return {k: (1 - s) * a + s * b for k, (a, b) in STYLE_KEYS.items()}


def rot2(deg, v):
    """Pitch sagittal vector(s) ``v`` (..., 2) = (forward, up) by ``deg`` (+ = front end up).

    Identical to the body-frame rotation ``rot_x(-deg)`` restricted to (z, y); ``deg`` may
    be a scalar or an (n,) array (then the result is (n, 2)).
    """
    a = np.radians(np.asarray(deg, float))
    c, s = np.cos(a), np.sin(a)
    v = np.asarray(v, float)
    f, u = v[..., 0], v[..., 1]
    return np.stack([c * f - s * u, s * f + c * u], -1)


def seg_vec(angle_from_down_deg, length):
    """(forward, up) of a segment hanging at ``angle`` from the downward vertical."""
    a = np.radians(angle_from_down_deg)
    return np.stack([length * np.sin(a), -length * np.cos(a)], -1)


def _hermite(knots):
    """C1 cubic through knots [(t, y, dy or None)]; None slopes = Catmull-Rom."""
    t = np.array([k[0] for k in knots], float)
    y = np.array([k[1] for k in knots], float)
    dy = []
    for i, k in enumerate(knots):
        if k[2] is not None:
            dy.append(k[2])
        else:
            dy.append((y[i + 1] - y[i - 1]) / (t[i + 1] - t[i - 1]))
    return CubicHermiteSpline(t, y, np.array(dy))


@dataclass
class LegCycle:
    """Angles of one leg over its stride; ``t`` is time since this leg's touchdown."""

    T: float
    t_c: float
    stance_fn: object
    thigh_sw: CubicHermiteSpline
    knee_sw: object
    ankle_sw: object
    mtp_sw: CubicHermiteSpline

    def __call__(self, t):
        """-> dict of (n,) arrays: thigh, knee, foot, toes, contact (bool)."""
        # 1e-9 s tolerance so that a frame falling on an event (up to float rounding)
        # is in the new phase, consistently with the event frames in the ground truth
        t = np.mod(np.asarray(t, float) + 1e-9, self.T) - 1e-9
        st = t < self.t_c - 1e-9
        out = {k: np.zeros(t.shape) for k in ("thigh", "knee", "foot", "toes")}
        if st.any():
            s = self.stance_fn(t[st])
            for k in out:
                out[k][st] = s[k]
        sw = ~st
        if sw.any():
            ts = t[sw]
            th, kn = self.thigh_sw(ts), self.knee_sw(ts)
            foot = self.ankle_sw(ts) + (th - kn)
            out["thigh"][sw], out["knee"][sw] = th, kn
            out["foot"][sw] = foot
            out["toes"][sw] = foot - self.mtp_sw(ts)
        out["contact"] = st
        return out


class SprintCycle:
    """The periodic sprint kinematics of one parameter set.

    Attributes: ``T`` stride time, ``Ts`` step time, ``t_c`` contact time, ``t_f`` flight
    time (s), ``v`` speed (m/s), ``keys`` style keys, ``legs`` {'L','R'} -> LegCycle,
    ``y_td``/``y_to`` root heights at touchdown / toe-off (m).
    """

    def __init__(self, body: Body, style: float, cadence: float, duty: float, speed: float,
                 lean: float | None = None, key_overrides: tuple = ()):
        k = style_keys(style)
        k.update(dict(key_overrides))
        self.keys, self.body = k, body
        self.lean0 = k["lean"] if lean is None else lean
        self.Ts = 1.0 / cadence
        self.T = 2 * self.Ts
        self.t_c = duty * self.T
        self.t_f = self.Ts - self.t_c
        if self.t_f <= 0.02:
            raise ValueError("duty too high: no flight phase")
        self.v = speed
        L1, L2 = body.lengths["thigh"], body.lengths["shank"]
        self.L1, self.L2 = L1, L2
        pn = body.pivot_N
        ank, mtp = pn[body.si("shank.L") + 1], pn[body.si("toes.L")]
        toe = body.markers_N["toe.L"][1]
        # sagittal (forward, up) offsets in the neutral foot
        self.a_rel = np.array([ank[2] - mtp[2], ank[1] - mtp[1]])   # MTP -> ankle
        self.m_rel = np.array([mtp[2] - toe[2], mtp[1] - toe[1]])   # toe tip -> MTP
        self.h_toe = float(toe[1])
        heel = body.markers_N["heel.L"][1]
        self.h_rel = np.array([heel[2] - ank[2], heel[1] - ank[1]])  # ankle -> heel

        # touchdown posture -> root height and horizontal offset from the contact point
        ankle_td = self._ankle_rel_contact(k["foot_td"], 0.0)
        hip_td = ankle_td - seg_vec(k["thigh_td"] - k["knee_td"], L2) - seg_vec(k["thigh_td"], L1)
        self.dx_td = float(hip_td[0])
        self.y_td = float(hip_td[1] + self.h_toe)
        # toe-off: hip travelled v * t_c; knee_to fixes the hip-ankle distance
        ankle_to = self._ankle_rel_contact(k["foot_to"], k["toes_to"])
        dx_to = self.dx_td + self.v * self.t_c
        d = np.sqrt(L1**2 + L2**2 + 2 * L1 * L2 * np.cos(np.radians(k["knee_to"])))
        hz = dx_to - ankle_to[0]
        if d <= abs(hz):
            raise ValueError("toe-off posture unreachable: lower speed/duty or raise knee_to")
        self.y_to = float(ankle_to[1] + np.sqrt(d**2 - hz**2) + self.h_toe)
        # vertical motion: flight parabola TO -> TD, stance force profile TD -> TO
        self.vy_to = (self.y_td - self.y_to + 0.5 * G * self.t_f**2) / self.t_f
        self.vy_td = self.vy_to - G * self.t_f
        tc = self.t_c
        self.A = np.pi * G * (tc + self.t_f) / (2 * tc)
        rest = self.y_to - (self.y_td + self.vy_td * tc - 0.5 * G * tc**2 + self.A * tc**2 / np.pi)
        self.B = rest * np.pi**2 / (2 * tc**2)
        self.legs = {"L": self._leg(), "R": self._leg()}

    # ---------------------------------------------------------------- stance
    def _ankle_rel_contact(self, foot, toes):
        """Ankle (forward, up) relative to the toe-tip contact point, for given pitches."""
        return rot2(toes, self.m_rel) + rot2(foot, self.a_rel)

    def root_y_step(self, tau):
        """Root height (m) at time ``tau`` in [0, Ts) since the latest touchdown (either foot)."""
        tau = np.asarray(tau, float)
        tc = self.t_c
        u = np.clip(tau, 0, tc)
        ys = (self.y_td + self.vy_td * u - 0.5 * G * u**2
              + self.A * tc / np.pi * (u - tc / np.pi * np.sin(np.pi * u / tc))
              + self.B * tc**2 / np.pi**2 * (1 - np.cos(np.pi * u / tc)))
        w = np.clip(tau - tc, 0, None)
        yf = self.y_to + self.vy_to * w - 0.5 * G * w**2
        return np.where(tau < tc, ys, yf)

    def stance_schedules(self, u):
        """Foot and toes pitch (deg) at stance fraction ``u`` in [0, 1]."""
        k = self.keys
        u = np.asarray(u, float)
        e1 = 0.5 - 0.5 * np.cos(np.pi * np.clip(u / 0.4, 0, 1))
        w2 = np.clip((u - 0.4) / 0.6, 0, 1)
        foot = np.where(u < 0.4, k["foot_td"] + (k["foot_mid"] - k["foot_td"]) * e1,
                        k["foot_mid"] + (k["foot_to"] - k["foot_mid"]) * w2**1.7)
        w3 = np.clip((u - 0.45) / 0.55, 0, 1)
        toes = k["toes_to"] * w3**2
        return foot, toes

    def stance(self, tau):
        """Exact stance-leg angles at time ``tau`` (s) since touchdown (array)."""
        tau = np.asarray(tau, float)
        foot, toes = self.stance_schedules(tau / self.t_c)
        hip = np.stack([self.dx_td + self.v * tau, self.root_y_step(tau) - self.h_toe], -1)
        ankle = self._ankle_rel_contact(foot, toes)
        d_vec = ankle - hip
        d = np.linalg.norm(d_vec, axis=-1)
        L1, L2 = self.L1, self.L2
        if np.any(d > L1 + L2 - 1e-9):
            raise ValueError("stance leg over-extended: adjust speed/duty/style keys")
        cos_int = (L1**2 + L2**2 - d**2) / (2 * L1 * L2)
        knee = 180.0 - np.degrees(np.arccos(np.clip(cos_int, -1, 1)))
        phi = np.degrees(np.arctan2(d_vec[:, 0], -d_vec[:, 1]))   # hip->ankle from down
        beta = np.degrees(np.arccos(np.clip((L1**2 + d**2 - L2**2) / (2 * L1 * d), -1, 1)))
        return {"thigh": phi + beta, "knee": knee, "foot": foot, "toes": toes}

    # ---------------------------------------------------------------- swing
    def _leg(self) -> LegCycle:
        k, T, tc = self.keys, self.T, self.t_c
        h = 1e-5
        s0, s0h = self.stance(np.array([0.0])), self.stance(np.array([h]))
        s1, s1h = self.stance(np.array([tc])), self.stance(np.array([tc - h]))

        def ank(s):
            return s["foot"] - (s["thigh"] - s["knee"])

        def mtp(s):
            return s["foot"] - s["toes"]

        d = lambda a, b: float((a - b) / h)  # noqa: E731
        th_to, th_to_r = float(s1["thigh"][0]), d(s1["thigh"][0], s1h["thigh"][0])
        th_td, th_td_r = float(s0["thigh"][0]), d(s0h["thigh"][0], s0["thigh"][0])
        kn_to, kn_to_r = float(s1["knee"][0]), d(s1["knee"][0], s1h["knee"][0])
        kn_td, kn_td_r = float(s0["knee"][0]), d(s0h["knee"][0], s0["knee"][0])
        t_ext = tc + k["t_ext"] * T
        t_pk = k["t_thigh_peak"] * T
        thigh = _hermite([(tc, th_to, th_to_r), (t_ext, th_to - k["thigh_ext_extra"], 0.0),
                          (t_pk, k["thigh_peak"], 0.0), (T, th_td, th_td_r)])
        # knee peak when the thigh passes thigh_at_knee_peak on its way forward
        grid = np.linspace(t_ext, t_pk, 2001)
        tg = thigh(grid)
        i = int(np.searchsorted(tg, k["thigh_at_knee_peak"]))
        t_kp = float(grid[min(max(i, 1), len(grid) - 2)])
        t_kp = min(max(t_kp, tc + 0.12 * T), t_pk - 0.06 * T)
        t_late = t_pk + 0.6 * (T - t_pk)
        knee = _hermite([(tc, kn_to, max(kn_to_r, 0.0)), (t_kp, k["knee_peak"], 0.0),
                         (t_pk, k["knee_at_thigh_peak"], None),
                         (t_late, kn_td - k["knee_late_drop"], 0.0), (T, kn_td, kn_td_r)])
        a_to, a_to_r = float(ank(s1)[0]), d(ank(s1)[0], ank(s1h)[0])
        a_td, a_td_r = float(ank(s0)[0]), d(ank(s0h)[0], ank(s0)[0])
        t_mid = tc + 0.35 * (T - tc)
        ankle = _hermite([(tc, a_to, a_to_r), (t_mid, k["ankle_swing"], 0.0),
                          (t_pk, k["ankle_swing"] + 0.3 * (a_td - k["ankle_swing"]), None),
                          (T, a_td, a_td_r)])
        m_to, m_to_r = float(mtp(s1)[0]), d(mtp(s1)[0], mtp(s1h)[0])
        m_td, m_td_r = float(mtp(s0)[0]), d(mtp(s0h)[0], mtp(s0)[0])
        mtp_sw = _hermite([(tc, m_to, m_to_r), (tc + 0.1 * T, 8.0, 0.0), (T, m_td, m_td_r)])
        t_land = T - k["landing_window"] * (T - t_pk)
        knee_c, ankle_c = self._clearance(thigh, knee, ankle, mtp_sw, t_land)
        knee_l, ankle_l = self._landing(thigh, knee_c, ankle_c, mtp_sw, t_land)
        return LegCycle(T, tc, self.stance, thigh, knee_l, ankle_l, mtp_sw)

    def _foot_points(self, th, kn, ank, mtp):
        """Toe tip and heel (forward, up) relative to the hip (m) for swing angles (deg)."""
        ankle = seg_vec(th, self.L1) + seg_vec(th - kn, self.L2)
        foot = ank + (th - kn)
        toe = ankle - rot2(foot, self.a_rel) - rot2(foot - mtp, self.m_rel)
        heel = ankle + rot2(foot, self.h_rel)
        return toe, heel

    def _toe_to_contact(self, t, th, kn, ank, mtp):
        """Toe tip (forward, up) in m relative to the point where it lands at the next
        touchdown (leg time ``T``); ``t`` is leg time (s) in swing."""
        toe, _ = self._foot_points(th, kn, ank, mtp)
        hip = np.stack([self.dx_td - self.v * (self.T - t),
                        self.root_y_step(np.mod(t, self.Ts)) - self.h_toe], -1)
        return hip + toe

    def _swing_low(self, t, th, kn, ank, mtp):
        """Lowest of toe tip / heel minus the toe tip's contact height (m) in swing."""
        hip_y = self.root_y_step(np.mod(t, self.Ts))
        toe, heel = self._foot_points(th, kn, ank, mtp)
        return hip_y + np.minimum(toe[:, 1], heel[:, 1]) - self.h_toe

    def _landing(self, thigh, knee, ankle, mtp, t_land):
        """Knee and ankle over the approach ``[t_land, T]`` so that the toe tip lands with
        the touchdown velocity of a real sprinter instead of gliding in.

        The toe tip (relative to its landing point) follows a cubic in time from where the
        swing curves put it at ``t_land`` (same position and velocity, so the motion stays
        C1 there) to the landing point, which it reaches at the touchdown instant with a
        velocity of ``TOE_TD_FORWARD_MPS`` forward over the ground (i.e. moving backward
        relative to the hip) and ``TOE_TD_DOWN_MPS`` downward. The thigh keeps its curve;
        knee flexion and ankle angle follow by exact inverse kinematics (damped Newton on the
        two angles, started from the swing curves, which meet the stance posture at
        touchdown). The foot therefore hits the track with a velocity discontinuity, as at
        a real impact; the stance phase (toe pinned) is unchanged.
        """
        T = self.T
        if t_land >= T - 1e-3:
            return knee, ankle
        grid = np.linspace(t_land, T, 600)
        th, kn, an, mt = thigh(grid), knee(grid), ankle(grid), mtp(grid)
        p = self._toe_to_contact(grid, th, kn, an, mt)
        h = 1e-5
        ga = np.array([t_land, t_land + h])
        pa = self._toe_to_contact(ga, thigh(ga), knee(ga), ankle(ga), mtp(ga))
        va = (pa[1] - pa[0]) / h
        target = np.stack([
            CubicHermiteSpline([t_land, T], [p[0, c], 0.0],
                               [va[c], (TOE_TD_FORWARD_MPS, -TOE_TD_DOWN_MPS)[c]])(grid)
            for c in range(2)], -1)
        kn, an = kn.copy(), an.copy()
        for _ in range(40):
            r = self._toe_to_contact(grid, th, kn, an, mt) - target
            if np.abs(r).max() < 1e-7:
                break
            jk = (self._toe_to_contact(grid, th, kn + 1e-3, an, mt) - r - target) / 1e-3
            ja = (self._toe_to_contact(grid, th, kn, an + 1e-3, mt) - r - target) / 1e-3
            det = jk[:, 0] * ja[:, 1] - jk[:, 1] * ja[:, 0]
            dk = -(ja[:, 1] * r[:, 0] - ja[:, 0] * r[:, 1]) / det
            da = -(-jk[:, 1] * r[:, 0] + jk[:, 0] * r[:, 1]) / det
            kn += np.clip(dk, -5.0, 5.0)
            an += np.clip(da, -5.0, 5.0)
        if np.abs(r).max() > 1e-5 or np.abs(np.diff(kn)).max() > 2.0:
            raise ValueError("landing approach unreachable: adjust the style keys")
        kn[-1], an[-1] = knee(np.array([T]))[0], ankle(np.array([T]))[0]

        def knee_l(ts, _f=knee, _k=kn):
            ts = np.asarray(ts, float)
            return np.where(ts >= t_land, np.interp(ts, grid, _k), _f(ts))

        def ankle_l(ts, _f=ankle, _a=an):
            ts = np.asarray(ts, float)
            return np.where(ts >= t_land, np.interp(ts, grid, _a), _f(ts))

        return knee_l, ankle_l

    def _clearance(self, thigh, knee, ankle, mtp, t_land, margin: float = 0.012):
        """Knee and ankle curves corrected wherever the swing foot would scuff the ground.

        Gauss-Newton on (knee flexion, ankle dorsiflexion): smooth corrections (zero within
        8 ms of toe-off and from the start of the landing approach ``t_land`` on, full beyond
        30 ms from both) are added until the lowest of toe tip and heel clears the ground by
        ``margin`` (m) through the swing; the approach itself is shaped by :meth:`_landing`.
        """
        tc, T = self.t_c, self.T
        grid = np.linspace(tc, T, 800)
        near = np.minimum(grid - tc, t_land - grid + 0.008)
        w = np.clip((near - 0.008) / 0.022, 0, 1)
        w = w * w * (3 - 2 * w)
        ck, ca = np.zeros_like(grid), np.zeros_like(grid)
        th, kn0, an0, mt = thigh(grid), knee(grid), ankle(grid), mtp(grid)
        kernel = np.hanning(41)
        kernel /= kernel.sum()

        def smooth(x):
            return np.convolve(np.pad(x, 20, mode="edge"), kernel, mode="valid")

        for _ in range(30):
            kn, an = kn0 + ck, an0 + ca
            low = self._swing_low(grid, th, kn, an, mt)
            deficit = np.clip(margin - low, 0, None) * w
            if deficit.max() < 2e-4:
                break
            sk = (self._swing_low(grid, th, kn + 1.0, an, mt) - low)
            sa = (self._swing_low(grid, th, kn, an + 1.0, mt) - low)
            n2 = np.maximum(sk**2 + sa**2, 1e-8)
            ck += smooth(np.clip(deficit * sk / n2, -8.0, 8.0)) * w   # degrees
            ca += smooth(np.clip(deficit * sa / n2, -8.0, 8.0)) * w
        if not (ck.any() or ca.any()):
            return knee, ankle
        return ((lambda ts, _f=knee, _c=ck: _f(ts) + np.interp(ts, grid, _c)),
                (lambda ts, _f=ankle, _c=ca: _f(ts) + np.interp(ts, grid, _c)))

    # ---------------------------------------------------------------- whole body
    def sample(self, t, phase: float = 0.0) -> dict:
        """Kinematics at times ``t`` (n,) s.

        ``phase`` = fraction of the left stride elapsed at t = 0 (0 = left touchdown).
        Returns dict of (n,) arrays: root_x (forward, m), root_y (m), lean, per side
        ``{thigh,knee,foot,toes,contact,shoulder,elbow}_{L,R}`` (deg / bool), neck, head.
        """
        t = np.asarray(t, float)
        tl = t + phase * self.T
        out = {"t": t}
        for s, off in (("L", 0.0), ("R", self.Ts)):
            st = self.legs[s](tl - off)
            for name, arr in st.items():
                out[f"{name}_{s}"] = arr
        out["root_x"] = self.v * t
        out["root_y"] = self.root_y_step(np.mod(tl, self.Ts))
        w = 2 * np.pi / self.T
        out["lean"] = self.lean0 + 1.2 * np.sin(2 * w * tl - 0.5)
        k = self.keys
        # arms: opposite to the legs, from the first harmonic of the opposite thigh
        grid = np.linspace(0, self.T, 512, endpoint=False)
        th = self.legs["L"](grid)["thigh"]
        c1 = np.sum(th * np.exp(-1j * w * grid)) / len(grid)
        ph = np.angle(c1)
        for s, off in (("L", self.Ts), ("R", 0.0)):   # left arm follows the right thigh
            c = np.cos(w * (tl - off) + ph)
            out[f"shoulder_{s}"] = k["arm_mean"] + k["arm_amp"] * c
            out[f"elbow_{s}"] = 88.0 + 24.0 * c
        out["neck"] = 0.5 * out["lean"]
        out["head"] = np.full(t.shape, -3.0)
        return out
