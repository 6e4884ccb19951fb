"""Render a synthetic sprint clip to H.264 MP4 with its ground-truth JSON.

CPU only: numba z-buffer rasterizer (:mod:`._kernels`), per-vertex lighting, skin detail
texture, projected ground shadow, procedural track background, supersampling anti-alias.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import numpy as np

from . import _kernels as K
from .appearance import vertex_colours
from .groundtruth import write_json
from .params import SprintParams
from .simulation import GroundTruth, simulate

SUN = np.array([-0.45, 0.78, 0.43])
SUN = SUN / np.linalg.norm(SUN)

#: joint -> segments whose pixels do NOT count as occluding it
_OWN = {"hip": ("thigh", "pelvis"), "knee": ("thigh", "shank"), "ankle": ("shank", "foot"),
        "heel": ("foot", "shank"), "mtp": ("foot", "toes"), "toe": ("toes", "foot"),
        "shoulder": ("upperarm", "chest"), "elbow": ("upperarm", "forearm"),
        "wrist": ("forearm", "hand")}


def vertex_light(V: np.ndarray, faces: np.ndarray, C: np.ndarray, vtex: np.ndarray) -> np.ndarray:
    """(n,) light per vertex of the posed mesh ``V`` (n, 3) world m seen from the camera
    centre ``C`` (3,): ambient + sun (:data:`SUN`) diffuse + sky + a specular glint on
    textured (``vtex`` > 0.5) vertices."""
    nrm = K.vertex_normals(V, faces)
    view = C - V
    view /= np.linalg.norm(view, axis=1, keepdims=True)
    ndl = np.clip(nrm @ SUN, 0.0, None)
    half = view + SUN
    half /= np.linalg.norm(half, axis=1, keepdims=True)
    spec = np.clip(np.sum(nrm * half, 1), 0, None) ** 24
    sky = 0.5 + 0.5 * nrm[:, 1]
    return (0.34 + 0.72 * ndl + 0.16 * sky + 0.10 * spec * (vtex > 0.5)).astype(np.float64)


def texture_gain(body) -> np.ndarray:
    """Per-texel brightness gain of the body's texture, normalised to mean 1 and softened
    (float32, clipped to [0.55, 1.45])."""
    tex = body.texture.astype(np.float32)
    tex = tex / tex.mean()
    return np.clip(1.0 + 0.7 * (tex - 1.0), 0.55, 1.45).astype(np.float32)


def init_buffers(r, p) -> None:
    """The reusable per-frame buffers of a renderer ``r`` (its ``Hs`` × ``Ws`` supersampled
    size set) and its noise seed from params ``p``."""
    r.img = np.zeros((r.Hs, r.Ws, 3), np.float32)
    r.ground = np.zeros((r.Hs, r.Ws), np.float32)
    r.zbuf = np.zeros((r.Hs, r.Ws), np.float64)
    r.idbuf = np.zeros((r.Hs, r.Ws), np.int16)
    r.shadow = np.zeros((r.Hs, r.Ws), np.float32)
    r.seed = int(p.seed) & 0x7FFF


class Renderer:
    """Renders the frames of one :class:`GroundTruth` (reusable buffers)."""

    def __init__(self, gt: GroundTruth):
        p = gt.params
        self.gt, self.p = gt, p
        self.ss = max(1, int(p.supersample))
        self.Hs, self.Ws = p.height * self.ss, p.width * self.ss
        body = gt.body
        self.vcol, self.vtex, self.region = vertex_colours(body, p.look)
        self.tex = texture_gain(body)
        self.faces = body.faces.astype(np.int64)
        self.face_uv = body.face_uv.astype(np.int64)
        self.uvs = body.uvs.astype(np.float64)
        self.vseg = body.skin_idx[:, 0].astype(np.int16)
        init_buffers(self, p)

    def frame(self, i: int) -> np.ndarray:
        """Render frame ``i`` -> (H, W, 3) uint8 RGB; fills ``self.idbuf`` (segment ids)."""
        gt, cam, ss = self.gt, self.gt.camera, self.ss
        body = gt.body
        V = body.skin(gt.Qw[i], gt.Pw[i])                        # (V, 3) world
        R, C = cam.R[i], cam.C[i]
        f, cx, cy = cam.f * ss, cam.cx * ss, cam.cy * ss
        Xc = (V - C) @ R.T
        scr = np.stack([f * Xc[:, 0] / Xc[:, 2] + cx, f * Xc[:, 1] / Xc[:, 2] + cy, Xc[:, 2]], -1)

        K.render_background(self.img, self.ground, R, C, f, cx, cy, 0.0, 6, 2, 1.22,
                            -70.0, 9.0, self.seed)
        # projected sun shadow on the ground plane
        Vg = V - np.outer(V[:, 1] - 0.002, SUN / SUN[1])
        Gc = (Vg - C) @ R.T
        gpts = np.stack([f * Gc[:, 0] / Gc[:, 2] + cx, f * Gc[:, 1] / Gc[:, 2] + cy], -1)
        self.shadow[:] = 0.0
        K.raster_coverage(self.shadow, gpts, self.faces)
        k = 2 * ss + 1
        sh = _box_blur(self.shadow, k)
        self.img *= (1.0 - 0.5 * sh * self.ground)[:, :, None]

        light = vertex_light(V, self.faces, C, self.vtex)
        self.zbuf[:] = np.inf
        self.idbuf[:] = -1
        K.raster_mesh(self.img, self.zbuf, self.idbuf, scr, self.faces, self.face_uv, self.uvs,
                      self.vcol, light, self.vtex, self.tex, self.vseg, True)
        return K.downsample(self.img, ss)

    def occlusion(self, i: int) -> dict[str, bool]:
        """Per stored point: True if another body part covers it (call after :meth:`frame`)."""
        out = {}
        names = self.gt.body.seg_names
        for name, xy in self.gt.px.items():
            base, _, s = name.partition(".")
            u, v = xy[i] * self.ss
            iu, iv = int(np.floor(u)), int(np.floor(v))
            if not (0 <= iu < self.Ws and 0 <= iv < self.Hs):
                out[name] = False
                continue
            seg = int(self.idbuf[iv, iu])
            if seg < 0:
                out[name] = False
                continue
            segname = names[seg]
            own = _OWN.get(base, ("head", "neck"))
            segbase, _, segside = segname.partition(".")
            out[name] = not (segbase in own and (segside in ("", s)))
        return out


def _box_blur(a: np.ndarray, k: int) -> np.ndarray:
    """Separable box blur with odd kernel ``k`` (edges clamped)."""
    import cv2

    return cv2.blur(a, (k, k), borderType=cv2.BORDER_REPLICATE)


def _x264_determinism() -> dict:
    """x264 options for byte-identical output.

    x264's AVX-512 kernels read uninitialised padding (output then varies run to run);
    limiting x264 to the AVX2-and-older kernels this CPU has makes it deterministic, and
    those kernels are bit-exact with each other, so the same file comes out on any x86 CPU.
    """
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split("flags")[1].split("\n")[0].split())
    except (OSError, IndexError):
        return {}
    if "sse4_2" not in flags:
        return {}
    cpu = ["MMX2", "SSE", "SSE2", "SSE2Fast", "SSSE3", "SSE4.1", "SSE4.2"]
    for flag, name in (("abm", "LZCNT"), ("avx", "AVX"), ("fma", "FMA3"), ("bmi1", "BMI1"),
                       ("bmi2", "BMI2"), ("avx2", "AVX2")):
        if flag in flags:
            cpu.append(name)
    return {"x264-params": "asm=" + ",".join(cpu)}


@contextmanager
def h264_writer(out_path: Path, fps: float, width: int, height: int, options: dict):
    """Open ``out_path`` as an H.264 MP4 (yuv420p, +faststart, x264 ``options`` plus
    :func:`_x264_determinism`) and yield ``write(rgb)``, which encodes the next
    (height, width, 3) uint8 RGB frame; the encoder is flushed on exit."""
    import av

    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(out_path), "w", options={"movflags": "+faststart"}) as c:
        st = c.add_stream("libx264", rate=rate)
        st.width, st.height, st.pix_fmt = width, height, "yuv420p"
        st.time_base = 1 / rate
        # x264 frame threads make the bitstream depend on wall-clock timing; sliced
        # threads are deterministic (same input -> byte-identical file)
        st.codec_context.thread_count = 2
        st.codec_context.thread_type = "SLICE"
        st.options = {**options, **_x264_determinism()}
        count = 0

        def write(rgb: np.ndarray) -> None:
            nonlocal count
            # reformat() gives the encoder a frame that owns its pixels: x264 keeps frames in
            # its look-ahead queue, and a frame wrapping a freed numpy buffer would change
            fr = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            fr.pts, fr.time_base = count, 1 / rate
            count += 1
            for pkt in st.encode(fr):
                c.mux(pkt)

        yield write
        for pkt in st.encode():
            c.mux(pkt)


def render_clip(params: SprintParams, out_path: str | Path, *, crf: int = 20,
                json_path: str | Path | None = None, progress: bool = False,
                ground_truth: GroundTruth | None = None) -> GroundTruth:
    """Render ``params`` to ``out_path`` (H.264 MP4) and write ``<out>.json``; return the GT.
    ``ground_truth``: render this simulation instead of ``simulate(params)`` (e.g. an
    accelerating run, :mod:`tools.synth.acceleration`; its own params are used)."""
    t0 = time.perf_counter()
    gt = ground_truth if ground_truth is not None else simulate(params)
    params = gt.params
    r = Renderer(gt)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    occl = {k: [] for k in gt.px}
    with h264_writer(out_path, params.fps, params.width, params.height,
                     {"crf": str(crf), "preset": "medium"}) as write:
        for i in range(params.n_frames):
            rgb = r.frame(i)
            for k, v in r.occlusion(i).items():
                occl[k].append(v)
            write(rgb)
            if progress and i % 30 == 0:
                print(f"  frame {i}/{params.n_frames} {time.perf_counter() - t0:.1f}s", flush=True)
    gt.payload["frames"]["occluded"] = {k: np.array(v) for k, v in occl.items()}
    write_json(json_path or out_path.with_suffix(".json"), gt.payload)
    gt.render_time = time.perf_counter() - t0
    return gt


def render_frames(params: SprintParams, frames: list[int] | None = None) -> tuple[GroundTruth, list[np.ndarray]]:
    """Render selected frames to RGB arrays (no video); for tests and previews."""
    gt = simulate(params)
    r = Renderer(gt)
    idx = range(params.n_frames) if frames is None else frames
    return gt, [r.frame(i) for i in idx]
