"""Hard footage: every case of the corpus is analysed (with warnings) or refused with one line.

The corpus is generated here, small and deterministic: bad files with ``clipfactory`` (PyAV),
runners with the synthetic sprinter (``tests/synthclips.py``, exact ground truth). See
docs/hard_footage.md for the policy behind each expectation.
"""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from clipfactory import make_audio_only, make_clip, truncate
from posecheck.pose.tracking import Detection, Track, search_tiles, to_detection
from posecheck.pose.choice import ATHLETE_RULES, choose_track
from posecheck.config import Config, PoseConfig
from posecheck.errors import NoPersonDetected, OutputError, UnreadableVideo, UnsupportedVideo
from posecheck.report.outdir import safe_filename, safe_stem, staged_output
from posecheck.pipeline import analyze_video
import synthclips
from cli_helpers import one_line_error, run_cli

W, H = 1280, 720


# ------------------------------------------------------------------ shared synthetic clips
@pytest.fixture(scope="module")
def far(tmp_path_factory):
    """A runner ~160 px tall in 1280x720 (static camera, default 14 m), 36 frames at 30 fps:
    frames, ground truth, the encoded clip and a faststart copy (for truncation)."""
    d = tmp_path_factory.mktemp("far")
    p = synthclips.SprintParams(seconds=1.2, fps=30, width=W, height=H,
                                camera=synthclips.CameraParams(mode="static"))
    frames, gt = [], None
    for rgb, _a, gt in synthclips.render_layers(p):
        frames.append(rgb)
    clip = make_clip(d / "far runner.mp4", frames, fps=30)
    fast = make_clip(d / "far_faststart.mp4", frames, fps=30, faststart=True)
    return {"frames": frames, "gt": gt, "clip": clip, "faststart": fast, "dir": d}


def fully_in_view(gt, width=W, height=H, dx=0.0) -> np.ndarray:
    pts = gt.payload["frames"]["points_px"]
    xy = np.stack([np.asarray(v) for v in pts.values()], axis=1) + np.array([dx, 0.0])
    return np.all((xy[..., 0] > 0) & (xy[..., 0] < width) & (xy[..., 1] > 0) & (xy[..., 1] < height), axis=1)


def hip_error(pose, truth_hip_mid) -> np.ndarray:
    mid = (pose.xy[:, 23] + pose.xy[:, 24]) / 2
    return np.linalg.norm(mid - truth_hip_mid, axis=1)


# ------------------------------------------------------------------ far-away athlete
def test_far_away_runner_found_in_nearly_every_frame(far):
    gt = far["gt"]
    height_px = np.ptp(np.stack([np.asarray(v)[:, 1] for v in gt.payload["frames"]["points_px"].values()]), axis=0)
    assert 130 < np.median(height_px) < 200  # the hard case: ~a fifth of the frame height
    a = analyze_video(far["clip"])
    view = fully_in_view(gt)
    assert view.sum() >= 30
    det = a.pose.detected
    assert det[view].mean() >= 0.95, det.astype(int)
    err = hip_error(a.pose, synthclips.hip_mid_px(gt))
    # landmarks are mapped back to full-frame pixels: hips within a few pixels of the truth
    assert np.nanmedian(err[det]) < 12, np.nanmedian(err[det])
    assert np.isfinite(a.pose.z[det]).all()


def test_far_away_runner_is_missed_without_roi_search(far):
    """The clip really is the hard case: the whole-frame detector alone misses the runner."""
    cfg = Config(pose=PoseConfig(roi_search=False))
    with pytest.raises(NoPersonDetected):
        analyze_video(far["clip"], cfg)


# ------------------------------------------------------------------ several people
@pytest.fixture(scope="module")
def two(tmp_path_factory):
    d = tmp_path_factory.mktemp("two")
    gt_a, gt_b, dy = synthclips.two_runners(d / "two runners.mp4")
    return {"clip": d / "two runners.mp4", "A": synthclips.hip_mid_px(gt_a),
            "B": synthclips.hip_mid_px(gt_b, 0, dy)}


@pytest.mark.parametrize("rule, who", [("auto", "B"), ("largest", "B"), ("top", "A"), ("bottom", "B")])
def test_two_runners_one_athlete_for_the_whole_clip(two, rule, who):
    a = analyze_video(two["clip"], Config(pose=PoseConfig(athlete=rule)))
    other = "A" if who == "B" else "B"
    det = a.pose.detected
    assert det.mean() >= 0.9
    near_who = hip_error(a.pose, two[who]) < 40
    near_other = hip_error(a.pose, two[other]) < 40
    assert near_who[det].mean() >= 0.9
    assert not near_other.any()  # never a frame of the other runner
    assert any("2 people were found" in w for w in a.warnings), a.warnings


