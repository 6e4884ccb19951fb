"""A race scene: several sprinters in adjacent lanes, small in the frame, filmed from an
elevated, panning camera that follows one of them (the *athlete*), with exact ground truth
for the athlete (the usual ``<clip>.json``) and the hip track of every other runner.

What real race footage looks like to posecheck (issue 18): 720p, 25-30 fps, filmed from the
stands, runners 60-250 px tall, others entering the view from behind, overtaking or being
overtaken, and leaving it. The scene:

* **Runners** (:class:`RaceRunner`): each a constant-speed :class:`~tools.synth.motion.SprintCycle`
  with its own body shape, clothes, style, stride phase and speed, in its own lane
  (``lane`` lanes nearer the camera than the athlete's, 1.22 m each), starting ``start_m``
  metres ahead of (+) or behind (-) the athlete. Relative speeds of 0.5-1.5 m/s make the
  others enter, pass and leave the view over a few seconds.
* **Camera** (:func:`race_camera`): ``height`` m above the ground, ``distance`` m from the
  athlete's lane, moving along the track with the athlete (a rail/stand camera following
  the race) while the operator pans: the aim point wanders ±``pan_m`` around the athlete
  with a lag, so the athlete drifts in the frame; the focal length zooms smoothly by
  ``zoom`` (max/min) over the clip, so people change size.
* **Rendering** (:func:`render_race`): one ray-cast background per frame and every runner
  in view rasterised into the same z-buffer, no supersampling by default (small people, 720p,
  25 fps: about 0.1 s of CPU per frame on this machine instead of ~0.25 s for one 2x
  supersampled runner).

The athlete's truth is exact: the same :func:`~tools.synth.simulation._ground_truth` as a
single-runner clip, projected through the race camera (``frames.points_px`` etc.). The
payload adds ``race``: per other runner its lane, speed and per-frame hip-midpoint pixels
(``hip_mid_px``, (n, 2)) and whether its whole body is in the frame (``in_view``, (n,)).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from . import _kernels as K
from .appearance import vertex_colours
from .body import BodyShape
from .camera import CameraPath, _look, _shake
from .groundtruth import write_json
from .motion import SprintCycle
from .params import CameraParams, Look, SprintParams
from .render import (SUN, _box_blur, h264_writer, init_buffers, texture_gain,
                     vertex_light)
from .simulation import GroundTruth, _body_cache, _events_and_strides, _ground_truth, project

LANE_W = 1.22


@dataclass(frozen=True)
class RaceRunner:
    """Another runner of the scene (the athlete is :attr:`RaceScene.athlete`).

    lane: lanes nearer the camera than the athlete's (+) or farther (-), 1.22 m each.
    start_m: along-track position at t = 0 relative to the athlete (+ = ahead).
    speed: m/s. style, phase: as in :class:`SprintParams`."""

    lane: int
    start_m: float
    speed: float
    style: float = 0.5
    phase: float = 0.3
    body: BodyShape = field(default_factory=BodyShape)
    look: Look = field(default_factory=Look)


#: the default field: one runner overtakes the athlete from behind in the near lane, the
#: athlete overtakes one in a far lane, one keeps pace two lanes out, one enters late
DEFAULT_FIELD = (
    RaceRunner(lane=1, start_m=-10.0, speed=11.2, style=0.8, phase=0.55,
               body=BodyShape(gender=1.0, muscle=0.9, weight=0.45, stature_m=1.88),
               look=Look(skin=(92, 62, 46), shirt=(200, 30, 30), shorts=(20, 20, 20),
                         shoes=(250, 200, 0))),
    RaceRunner(lane=-1, start_m=7.0, speed=8.4, style=0.3, phase=0.8,
               body=BodyShape(gender=0.0, muscle=0.7, weight=0.3, stature_m=1.68),
               look=Look(skin=(224, 172, 140), shirt=(240, 240, 240), shorts=(30, 40, 120),
                         hair=(160, 110, 40))),
    RaceRunner(lane=-2, start_m=1.5, speed=9.5, style=0.6, phase=0.05,
               body=BodyShape(gender=1.0, muscle=0.6, weight=0.2, stature_m=1.76),
               look=Look(skin=(150, 100, 70), shirt=(20, 140, 60), shorts=(20, 20, 20))),
    RaceRunner(lane=2, start_m=-30.0, speed=11.0, style=0.9, phase=0.35,
               body=BodyShape(gender=0.3, muscle=0.8, weight=0.4, stature_m=1.72),
               look=Look(skin=(120, 80, 60), shirt=(250, 140, 0), shorts=(60, 60, 60))),
)


@dataclass(frozen=True)
class RaceScene:
    """Everything that defines a race clip (lengths m, angles deg, times s).

    athlete: the followed runner's motion, body and look (its camera field is ignored);
    others: the other runners; distance, height: camera distance from the athlete's lane and
    lens height; athlete_px: the athlete's standing stature in pixels at the mean zoom;
    zoom: max/min focal length over the clip (1 = fixed); pan_m: how far the aim point
    wanders from the athlete; lag: the operator's following lag; shake: hand-held shake
    (deg, as the single runner's camera; 0 = steady)."""

    athlete: SprintParams = field(default_factory=lambda: SprintParams(
        seconds=20.0, fps=25.0, width=1280, height=720, supersample=1, phase=0.1))
    others: tuple = DEFAULT_FIELD
    distance: float = 16.0
    height: float = 7.0
    athlete_px: float = 150.0
    zoom: float = 1.6
    pan_m: float = 2.0
    lag: float = 0.15
    crf: int = 23
    shake: float = 0.0

    def key(self) -> str:
        """Short hash of the scene and of this module's source (cache key for renders)."""
        src = Path(__file__).read_bytes() + Path(K.__file__).read_bytes()
        blob = json.dumps(asdict(self), sort_keys=True, default=str).encode() + src
        return hashlib.sha256(blob).hexdigest()[:16]


def short_scene(seconds: float = 4.0, fps: float = 25.0) -> RaceScene:
    """A few-second race for tests, every other runner in a farther lane (so the followed
    athlete is the largest and the one in view longest: the ``auto`` choice): the tall
    runner overtakes the athlete one lane out, the athlete overtakes the runner two lanes
    out, a third keeps pace three lanes out."""
    near, far, pace, _late = DEFAULT_FIELD
    return RaceScene(
        athlete=replace(RaceScene().athlete, seconds=seconds, fps=fps),
        others=(replace(near, lane=-1, start_m=-6.0, speed=12.0),
                replace(far, lane=-2, start_m=3.0, speed=7.5),
                replace(pace, lane=-3, start_m=4.0)),
        zoom=1.2)


def race_camera(scene: RaceScene, times: np.ndarray, athlete_root: np.ndarray) -> CameraPath:
    """Per-frame camera following ``athlete_root`` (n, 3) world hip midpoints. ``f`` of the
    returned path is an (n,) array (the zoom); see the module docstring."""
    p = scene.athlete
    n = len(times)
    T = max(float(times[-1]), 1e-6) if n else 1.0
    x = athlete_root[:, 0]
    v = (x[-1] - x[0]) / T if n > 1 else 0.0
    rng = np.random.default_rng(p.seed + 101)
    wander = np.zeros(n)
    for fr, ph in zip(rng.uniform(0.05, 0.25, 3), rng.uniform(0, 2 * np.pi, 3)):
        wander += np.sin(2 * np.pi * fr * times + ph)
    wander *= scene.pan_m / np.sqrt(1.5)
    aim_x = x - v * scene.lag + wander
    cam_x = x - v * scene.lag  # the camera rides along with the athlete (lagging)
    C = np.stack([cam_x, np.full(n, scene.height), np.full(n, scene.distance)], -1)
    yaw = np.degrees(np.arctan2(aim_x - cam_x, scene.distance))
    horiz = np.hypot(aim_x - cam_x, scene.distance)
    pitch = np.degrees(np.arctan2(0.5 * p.body.stature_m - scene.height, horiz))
    sh = _shake(times, p.seed + 1, scene.shake)
    R = _look(yaw + sh[:, 0], pitch + sh[:, 1], sh[:, 2])
    depth = np.hypot(horiz, scene.height - 0.5 * p.body.stature_m)
    f0 = scene.athlete_px * depth.mean() / p.body.stature_m
    z = np.log(max(scene.zoom, 1.0))
    f = f0 * np.exp(0.5 * z * np.sin(2 * np.pi * times / T - 0.5 * np.pi)) if n else np.array([f0])
    return CameraPath(R=R, C=C, f=f, cx=p.width / 2, cy=p.height / 2, width=p.width, height=p.height)


def _project(cam: CameraPath, X: np.ndarray) -> np.ndarray:
    """World points (n, m, 3) -> (n, m, 3) = (u, v, depth) with a per-frame focal length."""
    Xc = np.einsum("nij,nmj->nmi", cam.R, X - cam.C[:, None, :])
    z = Xc[..., 2]
    f = np.asarray(cam.f, float).reshape(-1, 1)
    return np.stack([f * Xc[..., 0] / z + cam.cx, f * Xc[..., 1] / z + cam.cy, z], -1)


@dataclass
class _Actor:
    """One runner's posed segments in world coordinates and its colours."""

    body: object
    Qw: np.ndarray
    Pw: np.ndarray
    look: Look
    hip_mid: np.ndarray  # (n, 3) world


def _actor(p: SprintParams, times: np.ndarray, dx: float = 0.0, dz: float = 0.0,
           x_start: float | None = None) -> tuple[_Actor, dict, object, dict]:
    """Pose a constant-speed runner; shift it to start at ``x_start`` (world X of its hip at
    t = 0, default unshifted) in the lane ``dz`` m nearer the camera."""
    body = _body_cache(p.body)
    cycle = SprintCycle(body, p.style, p.cadence, p.duty, p.run_speed, p.lean, p.key_overrides)
    kin = cycle.sample(times, p.phase)
    Qw, Pw, _cam, world_pts, _proj = project(p, body, kin, cycle.v * p.seconds)
    shift = np.array([0.0 if x_start is None else x_start - Pw[0, 0, 0], 0.0, dz])
    Pw = Pw + shift
    world_pts = {k: v + shift for k, v in world_pts.items()}
    hip = 0.5 * (world_pts["hip.L"] + world_pts["hip.R"])
    return _Actor(body, Qw, Pw, p.look, hip), world_pts, cycle, kin


def simulate_race(scene: RaceScene) -> tuple[GroundTruth, list[_Actor]]:
    """The athlete's exact :class:`GroundTruth` through the race camera and the posed
    actors (athlete first). No rendering."""
    p = scene.athlete
    times = np.arange(p.n_frames) / p.fps
    athlete, world_pts, cycle, kin = _actor(p, times)
    cam = race_camera(scene, times, athlete.Pw[:, 0])
    proj = {k: _project(cam, v[:, None, :])[:, 0] for k, v in world_pts.items()}
    events, strides = _events_and_strides(p, cycle, athlete.body)
    gt = _ground_truth(p, athlete.body, cycle, kin, athlete.Qw, athlete.Pw, cam, world_pts,
                       proj, events, strides,
                       {"run_speed_mps": cycle.v, "contact_time_s": cycle.t_c,
                        "flight_time_s": cycle.t_f, "step_time_s": cycle.Ts,
                        "stride_time_s": cycle.T})
    actors = [athlete]
    others = []
    x0 = float(athlete.Pw[0, 0, 0])
    for o in scene.others:
        q = replace(p, style=o.style, phase=o.phase, speed=o.speed, body=o.body, look=o.look,
                    lean=None, key_overrides=(), camera=CameraParams())
        act, pts, _c, _k = _actor(q, times, dz=o.lane * LANE_W, x_start=x0 + o.start_m)
        actors.append(act)
        allpts = np.stack(list(pts.values()), axis=1)               # (n, m, 3)
        pr = _project(cam, allpts)
        inside = ((pr[..., 0] >= 0) & (pr[..., 0] <= p.width) & (pr[..., 1] >= 0)
                  & (pr[..., 1] <= p.height) & (pr[..., 2] > 0)).all(axis=1)
        others.append({"lane": o.lane, "speed_mps": o.speed, "start_m": o.start_m,
                       "hip_mid_px": _project(cam, act.hip_mid[:, None, :])[:, 0, :2],
                       "in_view": inside})
    gt.payload["race"] = {"camera_height_m": scene.height, "camera_distance_m": scene.distance,
                          "focal_px": np.asarray(cam.f), "others": others}
    gt.payload["camera_focal_px"] = float(np.mean(cam.f))
    return gt, actors


class RaceRenderer:
    """Renders the frames of a race (one background, every runner in view)."""

    def __init__(self, scene: RaceScene, gt: GroundTruth, actors: list[_Actor]):
        p = scene.athlete
        self.p, self.gt, self.actors = p, gt, actors
        self.ss = max(1, int(p.supersample))
        self.Hs, self.Ws = p.height * self.ss, p.width * self.ss
        self.looks = []
        for a in actors:
            vcol, vtex, _region = vertex_colours(a.body, a.look)
            tex = texture_gain(a.body)
            self.looks.append((vcol, vtex, tex, a.body.faces.astype(np.int64),
                               a.body.face_uv.astype(np.int64), a.body.uvs.astype(np.float64),
                               a.body.skin_idx[:, 0].astype(np.int16)))
        init_buffers(self, p)

    def frame(self, i: int) -> np.ndarray:
        """Render frame ``i`` -> (H, W, 3) uint8 RGB."""
        cam, ss = self.gt.camera, self.ss
        R, C = cam.R[i], cam.C[i]
        f = float(np.asarray(cam.f).reshape(-1)[i if np.ndim(cam.f) else 0]) * ss
        cx, cy = cam.cx * ss, cam.cy * ss
        K.render_background(self.img, self.ground, R, C, f, cx, cy, 0.0, 6, 3, LANE_W,
                            -70.0, 9.0, self.seed)
        self.zbuf[:] = np.inf
        self.idbuf[:] = -1
        posed = []
        for a, look in zip(self.actors, self.looks):
            c = (a.hip_mid[i] - C) @ R.T
            if c[2] <= 0.5:
                continue
            u, v = f * c[0] / c[2] + cx, f * c[1] / c[2] + cy
            reach = 1.6 * f / c[2]  # a 1.6 m radius around the hips
            if u + reach < 0 or u - reach > self.Ws or v + reach < 0 or v - reach > self.Hs:
                continue
            posed.append((a, look, a.body.skin(a.Qw[i], a.Pw[i])))
        if posed:  # projected sun shadows of everyone in view
            self.shadow[:] = 0.0
            for _a, look, V in posed:
                Vg = V - np.outer(V[:, 1] - 0.002, SUN / SUN[1])
                Gc = (Vg - C) @ R.T
                K.raster_coverage(self.shadow, np.stack([f * Gc[:, 0] / Gc[:, 2] + cx,
                                                         f * Gc[:, 1] / Gc[:, 2] + cy], -1),
                                  look[3])
            sh = np.minimum(_box_blur(self.shadow, 2 * ss + 1), 1.0)
            self.img *= (1.0 - 0.5 * sh * self.ground)[:, :, None]
        for _a, (vcol, vtex, tex, faces, face_uv, uvs, vseg), V in posed:
            Xc = (V - C) @ R.T
            scr = np.stack([f * Xc[:, 0] / Xc[:, 2] + cx, f * Xc[:, 1] / Xc[:, 2] + cy, Xc[:, 2]], -1)
            light = vertex_light(V, faces, C, vtex)
            K.raster_mesh(self.img, self.zbuf, self.idbuf, scr, faces, face_uv, uvs, vcol,
                          light, vtex, tex, vseg, True)
        return K.downsample(self.img, ss)


def render_race(scene: RaceScene, out_path: str | Path, progress: bool = False) -> GroundTruth:
    """Render ``scene`` to ``out_path`` (H.264 MP4, yuv420p, +faststart) and write
    ``<out>.json`` (the athlete's truth plus ``race``); return the athlete's GroundTruth."""
    t0 = time.perf_counter()
    gt, actors = simulate_race(scene)
    p = scene.athlete
    r = RaceRenderer(scene, gt, actors)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with h264_writer(out_path, p.fps, p.width, p.height,
                     {"crf": str(scene.crf), "preset": "veryfast",
                      "g": str(int(round(2 * p.fps)))}) as write:
        for i in range(p.n_frames):
            write(r.frame(i))
            if progress and i % 50 == 0:
                print(f"  frame {i}/{p.n_frames} {time.perf_counter() - t0:.1f}s", flush=True)
    write_json(out_path.with_suffix(".json"), gt.payload)
    gt.render_time = time.perf_counter() - t0
    return gt


def cached_race(scene: RaceScene, cache_dir: str | Path) -> Path:
    """``<cache_dir>/race_<key>.mp4`` for ``scene``, rendered on first use (the key hashes
    the scene and the renderer's source, so a changed renderer renders again)."""
    cache_dir = Path(cache_dir)
    out = cache_dir / f"race_{scene.key()}.mp4"
    if not (out.exists() and out.with_suffix(".json").exists()):
        tmp = cache_dir / f".partial_{scene.key()}.mp4"
        render_race(scene, tmp)
        tmp.with_suffix(".json").replace(out.with_suffix(".json"))
        tmp.replace(out)
    return out
