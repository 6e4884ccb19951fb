"""``posecheck analyze`` end to end on the committed synthetic sample clips (default pose
mode; the last test compares it with ``--model full``).

The clips' ground truth (``sample_videos/*.json``, made by ``tools/synth``) gives the exact
image-plane knee and hip angles with posecheck's conventions. Measured with the full model
(MAE / bias in degrees, posecheck minus truth; docs/metrics.md has every model and clip):

===============================  ============  ============  ============  ============
                                 front L       front R       back L        back R
===============================  ============  ============  ============  ============
knee, raw MediaPipe              13.6 / −5.5   13.9 / −10.4  13.1 / −10.7  10.4 / −2.1
knee, posecheck (angles.csv)     11.8 / −9.0   11.1 / −7.0   10.8 / −9.6    6.0 / −3.5
hip, raw MediaPipe               14.3 / −4.8   15.2 / −13.7  15.8 / −5.0   14.3 / −13.8
hip, posecheck (angles.csv)      10.3 / −9.5   10.8 / −9.1   11.5 / −11.5   8.0 / −7.3
===============================  ============  ============  ============  ============

MediaPipe swaps the legs in 7–10 % of these frames (repaired by stride periodicity) and its
keypoints are not joint centres, hence the negative bias. The bounds — MAE ≤ 13.5° per
series (about 15 % above the worst measured, so a MediaPipe build difference does not fail
them), correlation with the truth ≥ 0.5, and posecheck at least 2° better than raw
MediaPipe on average — fail on any convention error (a sign flip of hip flexion, swapped
left/right columns, a wrong running direction give MAE ≥ 30° or a negative correlation) and
on a regression of the leg-swap repair or the filtering.
"""

import csv
import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from posecheck.config import DEFAULT_MODEL, POSE_MODES, PoseConfig

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ["front_side_60fps", "back_kick_60fps"]
MAE_BOUND_DEG = 13.5
MIN_CORRELATION = 0.5
#: angles.csv vs its raw columns, mean over joints and legs: MediaPipe alone gains >= 2°
#: (the table above: 3.3° and 4.3°); the fused mode's raw keypoints are already closer (measured
#: gain 1.0-1.5°, docs/metrics.md §8b), so it must still gain, by less. Followed by the
#: landmark network (the default, unsmoothed keypoints nearer the truth still) the measured
#: gain is 2.3° on front_side and 0.3° on back_kick (hips +1.0°, knees -0.4°: the 10 Hz
#: filter trims the back kick's sharp knee peak a little, docs/metrics.md §8d): the
#: conditioning must not make the angles worse on average.
if POSE_MODES[DEFAULT_MODEL][1] is None:
    MIN_GAIN_OVER_RAW_DEG = 2.0
else:
    MIN_GAIN_OVER_RAW_DEG = 0.0 if PoseConfig().landmark_net else 0.5