def test_cli_athlete_option_and_report(two, tmp_path):
    out = tmp_path / "res"
    proc = run_cli("analyze", two["clip"], "--athlete", "top", "--no-video", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "--athlete top" in proc.stdout
    bad = run_cli("analyze", two["clip"], "--athlete", "tallest")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def _track(tid, xs, y, h, n0=0):
    tr = Track(tid=tid, center=np.zeros(2), size=h, last_row=0, last_time=0.0)
    for k, x in enumerate(xs):
        xy = np.column_stack([np.linspace(x - h / 4, x + h / 4, 33), np.linspace(y - h / 2, y + h / 2, 33)])
        det = Detection(xy=xy, z=np.zeros(33), visibility=np.ones(33), presence=np.ones(33), world=np.zeros((33, 3)))
        tr.add(n0 + k, (n0 + k) / 30, det, 1.0)
    return tr


def test_choose_track_rules():
    runner = _track(0, np.linspace(100, 900, 40), 300, 150)        # long, moving right
    near = _track(1, np.linspace(100, 700, 30), 500, 220)          # bigger but shorter track
    walker = _track(2, np.linspace(900, 300, 40), 200, 160)        # walks back the other way
    ts = [runner, near, walker]
    assert choose_track(ts, "auto") is near            # 30 x 220 > 40 x 150
    assert choose_track([runner, walker], "auto") is runner  # against the travel: a quarter
    assert choose_track(ts, "longest") in (runner, walker)
    assert choose_track(ts, "largest") is near
    assert choose_track(ts, "top") is walker and choose_track(ts, "bottom") is near
    assert choose_track(ts, "leftmost") is near
    assert choose_track([], "auto") is None
    with pytest.raises(ValueError):
        choose_track(ts, "tallest")
    assert set(ATHLETE_RULES) >= {"auto", "largest", "top"}
    with pytest.raises(ValueError):
        PoseConfig(athlete="nope")


def test_roi_mapping_and_tiles():
    raw = np.zeros((33, 8))
    raw[:, 0], raw[:, 1], raw[:, 2] = 0.5, 0.25, 0.1
    d = to_detection(raw, 100, 50, 400, 200, scale=0.5)  # crop of an image at half size
    np.testing.assert_allclose(d.xy[0], [(100 + 200) / 0.5, (50 + 50) / 0.5])
    np.testing.assert_allclose(d.z[0], 0.1 * 400 / 0.5)
    tiles = search_tiles(1280, 720)
    assert all(x + s <= 1280 and y + s <= 720 for x, y, s, _ in tiles)
    covered = np.zeros((720, 1280), bool)
    for x, y, s, _ in tiles:
        covered[y:y + s, x:x + s] = True
    assert covered.all() and len(tiles) <= 30
    assert search_tiles(320, 240) == []  # too small to zoom into


# ------------------------------------------------------------------ person leaves the frame
def test_person_who_leaves_midway(far, tmp_path):
    half = [np.ascontiguousarray(f[:, :640]) for f in far["frames"]]
    clip = make_clip(tmp_path / "leaves.mp4", half, fps=30)
    a = analyze_video(clip)
    view = fully_in_view(far["gt"], width=640)
    gone = ~np.any(np.stack([np.asarray(v)[:, 0] < 640 for v in far["gt"].payload["frames"]["points_px"].values()]), axis=0)
    assert view.sum() >= 10 and gone.sum() >= 10
    assert a.pose.detected[view].mean() >= 0.9
    assert not a.pose.detected[gone].any()
    assert any("found in only" in w for w in a.warnings), a.warnings


# ------------------------------------------------------------------ formats that must work
@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_phone_clips(far, tmp_path, rotation):
    frames = far["frames"][10:16]
    clip = make_clip(tmp_path / f"rot{rotation}.mp4", frames, fps=30, rotation=rotation)
    a = analyze_video(clip)
    assert (a.video.width, a.video.height) == (W, H) and a.video.rotation_deg == rotation
    err = hip_error(a.pose, synthclips.hip_mid_px(far["gt"])[10:16])
    assert a.pose.detected.mean() >= 5 / 6 and np.nanmedian(err) < 15


def test_ten_bit_hevc(far, tmp_path):
    small = [cv2.resize(f, (960, 540), interpolation=cv2.INTER_AREA) for f in far["frames"][8:14]]
    clip = make_clip(tmp_path / "hevc10.mp4", small, fps=30, codec="libx265", pix_fmt="yuv420p10le")
    a = analyze_video(clip)
    assert a.video.codec == "hevc" and "10" in a.video.pix_fmt
    assert a.pose.detected.mean() >= 5 / 6


def test_vfr_with_half_second_gap(far, tmp_path):
    t = [i / 30 for i in range(6)] + [5 / 30 + 0.5 + i / 30 for i in range(6)]
    clip = make_clip(tmp_path / "vfr.mp4", far["frames"][:12], pts_seconds=t)
    a = analyze_video(clip)
    assert a.video.variable_frame_rate
    np.testing.assert_allclose(a.times, t, atol=1e-4)
    assert a.pose.detected.mean() >= 0.8


def test_240_fps(far, tmp_path):
    clip = make_clip(tmp_path / "fast.mp4", far["frames"][:12], fps=240)
    a = analyze_video(clip)
    assert abs(a.video.fps - 240) < 0.5 and a.pose.n_frames == 12
    assert np.allclose(np.diff(a.times), 1 / 240, atol=1e-4)
    assert a.pose.detected.mean() >= 0.8


def test_truncated_clip_analyses_readable_part_and_warns(far, tmp_path):
    # the first (key) frame is most of this small clip's bytes: keep it and some more
    cut = truncate(far["faststart"], tmp_path / "cut.mp4", 0.85)
    a = analyze_video(cut)
    assert 3 <= a.pose.n_frames < 36
    assert any("could be read" in w for w in a.warnings), a.warnings
    assert a.pose.detected.mean() >= 0.8
    # cut inside the first frame: nothing decodable, a clear refusal
    with pytest.raises(UnreadableVideo, match="damaged"):
        analyze_video(truncate(far["faststart"], tmp_path / "cut early.mp4", 0.2))


def test_eight_k_is_downscaled_for_inference(far, tmp_path):
    """A real 8K file (3 frames): analysed at bounded memory, landmarks in 8K pixels."""
    frames = (cv2.resize(far["frames"][i], (7680, 4320), interpolation=cv2.INTER_LINEAR) for i in (18, 19, 20))
    clip = make_clip(tmp_path / "eight k.mp4", frames, fps=30, codec_options={"preset": "ultrafast"})
    a = analyze_video(clip)
    assert (a.video.width, a.video.height) == (7680, 4320)
    assert a.pose.detected.all()
    err = hip_error(a.pose, synthclips.hip_mid_px(far["gt"])[18:21] * 6)
    assert np.max(err) < 6 * 15


def test_three_frames_are_analysed(far, tmp_path):
    clip = make_clip(tmp_path / "three.mp4", far["frames"][18:21], fps=30)
    a = analyze_video(clip)
    assert a.pose.n_frames == 3 and a.pose.detected.any()


# ------------------------------------------------------------------ inputs that must be refused
def _png_as_mp4(path):
    ok, buf = cv2.imencode(".png", np.full((64, 96, 3), 90, np.uint8))
    path.write_bytes(buf.tobytes())
    return path


@pytest.mark.parametrize("case, exc, needle", [
    ("random", UnreadableVideo, "not a video"),
    ("empty", UnreadableVideo, "empty"),
    ("audio", UnreadableVideo, "no video stream"),
    ("still", UnsupportedVideo, "still image"),
    ("one_frame", UnsupportedVideo, "one frame"),
    ("1x1", UnsupportedVideo, "1x1 pixels"),
    ("2x2", UnsupportedVideo, "2x2 pixels"),
    ("too_big", UnsupportedVideo, "larger than 8K"),
    ("folder", UnreadableVideo, "folder"),
    ("missing", UnreadableVideo, "does not exist"),
    ("no_person", NoPersonDetected, "no person"),
])
def test_refused_with_specific_one_line_error(tmp_path, case, exc, needle):
    p = tmp_path / f"{case} clip.mp4"
    if case == "random":
        p.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    elif case == "empty":
        p.write_bytes(b"")
    elif case == "audio":
        make_audio_only(p)
    elif case == "still":
        _png_as_mp4(p)
    elif case == "one_frame":
        make_clip(p, [np.full((64, 96, 3), 80, np.uint8)])
    elif case == "1x1":
        make_clip(p, [np.zeros((1, 1, 3), np.uint8)] * 4, pix_fmt="yuv444p")
    elif case == "2x2":
        make_clip(p, [np.zeros((2, 2, 3), np.uint8)] * 4)
    elif case == "too_big":
        make_clip(p, [np.zeros((64, 8200, 3), np.uint8)] * 3)
    elif case == "folder":
        p.mkdir()
    elif case == "no_person":
        make_clip(p, [np.full((360, 640, 3), (40 + i, 120, 60), np.uint8) for i in range(8)])
    with pytest.raises(exc) as info:
        analyze_video(p, Config(pose=PoseConfig(model="lite")))
    msg = str(info.value)
    assert needle in msg and "\n" not in msg and len(msg) < 200


def test_cli_refusals_are_one_line(tmp_path):
    still = _png_as_mp4(tmp_path / "photo.mp4")
    one_line_error(run_cli("analyze", still), "still image")
    one_line_error(run_cli("analyze", tmp_path / "nope.mp4"), "does not exist")
    assert not list(tmp_path.glob("*_posecheck"))


# ------------------------------------------------------------------ names and outputs
def test_non_ascii_name_with_spaces_end_to_end(far, tmp_path):
    clip = make_clip(tmp_path / "Sprint Zoé 100 m – été.mp4", far["frames"][14:22], fps=30)
    proc = run_cli("analyze", clip, "--model", "lite")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "Sprint Zoé 100 m – été_posecheck"
    names = {p.name for p in out.iterdir()}
    assert {"angles.csv", "annotated.mp4", "landmarks.csv", "report.json"} <= names
    assert not any(n.endswith(".part") or ".part." in n for n in names)
    assert not [p for p in tmp_path.iterdir() if "posecheck-tmp" in p.name]
    # existing output folder: refused without --force, old results untouched
    (out / "notes.txt").write_text("coach's notes")
    before = (out / "report.json").read_bytes()
    one_line_error(run_cli("analyze", clip, "--model", "lite"), "already exists", "--force")
    assert (out / "report.json").read_bytes() == before
    # --force replaces posecheck's files (a run without video removes the stale video) and
    # leaves other files alone
    proc = run_cli("analyze", clip, "--model", "lite", "--force", "--no-video")
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert "annotated.mp4" not in names and {"angles.csv", "notes.txt", "report.json"} <= names
    assert (out / "notes.txt").read_text() == "coach's notes"


def test_unwritable_output_dir_is_refused_before_analysis(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    clip = make_clip(tmp_path / "c.mp4", [np.full((64, 96, 3), 80, np.uint8)] * 4)
    one_line_error(run_cli("analyze", clip, "--out", blocker / "sub"), "cannot write")
    one_line_error(run_cli("analyze", clip, "--out", blocker), "is a file")


def test_staged_output_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "results"
    with pytest.raises(RuntimeError):
        with staged_output(out) as stage:
            (stage / "angles.csv").write_text("half")
            (stage / "annotated.mp4").write_bytes(b"\0" * 10)
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    # an existing folder keeps its previous results when a forced run fails
    out.mkdir()
    (out / "report.json").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with staged_output(out, force=True) as stage:
            (stage / "report.json").write_text("new, half")
            raise KeyboardInterrupt
    assert (out / "report.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    with pytest.raises(OutputError):
        with staged_output(out):
            pass
    with staged_output(out, force=True) as stage:
        (stage / "report.json").write_text("new")
    assert (out / "report.json").read_text() == "new"


@pytest.mark.parametrize("name, expected, stem", [
    ("../../etc/passwd", "passwd", "passwd"),
    ("..", "clip", "clip"),
    ("", "clip", "clip"),
    ("C:\\Users\\x\\run.mp4", "run.mp4", "run"),
    (".hidden.mp4", "hidden.mp4", "hidden"),
    ("a\x00b<>|?.mp4", "a_b____.mp4", "a_b"),
    ("CON.mp4", "_CON.mp4", "_CON"),
    ("Zoé 100 m.MOV", "Zoé 100 m.MOV", "Zo_100_m"),
    ("Track day 1.mp4", "Track day 1.mp4", "Track_day_1"),
    ("my clip..mp4", "my clip.mp4", "my_clip"),
    ("a.b.c.mp4", "a.b.c.mp4", "a.b.c"),
    ("\ufb01le.mp4", "file.mp4", "file"),  # NFKC: the "fi" ligature becomes ASCII "fi"
    ("名前.mp4", "名前.mp4", "clip"),
])
def test_safe_filename_and_stem(name, expected, stem):
    assert safe_filename(name) == expected
    assert safe_stem(name) == stem


def test_safe_filename_never_escapes(tmp_path):
    for name in ("../x", "/abs/y", "a/../../z", "....", " . ", "x" * 500 + ".mp4"):
        s = safe_filename(name)
        p = (tmp_path / s).resolve()
        assert p.parent == tmp_path.resolve() and s not in (".", "..") and len(s) <= 100
    assert len(safe_filename("x" * 500)) == 100  # the cap is max_len, also without extension


def test_safe_stem_is_short_ascii_and_never_escapes(tmp_path):
    for name in ("../x y.mp4", "/abs/y", "....", " . ", "._-_.", "é" * 50 + ".mp4",
                 "x" * 500 + ".mp4", "a b" * 40):
        s = safe_stem(name)
        assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*", s) and len(s) <= 60, (name, s)
        assert (tmp_path / s).resolve().parent == tmp_path.resolve()
        assert len(safe_stem(name, 30)) <= 30
