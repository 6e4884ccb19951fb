"""Body model: shaped MakeHuman mesh, corrected neutral stance, rigid segments, skinning.

Frames and units
----------------
Body frame (metres): x = the person's anatomical LEFT, y = up, z = forward (the way the
person faces). The neutral stance built here has, exactly:

* thigh (hip -> knee) and shank (knee -> ankle) joint-centre lines pointing straight down
  (0, -1, 0) -- legs parallel, no abduction, no sagittal bend;
* the trunk line (shoulder-centre midpoint -> hip-centre midpoint) vertical;
* the foot flat (sole on y = 0) and pointing along +z, toes flat;
* upper arm, forearm and hand straight, hanging down with ``ARM_ABDUCTION_DEG`` outward.

``root`` is the midpoint of the two hip joint centres. Every segment's pose is a *global*
rotation ``Q`` (3x3, body-neutral frame -> posed frame) applied to its neutral geometry,
so a sagittal angle applied to a segment is exactly the angle of its joint-centre line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

ASSET_PATH = Path(__file__).resolve().parent / "assets" / "body.npz"
ARM_ABDUCTION_DEG = 9.0

#: segment -> (parent, proximal joint name); joint names refer to :meth:`Body.joint`.
SEGMENT_TREE: dict[str, tuple[str | None, str]] = {
    "pelvis": (None, "root"),
    "abdomen": ("pelvis", "spine4"),
    "chest": ("abdomen", "spine2"),
    "neck": ("chest", "neck"),
    "head": ("neck", "head"),
    "thigh.L": ("pelvis", "hip.L"), "shank.L": ("thigh.L", "knee.L"),
    "foot.L": ("shank.L", "ankle.L"), "toes.L": ("foot.L", "mtp.L"),
    "thigh.R": ("pelvis", "hip.R"), "shank.R": ("thigh.R", "knee.R"),
    "foot.R": ("shank.R", "ankle.R"), "toes.R": ("foot.R", "mtp.R"),
    "upperarm.L": ("chest", "shoulder.L"), "forearm.L": ("upperarm.L", "elbow.L"),
    "hand.L": ("forearm.L", "wrist.L"),
    "upperarm.R": ("chest", "shoulder.R"), "forearm.R": ("upperarm.R", "elbow.R"),
    "hand.R": ("forearm.R", "wrist.R"),
}
TRUNK = ("pelvis", "abdomen", "chest", "neck", "head")


def rot_x(deg: float | np.ndarray) -> np.ndarray:
    """Rotation about +x (the person's left). Positive turns +y (up) toward +z (forward).

    Accepts a scalar or an array of shape (n,) -> (3, 3) or (n, 3, 3).
    """
    a = np.radians(np.asarray(deg, float))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    m = np.array([[o, z, z], [z, c, -s], [z, s, c]])
    return np.moveaxis(m, (0, 1), (-2, -1))


def rot_y(deg: float | np.ndarray) -> np.ndarray:
    """Rotation about +y (up). Positive turns +z toward +x."""
    a = np.radians(np.asarray(deg, float))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    m = np.array([[c, z, s], [z, o, z], [-s, z, c]])
    return np.moveaxis(m, (0, 1), (-2, -1))


def _align(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Smallest rotation (3x3) taking direction ``u`` onto direction ``v``."""
    u = u / np.linalg.norm(u)
    v = v / np.linalg.norm(v)
    axis = np.cross(u, v)
    s, c = np.linalg.norm(axis), float(np.dot(u, v))
    if s < 1e-12:
        return np.eye(3)
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


@dataclass(frozen=True)
class BodyShape:
    """Body shape knobs (MakeHuman macro targets, young adult).

    gender: 0 = female .. 1 = male; muscle: 0.5 = average .. 1 = maximal;
    weight: 0 = minimal .. 0.5 = average .. 1 = maximal; stature_m: standing height
    (sole to top of head) in metres -- the mesh is scaled uniformly to it.
    """

    gender: float = 1.0
    muscle: float = 0.8
    weight: float = 0.3
    stature_m: float = 1.80


@lru_cache(maxsize=1)
def load_assets(path: str = str(ASSET_PATH)) -> dict:
    """Load ``body.npz`` into a plain dict of numpy arrays (cached)."""
    with np.load(path, allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def _macro_weights(shape: BodyShape) -> dict[str, float]:
    g = float(np.clip(shape.gender, 0, 1))
    m = float(np.clip(shape.muscle, 0.5, 1))
    w = float(np.clip(shape.weight, 0, 1))
    h = float(np.clip((shape.stature_m - 1.45) / 0.55, 0, 1))
    gw = {"female": 1 - g, "male": g}
    mw = {"averagemuscle": (1 - m) * 2, "maxmuscle": (m - 0.5) * 2}
    ww = ({"minweight": (0.5 - w) * 2, "averageweight": w * 2} if w < 0.5
          else {"averageweight": (1 - w) * 2, "maxweight": (w - 0.5) * 2})
    hw = {"minheight": (0.5 - h) * 2} if h < 0.5 else {"maxheight": (h - 0.5) * 2}
    out: dict[str, float] = {}
    for gn, a in gw.items():
        out[f"race-{gn}-young"] = a
        for mn, b in mw.items():
            for wn, c in ww.items():
                out[f"universal-{gn}-young-{mn}-{wn}"] = a * b * c
                for hn, e in hw.items():
                    out[f"height-{gn}-young-{mn}-{wn}-{hn}"] = a * b * c * e
    return {k: v for k, v in out.items() if v > 1e-6}


class Body:
    """A shaped body in its corrected neutral stance, ready to pose.

    Attributes (S = number of segments, V = vertices):
        seg_names: list of S segment names (:data:`SEGMENT_TREE` order).
        parent: (S,) int, -1 for the root.
        pivot_A: (S, 3) proximal joint of each segment in the source A-pose (metres).
        pivot_N: (S, 3) the same joint in the neutral stance (sole at y = 0).
        C: (S, 3, 3) correction rotation A-pose -> neutral for each segment.
        verts_A: (V, 3) A-pose vertices (shaped, scaled, translated so that neutral sole y=0).
        markers_N: dict name -> (segment index, (3,) neutral position) for rigid
            landmark points: ``heel.L/R`` (back-bottom of the heel, on the foot),
            ``toe.L/R`` (tip of the toes, on the toes segment).
        lengths: dict of neutral segment lengths (m): thigh, shank, foot (ankle->MTP),
            trunk (hip mid -> shoulder mid), upperarm, forearm.
    """

    def __init__(self, shape: BodyShape = BodyShape()):
        a = load_assets()
        self.shape = shape
        V = a["verts"].shape[0]
        stacked = np.concatenate([a["verts"], a["joints"]]).astype(np.float64)
        names = list(a["target_names"])
        for tname, wt in _macro_weights(shape).items():
            k = names.index(tname)
            stacked[a[f"t{k}_idx"]] += wt * a[f"t{k}_d"].astype(np.float64)
        verts, joints = stacked[:V], stacked[V:]
        jn = list(a["joint_names"])

        def J(n: str) -> np.ndarray:
            return joints[jn.index(n)]

        jpos = {"spine4": J("joint-spine-4"), "spine2": J("joint-spine-2"),
                "neck": J("joint-neck"), "head": J("joint-head")}
        for s, c in (("L", "l"), ("R", "r")):
            jpos[f"hip.{s}"] = J(f"joint-{c}-upper-leg")
            jpos[f"knee.{s}"] = J(f"joint-{c}-knee")
            jpos[f"ankle.{s}"] = J(f"joint-{c}-ankle")
            jpos[f"mtp.{s}"] = np.mean([J(f"joint-{c}-toe-{t}-1") for t in range(1, 6)], 0)
            jpos[f"shoulder.{s}"] = J(f"joint-{c}-shoulder")
            jpos[f"elbow.{s}"] = J(f"joint-{c}-elbow")
            jpos[f"wrist.{s}"] = J(f"joint-{c}-hand")
            jpos[f"knuckle.{s}"] = J(f"joint-{c}-finger-3-1")
        jpos["root"] = 0.5 * (jpos["hip.L"] + jpos["hip.R"])

        # uniform scale to about the requested stature (made exact after the correction)
        body_v = verts[~a["is_eye"]]
        scale = shape.stature_m / (body_v[:, 1].max() - body_v[:, 1].min())
        verts = verts * scale
        jpos = {k: v * scale for k, v in jpos.items()}

        seg_names = list(SEGMENT_TREE)
        S = len(seg_names)
        parent = np.array([seg_names.index(p) if p else -1 for p, _ in SEGMENT_TREE.values()])
        pivot_A = np.array([jpos[j] for _, j in SEGMENT_TREE.values()])

        # --- correction rotations (global) A-pose -> neutral ------------------------
        C = np.tile(np.eye(3), (S, 1, 1))
        sh_mid = 0.5 * (jpos["shoulder.L"] + jpos["shoulder.R"])
        d = sh_mid - jpos["root"]
        trunk_corr = rot_x(-np.degrees(np.arctan2(d[2], d[1])))
        for n in TRUNK:
            C[seg_names.index(n)] = trunk_corr
        down = np.array([0.0, -1.0, 0.0])
        for s in ("L", "R"):
            C[seg_names.index(f"thigh.{s}")] = _align(jpos[f"knee.{s}"] - jpos[f"hip.{s}"], down)
            C[seg_names.index(f"shank.{s}")] = _align(jpos[f"ankle.{s}"] - jpos[f"knee.{s}"], down)
            f = jpos[f"mtp.{s}"] - jpos[f"ankle.{s}"]
            yaw = rot_y(-np.degrees(np.arctan2(f[0], f[2])))
            C[seg_names.index(f"foot.{s}")] = yaw
            C[seg_names.index(f"toes.{s}")] = yaw
            sgn = 1.0 if s == "L" else -1.0
            ab = np.radians(ARM_ABDUCTION_DEG)
            arm_dir = np.array([sgn * np.sin(ab), -np.cos(ab), 0.0])
            C[seg_names.index(f"upperarm.{s}")] = _align(jpos[f"elbow.{s}"] - jpos[f"shoulder.{s}"], arm_dir)
            C[seg_names.index(f"forearm.{s}")] = _align(jpos[f"wrist.{s}"] - jpos[f"elbow.{s}"], arm_dir)
            C[seg_names.index(f"hand.{s}")] = _align(jpos[f"knuckle.{s}"] - jpos[f"wrist.{s}"], arm_dir)

        # neutral pivots by walking the tree (parents precede children in SEGMENT_TREE)
        pivot_N = np.zeros((S, 3))
        pivot_N[0] = pivot_A[0]
        for i in range(1, S):
            p = parent[i]
            pivot_N[i] = pivot_N[p] + C[p] @ (pivot_A[i] - pivot_A[p])

        self.seg_names, self.parent, self.C = seg_names, parent, C
        self.pivot_A, self.pivot_N = pivot_A, pivot_N
        self.verts_A = verts
        self.skin_idx = a["skin_idx"].astype(np.int64)
        self.skin_w = a["skin_w"].astype(np.float64)
        self.faces, self.face_uv, self.uvs = a["faces"], a["face_uv"], a["uvs"]
        self.is_eye, self.texture = a["is_eye"], a["texture"]

        # neutral mesh, ground at y = 0
        vN = self.skin(np.tile(np.eye(3), (S, 1, 1)), pivot_N)
        feet = np.isin(self.skin_idx[:, 0], [self.si(f"{p}.{s}") for p in ("foot", "toes") for s in "LR"])
        ground = vN[feet, 1].min()
        lift = np.array([0.0, -ground, 0.0])
        self.verts_A = self.verts_A + lift
        self.pivot_A = self.pivot_A + lift
        self.pivot_N = self.pivot_N + lift
        vN = vN + lift
        # exact stature in the neutral stance (straightening the legs changed it a little);
        # everything is rotations about scaled points, so a uniform rescale is exact
        ratio = shape.stature_m / vN[~self.is_eye, 1].max()
        self.verts_A, self.pivot_A, self.pivot_N = self.verts_A * ratio, self.pivot_A * ratio, self.pivot_N * ratio
        vN = vN * ratio
        self.verts_N = vN

        self.markers_N: dict[str, tuple[int, np.ndarray]] = {}
        for s in ("L", "R"):
            fi, ti = self.si(f"foot.{s}"), self.si(f"toes.{s}")
            wfoot = self.skin_w[:, 0] * (self.skin_idx[:, 0] == fi)
            low = (wfoot > 0.6) & (vN[:, 1] < 0.025)
            cand = np.nonzero(low)[0]
            heel = cand[np.argmin(vN[cand, 2])]
            wtoe = self.skin_w[:, 0] * (self.skin_idx[:, 0] == ti)
            cand = np.nonzero(wtoe > 0.6)[0]
            toe = cand[np.argmax(vN[cand, 2])]
            self.markers_N[f"heel.{s}"] = (fi, vN[heel].copy())
            self.markers_N[f"toe.{s}"] = (ti, vN[toe].copy())

        def L(a_: str, b_: str) -> float:
            return float(np.linalg.norm(self.pivot_N[self.si(b_)] - self.pivot_N[self.si(a_)]))

        pn = self.pivot_N
        sh = 0.5 * (pn[self.si("upperarm.L")] + pn[self.si("upperarm.R")])
        self.lengths = {
            "thigh": L("thigh.L", "shank.L"), "shank": L("shank.L", "foot.L"),
            "foot": L("foot.L", "toes.L"), "trunk": float(sh[1] - pn[0, 1]),
            "upperarm": L("upperarm.L", "forearm.L"), "forearm": L("forearm.L", "hand.L"),
        }

    def si(self, name: str) -> int:
        """Index of a segment by name."""
        return self.seg_names.index(name)

    def fk(self, Q: np.ndarray, root: np.ndarray) -> np.ndarray:
        """Posed pivots.

        Args:
            Q: (S, 3, 3) or (n, S, 3, 3) global segment rotations (neutral -> posed).
            root: (3,) or (n, 3) posed position of the root (hip-centre midpoint).
        Returns:
            (S, 3) or (n, S, 3) posed proximal-joint positions.
        """
        Q = np.asarray(Q, float)
        root = np.asarray(root, float)
        P = np.zeros(Q.shape[:-2] + (3,))
        P[..., 0, :] = root
        for i in range(1, len(self.seg_names)):
            p = self.parent[i]
            off = self.pivot_N[i] - self.pivot_N[p]
            P[..., i, :] = P[..., p, :] + Q[..., p, :, :] @ off
        return P

    def marker(self, name: str, Q: np.ndarray, P: np.ndarray) -> np.ndarray:
        """Posed position (..., 3) of a rigid marker (see ``markers_N``)."""
        s, m = self.markers_N[name]
        return P[..., s, :] + Q[..., s, :, :] @ (m - self.pivot_N[s])

    def skin_matrices(self, Q: np.ndarray, P: np.ndarray) -> np.ndarray:
        """(S, 3, 4) linear-blend-skinning matrices mapping A-pose vertices to the pose."""
        R = Q @ self.C
        t = P - np.einsum("sij,sj->si", R, self.pivot_A)
        return np.concatenate([R, t[:, :, None]], axis=2)

    def skin(self, Q: np.ndarray, P: np.ndarray) -> np.ndarray:
        """(V, 3) posed vertices by linear blend skinning (one pose, body frame)."""
        M = self.skin_matrices(Q, P)
        Mb = np.einsum("vk,vkij->vij", self.skin_w, M[self.skin_idx])
        return np.einsum("vij,vj->vi", Mb[:, :, :3], self.verts_A) + Mb[:, :, 3]