@pytest.fixture(scope="module", params=CLIPS)
def run(request, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp(name) / "out dir"
    proc = subprocess.run(
        [sys.executable, "-m", "posecheck.cli", "analyze", str(ROOT / "sample_videos" / f"{name}.mp4"),
         "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    truth = json.loads((ROOT / "sample_videos" / f"{name}.json").read_text())
    return name, out, proc, truth


def _angles(out: Path) -> dict[str, np.ndarray]:
    with open(out / "angles.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    text = {"left_phase", "right_phase"}  # contact / swing labels
    return {k: np.array([float(r[k]) if r[k] != "" else np.nan for r in rows])
            for k in rows[0] if k not in text}


def test_writes_all_four_outputs_and_says_so(run):
    _name, out, proc, _truth = run
    for f in ("angles.csv", "landmarks.csv", "annotated.mp4", "report.json"):
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    assert not list(out.glob("*.part*")) and not list(out.glob(".*.part"))
    assert "athlete found in 100%" in proc.stdout or "athlete found in 9" in proc.stdout


def test_angles_csv_contract(run):
    _name, out, _proc, truth = run
    with open(out / "angles.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header[:7] == ["frame", "time_s", "detected", "left_knee_flexion_deg",
                          "right_knee_flexion_deg", "left_hip_flexion_deg", "right_hip_flexion_deg"]
    a = _angles(out)
    assert len(a["frame"]) == truth["n_frames"]
    np.testing.assert_array_equal(a["frame"], np.arange(truth["n_frames"]))
    np.testing.assert_allclose(a["time_s"], truth["frames"]["time"], atol=1e-4)
    # the camera's motion (the background's displacement since the first frame): the
    # sample's camera pans to follow the runner, so the background moves against him
    assert header[-2:] == ["camera_dx_px", "camera_dy_px"]
    with open(out / "angles.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    dx = np.array([float(r["camera_dx_px"]) for r in rows])
    assert dx[0] == 0.0 and np.all(np.isfinite(dx))
    direction = 1 if truth["direction"] in (1, "ltr") else -1
    assert -direction * dx[-1] > 100.0, dx[-1]


def test_landmarks_csv_contract(run):
    _name, out, _proc, _truth = run
    with open(out / "landmarks.csv", newline="") as f:
        reader = csv.reader(f)
        assert next(reader) == ["frame", "time_s", "landmark", "name", "x_px", "y_px", "z", "visibility"]
        first = [next(reader) for _ in range(33)]
    assert [int(r[2]) for r in first] == list(range(33))
    assert first[0][3] == "nose" and first[32][3] == "right_foot_index"
    assert all(0 <= float(r[4]) <= 1280 and 0 <= float(r[5]) <= 720 for r in first[11:29])


def test_report_json(run):
    _name, out, _proc, truth = run
    rep = json.loads((out / "report.json").read_text())
    inp = rep["input"]
    assert (inp["width"], inp["height"], inp["frame_count"]) == (truth["width"], truth["height"], truth["n_frames"])
    assert inp["fps"] == pytest.approx(truth["fps"]) and inp["rotation_deg"] == 0
    assert inp["slowmo_factor"] == 1.0 and inp["capture_fps"] is None
    assert inp["duration_s"] == pytest.approx(truth["n_frames"] / truth["fps"], abs=0.02)
    assert rep["model"] == DEFAULT_MODEL
    assert rep["detection_rate"] >= 0.95
    assert rep["running_direction"] == ("left_to_right" if truth["direction"] > 0 else "right_to_left")
    assert isinstance(rep["warnings"], list)


def test_annotated_video_is_browser_playable_h264(run):
    _name, out, _proc, truth = run
    path = out / "annotated.mp4"
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert s.codec_context.pix_fmt == "yuv420p"
        assert (s.width, s.height) == (truth["width"], truth["height"])
        n = sum(1 for _ in c.decode(s))
    assert n == truth["n_frames"]
    head = path.read_bytes()[:1 << 20]
    assert 0 <= head.find(b"moov") < head.find(b"mdat")  # +faststart


@pytest.mark.parametrize("joint", ["knee_flexion", "hip_flexion"])
def test_angles_against_ground_truth(run, joint):
    name, out, _proc, truth = run
    a = _angles(out)
    gt = np.asarray(truth["frames"]["angles_2d"][joint], dtype=float)
    for j, side in enumerate(("left", "right")):
        got = a[f"{side}_{joint}_deg"]
        ok = np.isfinite(got)
        assert ok.mean() >= 0.95, f"{name} {side} {joint}: only {ok.mean():.0%} of frames"
        mae = np.mean(np.abs(got[ok] - gt[ok, j]))
        r = np.corrcoef(got[ok], gt[ok, j])[0, 1]
        assert mae <= MAE_BOUND_DEG, f"{name} {side} {joint}: MAE {mae:.1f}°"
        assert r >= MIN_CORRELATION, f"{name} {side} {joint}: r = {r:.2f}"


def test_repair_and_filtering_beat_raw_mediapipe(run):
    """angles.csv (swap repair + filtering) is closer to the truth than the raw columns
    (the default mode's raw keypoints)."""
    name, out, _proc, truth = run
    a = _angles(out)
    gains = []
    for joint in ("knee_flexion", "hip_flexion"):
        gt = np.asarray(truth["frames"]["angles_2d"][joint], dtype=float)
        for j, side in enumerate(("left", "right")):
            best, raw = a[f"{side}_{joint}_deg"], a[f"{side}_{joint}_raw_deg"]
            ok = np.isfinite(best) & np.isfinite(raw)
            gains.append(np.mean(np.abs(raw[ok] - gt[ok, j])) - np.mean(np.abs(best[ok] - gt[ok, j])))
    assert np.mean(gains) >= MIN_GAIN_OVER_RAW_DEG, f"{name}: mean gain {np.mean(gains):.1f}°"


def test_cli_prints_the_verdict_and_cues(run):
    name, _out, proc, _truth = run
    expected = {"front_side_60fps": "FRONT-SIDE", "back_kick_60fps": "BACK-SIDE"}[name]
    assert f"style: {expected} style" in proc.stdout and "phase: maximum velocity" in proc.stdout
    assert ("  fix " if expected == "BACK-SIDE" else "  good ") in proc.stdout


@pytest.mark.parametrize("run", [CLIPS[1]], indirect=True)
def test_default_mode_runs_movenet_on_the_crop_and_beats_mediapipe_alone(run):
    """The default mode fuses MoveNet (on the athlete's crop) with MediaPipe, and its
    angles.csv is closer to the truth than ``--model full`` (MediaPipe alone) on this clip:
    knee and hip flexion MAE averaged over both legs (measured, docs/metrics.md §8b, both
    legs of both samples: knee 7.8 → 4.2°, hip 7.9 → 5.3°)."""
    from posecheck import analyze_video
    from posecheck.config import Config, OutputConfig, PoseConfig

    name, out, _proc, truth = run
    assert POSE_MODES[DEFAULT_MODEL][1] is not None  # the default runs MoveNet
    rep = json.loads((out / "report.json").read_text())
    assert rep["model"] == DEFAULT_MODEL
    fused = _angles(out)
    alone = analyze_video(ROOT / "sample_videos" / f"{name}.mp4",
                          Config(pose=PoseConfig(model="full"), output=OutputConfig(video=False)))
    assert alone.pose.model == "full"
    for joint, est in (("knee_flexion", alone.angles.knee_flexion),
                       ("hip_flexion", alone.angles.hip_flexion)):
        gt = np.asarray(truth["frames"]["angles_2d"][joint], dtype=float)
        maes = {}
        for label, cols in (("fused", np.column_stack([fused[f"left_{joint}_deg"],
                                                       fused[f"right_{joint}_deg"]])),
                            ("full", est)):
            ok = np.isfinite(cols) & np.isfinite(gt)
            maes[label] = float(np.mean(np.abs(cols[ok] - gt[ok])))
        assert maes["fused"] < maes["full"], f"{name} {joint}: {maes}"
