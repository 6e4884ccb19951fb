"""Kinematics-only simulation of a clip: pose per frame, camera, projected ground truth.

:func:`simulate` is fast (no rendering) and returns a :class:`GroundTruth`; the renderer
reuses it and adds occlusion flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import groundtruth as gtm
from .body import Body, rot_x, rot_y
from .camera import CameraPath, make_camera
from .motion import SprintCycle, seg_vec
from .params import SprintParams

#: Points whose projections are stored: name -> (kind, segment or marker).
POINTS = ["head", "nose"] + [f"{n}.{s}" for s in ("L", "R") for n in (
    "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "mtp", "toe")]
_PIVOT_OF = {"shoulder": "upperarm", "elbow": "forearm", "wrist": "hand", "hip": "thigh",
             "knee": "shank", "ankle": "foot", "mtp": "toes"}


def _body_cache(shape, _cache={}):  # noqa: B006 - tiny memo of built bodies
    if shape not in _cache:
        if len(_cache) > 4:
            _cache.clear()
        _cache[shape] = Body(shape)
    return _cache[shape]


def pose_body_frame(body: Body, kin: dict) -> tuple[np.ndarray, np.ndarray]:
    """Global segment rotations (n, S, 3, 3) and root (n, 3) in the body frame from
    :meth:`SprintCycle.sample` output (root forward along +z, up +y)."""
    n = len(kin["t"])
    S = len(body.seg_names)
    Q = np.tile(np.eye(3), (n, S, 1, 1))
    lean = kin["lean"]
    for seg in ("pelvis", "abdomen", "chest"):
        Q[:, body.si(seg)] = rot_x(lean)
    Q[:, body.si("neck")] = rot_x(kin["neck"])
    Q[:, body.si("head")] = rot_x(kin["head"])
    for s in ("L", "R"):
        th, kn = kin[f"thigh_{s}"], kin[f"knee_{s}"]
        Q[:, body.si(f"thigh.{s}")] = rot_x(-th)
        Q[:, body.si(f"shank.{s}")] = rot_x(-(th - kn))
        Q[:, body.si(f"foot.{s}")] = rot_x(-kin[f"foot_{s}"])
        Q[:, body.si(f"toes.{s}")] = rot_x(-kin[f"toes_{s}"])
        sh, el = kin[f"shoulder_{s}"], kin[f"elbow_{s}"]
        Q[:, body.si(f"upperarm.{s}")] = rot_x(lean - sh)
        Q[:, body.si(f"forearm.{s}")] = rot_x(lean - sh - el)
        Q[:, body.si(f"hand.{s}")] = rot_x(lean - sh - el + 10.0)
    root = np.stack([np.zeros(n), kin["root_y"], kin["root_x"]], -1)
    return Q, root


@dataclass
class GroundTruth:
    """Everything known about a clip. ``payload`` is what goes to ``<clip>.json``.

    Private (not serialised): body, cycle, camera, per-frame world rotations ``Qw``
    (n, S, 3, 3) and pivots ``Pw`` (n, S, 3), world points ``world_pts`` name -> (n, 3).
    """

    params: SprintParams
    payload: dict
    body: Body
    cycle: SprintCycle
    camera: CameraPath
    Qw: np.ndarray
    Pw: np.ndarray
    world_pts: dict
    px: dict = field(default_factory=dict)

    @property
    def times(self) -> np.ndarray:
        return np.asarray(self.payload["frames"]["time"])


def world_transform(p: SprintParams, distance_m: float):
    """Body->world rotation W (3, 3) and the world origin offset (3,) of the body frame, so
    that a run of ``distance_m`` is centred on the world origin."""
    W = rot_y(90.0 * p.direction)
    x0 = -p.direction * distance_m / 2.0
    return W, np.array([x0, 0.0, 0.0])


def simulate(p: SprintParams, body: Body | None = None) -> GroundTruth:
    """Kinematics, camera and 2D ground truth for every frame (no rendering)."""
    body = body or _body_cache(p.body)
    cycle = SprintCycle(body, p.style, p.cadence, p.duty, p.run_speed, p.lean, p.key_overrides)
    n = p.n_frames
    times = np.arange(n) / p.fps
    kin = cycle.sample(times, p.phase)
    Qw, Pw, cam, world_pts, proj = project(p, body, kin, cycle.v * p.seconds)
    events, strides = _events_and_strides(p, cycle, body)
    return _ground_truth(p, body, cycle, kin, Qw, Pw, cam, world_pts, proj, events, strides,
                         {"run_speed_mps": cycle.v, "contact_time_s": cycle.t_c,
                          "flight_time_s": cycle.t_f, "step_time_s": cycle.Ts,
                          "stride_time_s": cycle.T})


def project(p: SprintParams, body: Body, kin: dict, distance_m: float):
    """World rotations ``Qw`` (n, S, 3, 3), pivots ``Pw`` (n, S, 3), the camera, the world
    points (name -> (n, 3)) and their projections (name -> (n, 3): x, y pixels and depth)
    of the kinematics ``kin`` (:meth:`SprintCycle.sample` layout) of a run of
    ``distance_m``."""
    times = np.asarray(kin["t"], float)
    Qb, rootb = pose_body_frame(body, kin)
    W, origin = world_transform(p, distance_m)
    Qw = np.einsum("ij,nsjk->nsik", W, Qb)
    Pb = body.fk(Qb, rootb)
    Pw = np.einsum("ij,nsj->nsi", W, Pb) + origin
    cam = make_camera(p, times, Pw[:, 0])

    world_pts = {}
    for name in POINTS:
        base, _, s = name.partition(".")
        if base in _PIVOT_OF:
            world_pts[name] = Pw[:, body.si(f"{_PIVOT_OF[base]}.{s}")]
        elif base in ("heel", "toe"):
            world_pts[name] = body.marker(name, Qw, Pw)
    hs = body.si("head")
    top = body.verts_N[:, 1].max()
    hp = body.pivot_N[hs]
    head_c = np.array([0.0, 0.5 * (hp[1] + top), hp[2] + 0.02])
    nose = body.verts_N[np.argmax(np.where(np.abs(body.verts_N[:, 0]) < 0.01, body.verts_N[:, 2], -9))]
    for name, pt in (("head", head_c), ("nose", nose)):
        world_pts[name] = Pw[:, hs] + np.einsum("nij,j->ni", Qw[:, hs], pt - hp)
    proj = {k: cam.project(v[:, None, :])[:, 0] for k, v in world_pts.items()}
    return Qw, Pw, cam, world_pts, proj


def _ground_truth(p: SprintParams, body: Body, cycle, kin: dict, Qw, Pw, cam, world_pts: dict,
                  proj: dict, events: list, strides: list, timing: dict) -> GroundTruth:
    """The :class:`GroundTruth` (and its JSON payload) of projected kinematics."""
    n = len(kin["t"])
    times = np.asarray(kin["t"], float)
    px = {k: v[:, :2] for k, v in proj.items()}

    # neutral ankle interior angle (knee-ankle-MTP) for the ankle convention
    pn = body.pivot_N
    ank_neutral = float(gtm.interior(pn[body.si("shank.L")], pn[body.si("foot.L")], pn[body.si("toes.L")]))
    d = p.direction
    a2 = gtm.angles_2d(px, d, ank_neutral)
    hip_mid_x = 0.5 * (px["hip.L"][:, 0] + px["hip.R"][:, 0])
    in_frame = {k: (v[:, 0] >= 0) & (v[:, 0] <= p.width) & (v[:, 1] >= 0) & (v[:, 1] <= p.height)
                & (proj[k][:, 2] > 0) for k, v in px.items()}

    lr = lambda name: np.stack([kin[f"{name}_L"], kin[f"{name}_R"]], -1)  # noqa: E731
    thigh3, knee3 = lr("thigh"), lr("knee")
    a3 = {
        "thigh": thigh3, "knee_flexion": knee3, "hip_flexion": thigh3 + kin["lean"][:, None],
        "shank": knee3 - thigh3, "foot_pitch": lr("foot"),
        "ankle": lr("foot") - (thigh3 - knee3), "toes_pitch": lr("toes"),
        "mtp_extension": lr("foot") - lr("toes"),
        "shoulder_flexion": lr("shoulder"), "elbow_flexion": lr("elbow"),
        "trunk_lean": kin["lean"],
    }
    ffoot = {s: np.minimum(world_pts[f"toe.{s}"][:, 1], world_pts[f"heel.{s}"][:, 1]) for s in "LR"}
    frames = {
        "time": times,
        "contact": lr("contact"),
        "foot_min_height_m": np.stack([ffoot["L"], ffoot["R"]], -1),
        "root_world_m": Pw[:, 0],
        "angles_2d": a2,
        "angles_3d": a3,
        "points_px": px,
        "points_depth_m": {k: v[:, 2] for k, v in proj.items()},
        "in_frame": in_frame,
        "camera": {"R": cam.R, "C": cam.C},
    }
    payload = {
        "format": "posecheck-synth-gt/1",
        "fps": p.fps, "width": p.width, "height": p.height, "n_frames": n,
        "params": p.to_dict(),
        **timing,
        "direction": d,
        "direction_image_hip_motion": int(np.sign(hip_mid_x[-1] - hip_mid_x[0])) if n > 1 else 0,
        "near_side": "right" if d == 1 else "left",
        "camera_focal_px": cam.f,
        "body_lengths_m": body.lengths,
        "ankle_neutral_interior_deg": ank_neutral,
        "side_order": ["left", "right"],
        "events": events,
        "strides": strides,
        "frames": frames,
    }
    return GroundTruth(p, payload, body, cycle, cam, Qw, Pw, world_pts, px)


def _events_and_strides(p: SprintParams, cycle: SprintCycle, body: Body):
    """Touchdown/toe-off events in the clip and per-swing summaries (dense 3D kinematics)."""
    T, Ts, tc = cycle.T, cycle.Ts, cycle.t_c
    dur = p.n_frames / p.fps
    events, strides = [], []
    L1, L2 = cycle.L1, cycle.L2
    for s, off in (("L", 0.0), ("R", Ts)):
        side = "left" if s == "L" else "right"
        o = "R" if s == "L" else "L"
        k0 = int(np.floor((-off + p.phase * T) / T)) - 1
        for k in range(k0, k0 + int(dur / T) + 4):
            t_td = k * T + off - p.phase * T
            for kind, te in (("touchdown", t_td), ("toe_off", t_td + tc)):
                if 0.0 <= te < dur:
                    events.append({"side": side, "type": kind, "time": te,
                                   "frame": int(np.ceil(te * p.fps - 1e-9))})
            t_to, t_next = t_td + tc, t_td + T
            if t_to < 0 or t_next > dur:
                continue
            ts = np.linspace(t_to, t_next, 2001)
            kin = cycle.sample(ts, p.phase)
            th, kn, lean = kin[f"thigh_{s}"], kin[f"knee_{s}"], kin["lean"]
            ry = kin["root_y"]
            knee_sw = seg_vec(th, L1)
            ank_sw = knee_sw + seg_vec(th - kn, L2)
            knee_op = seg_vec(kin[f"thigh_{o}"], L1)
            cross = np.nonzero(np.diff(np.sign(ank_sw[:, 0] - knee_op[:, 0])) > 0)[0]
            step_over = None
            if len(cross):
                i = cross[0]
                step_over = float((ank_sw[i, 1] - knee_op[i, 1]) / L2)
            ikp, itp = int(np.argmax(kn)), int(np.argmax(th))
            ank = kin[f"foot_{s}"] - (th - kn)
            strides.append({
                "side": side, "toe_off_time": t_to, "touchdown_time": t_next,
                "peak_knee_flexion": kn[ikp], "peak_knee_time": ts[ikp],
                "thigh_at_peak_knee": th[ikp], "peak_thigh": th[itp], "peak_thigh_time": ts[itp],
                "peak_hip_flexion": float(np.max(th + lean)),
                "toe_off": {"thigh": th[0], "knee_flexion": kn[0], "hip_flexion": th[0] + lean[0],
                            "ankle": ank[0]},
                "touchdown": {"thigh": th[-1], "knee_flexion": kn[-1],
                              "hip_flexion": th[-1] + lean[-1], "shank": kn[-1] - th[-1],
                              "ankle": ank[-1]},
                "step_over_shank_lengths": step_over,
                "min_root_height_m": float(ry.min()),
            })
    events.sort(key=lambda e: e["time"])
    return events, strides
