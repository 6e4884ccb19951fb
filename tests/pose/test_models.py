"""Offline pose models: reproducible build, checksum verification, clear errors."""

import hashlib
import shutil
import zipfile

import pytest

from posecheck.pose import _model_build
from posecheck.pose import models
from posecheck.cli import main
from posecheck.errors import ModelMissing



def test_committed_models_match_known_checksums_and_sums_file():
    sums = dict(line.split()[::-1] for line in (models.package_model_dir() / "SHA256SUMS").read_text().splitlines())
    for variant, sha in models.MODEL_SHA256.items():
        assert sums[f"pose_landmarker_{variant}.task"] == sha
    for variant in ("lite", "full"):
        path = models.resolve_model(variant)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == models.MODEL_SHA256[variant]


def test_task_bundle_layout():
    with zipfile.ZipFile(models.resolve_model("full")) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        assert set(infos) == {"pose_detector.tflite", "pose_landmarks_detector.tflite"}
        for info in infos.values():
            assert info.compress_type == zipfile.ZIP_STORED
            data_offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert data_offset % 64 == 0  # aligned for zero-copy mmap
            assert zf.read(info.filename)[4:8] == b"TFL3"  # a TFLite flatbuffer


@pytest.mark.parametrize("variant", ["lite", "full"])
def test_build_reproduces_committed_model_byte_for_byte(npm_pose_tarball, variant):
    built = _model_build.build_task_bytes(npm_pose_tarball, variant)
    assert hashlib.sha256(built).hexdigest() == models.MODEL_SHA256[variant]


def test_committed_models_carry_normalisation_metadata():
    """Image input normalised with mean 0 / std 255; 2 detector and 5 landmark outputs."""
    import json
    _model_build._install_version_shim()
    from mediapipe.tasks.python.metadata import metadata

    expected_outputs = {"pose_detector.tflite": 2, "pose_landmarks_detector.tflite": 5}
    with zipfile.ZipFile(models.resolve_model("lite")) as zf:
        for member, n_out in expected_outputs.items():
            md = json.loads(metadata.MetadataDisplayer.with_model_buffer(zf.read(member)).get_metadata_json())
            sub = md["subgraph_metadata"][0]
            unit = sub["input_tensor_metadata"][0]["process_units"][0]
            assert unit["options_type"] == "NormalizationOptions"
            assert unit["options"] == {"mean": [0.0], "std": [255.0]}
            assert len(sub["output_tensor_metadata"]) == n_out
            assert md["min_parser_version"] == _model_build.MIN_PARSER_VERSION


def test_fetch_builds_heavy_from_tarball_and_verifies(npm_pose_tarball, tmp_path):
    path = models.fetch_model("heavy", tmp_path, npm_pose_tarball)
    assert models.resolve_model("heavy", tmp_path) == path
    # a second fetch is a no-op on a valid file
    mtime = path.stat().st_mtime_ns
    assert models.fetch_model("heavy", tmp_path, npm_pose_tarball) == path
    assert path.stat().st_mtime_ns == mtime


def test_corrupt_model_is_a_one_line_error_naming_the_fix(tmp_path):
    shutil.copy(models.resolve_model("lite"), tmp_path / "pose_landmarker_lite.task")
    with open(tmp_path / "pose_landmarker_lite.task", "r+b") as f:
        f.seek(1000)
        f.write(b"\x00garbage\x00")
    with pytest.raises(ModelMissing) as err:
        models.resolve_model("lite", tmp_path)
    msg = str(err.value)
    assert "corrupt" in msg and "posecheck models fetch lite" in msg and "\n" not in msg


def test_missing_model_names_the_fix(tmp_path):
    with pytest.raises(ModelMissing, match="posecheck models fetch heavy"):
        models.resolve_model("heavy", tmp_path)


def test_wrong_source_package_is_refused(tmp_path):
    import io
    import tarfile
    bad = tmp_path / "bad.tgz"
    with tarfile.open(bad, "w:gz") as tar:
        for name in (_model_build.DETECTOR_MEMBER, "package/pose_landmark_lite.tflite"):
            info = tarfile.TarInfo(name)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"abcd"))
    with pytest.raises(ValueError, match="sha256"):
        _model_build.build_task_bytes(bad, "lite")
    with pytest.raises(ModelMissing, match="could not build"):
        models.fetch_model("lite", tmp_path / "out", bad, force=True)
    assert not (tmp_path / "out" / "pose_landmarker_lite.task").exists()


def test_cli_models_fetch_error_is_one_line(tmp_path, capsys):
    rc = main(["models", "fetch", "heavy", "--from", str(tmp_path / "nope.tgz"), "--dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("posecheck: error:") and err.count("\n") == 1


def test_precise_mode_without_heavy_is_a_one_line_error_naming_the_fix(tmp_path, capsys,
                                                                       monkeypatch):
    """``precise`` tracks with MediaPipe heavy, which is built on request, not shipped: the
    CLI says so in one line and writes nothing."""
    from pathlib import Path

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no heavy fetched there
    monkeypatch.delenv("POSECHECK_MODEL_DIR", raising=False)
    sample = Path(__file__).resolve().parents[2] / "sample_videos" / "front_side_60fps.mp4"
    out = tmp_path / "out"
    code = main(["analyze", str(sample), "--model", "precise", "--out", str(out),
                 "--no-video"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "posecheck models fetch heavy" in err[0], err
    assert not out.exists()
