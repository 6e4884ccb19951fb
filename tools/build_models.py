#!/usr/bin/env python3
"""Rebuild posecheck's pose models reproducibly from the ``@mediapipe/pose`` npm package.

Usage:
    python tools/build_models.py                 # lite + full into posecheck/pose/model_files/, runs `npm pack`
    python tools/build_models.py --from pose.tgz # use an already downloaded tarball
    python tools/build_models.py --variants heavy

Writes ``posecheck/pose/model_files/pose_landmarker_<variant>.task`` and checks each against the SHA-256 sums in
``posecheck.pose.models.MODEL_SHA256`` (also listed in ``posecheck/pose/model_files/SHA256SUMS``). See
``posecheck/pose/_model_build.py`` for what the build does and ``posecheck/pose/model_files/NOTICE`` for the licence.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from posecheck.pose import _model_build  # noqa: E402
from posecheck.pose.models import MODEL_SHA256, file_sha256  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="tarball", type=Path, help="local @mediapipe/pose .tgz")
    ap.add_argument("--variants", nargs="+", default=["lite", "full"], choices=_model_build.VARIANTS)
    ap.add_argument("--out", type=Path, default=ROOT / "posecheck" / "pose" / "model_files")
    args = ap.parse_args(argv)
    ok = True
    for path in _model_build.build_into(args.out, tuple(args.variants), args.tarball):
        variant = path.stem.removeprefix("pose_landmarker_")
        got = file_sha256(path)
        match = got == MODEL_SHA256[variant]
        ok &= match
        print(f"{path}  {got}  {'OK' if match else 'MISMATCH (expected ' + MODEL_SHA256[variant] + ')'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
