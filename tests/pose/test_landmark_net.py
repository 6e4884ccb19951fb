"""MediaPipe's landmark network run directly (ONNX Runtime, no segmentation head): committed
files, agreement with TensorFlow Lite, region-of-interest geometry, heatmap refinement,
following a runner, the tracker using it, input checks.

The reference landmarks in ``tests/pose/data/landmark_net_reference.json`` were computed by
TensorFlow Lite from the ``.tflite`` inside the committed ``.task`` when
``tools/build_landmark_net.py`` built the ONNX files: another implementation than the one
tested here (ONNX Runtime on the committed, float16-stored, cut file)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck.pose import models
from posecheck.pose.landmark_net import (
    INPUT_SIZE, LandmarkNet, NetFollower, Roi, _sigmoid, refine_on_heatmap, roi_from_aux,
    roi_from_pose, shared_net, warp_input,
)
from posecheck.types import N_LANDMARKS

DATA = Path(__file__).resolve().parent / "data"
SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
REFERENCE = json.loads((DATA / "landmark_net_reference.json").read_text())
#: ONNX Runtime vs TFLite on the reference crops, input pixels: ~4e-4 at build time; the
#: margin allows another ONNX Runtime version.
TOL_PX = 0.02
MAX_FILE_BYTES = 20 * 1024 * 1024


def _rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module", params=["full", "lite"])
def net(request) -> tuple[str, LandmarkNet]:
    return request.param, shared_net(models.resolve_landmark_net(request.param))


def test_committed_network_files_match_checksums_sums_file_notice_and_size_limit():
    model_dir = models.package_model_dir()
    sums = dict(line.split()[::-1] for line in (model_dir / "SHA256SUMS").read_text().splitlines())
    for variant, sha in models.LANDMARK_NET_SHA256.items():
        path = models.resolve_landmark_net(variant)
        assert path == model_dir / f"pose_landmarks_{variant}.onnx"
        assert sums[path.name] == sha
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        assert path.stat().st_size <= MAX_FILE_BYTES
    notice = (model_dir / "NOTICE").read_text()
    assert "pose_landmarks_full.onnx" in notice and "segmentation" in notice
    with pytest.raises(ValueError, match="heavy"):
        models.resolve_landmark_net("heavy")


def test_network_matches_tflite_on_the_reference_crops(net):
    variant, lnet = net
    ref = REFERENCE["variants"][variant]
    for name, want, flag in zip(ref["crops"], ref["tflite_landmarks"], ref["tflite_flag"]):
        x = (_rgb(DATA / name).astype(np.float32) / 255.0)[None]
        lm, got_flag, _hm, _world = lnet._session.run(lnet._outputs, {"input_1": x})
        lm = lm.reshape(39, 5)
        want = np.asarray(want)
        assert np.abs(lm[:, :2] - want[:, :2]).max() < TOL_PX
        assert np.abs(lm[:, 3:] - want[:, 3:]).max() < 1e-2  # logits
        assert abs(float(np.ravel(got_flag)[0]) - flag) < 1e-3
        assert flag > 0.9  # a runner fills each crop


def _loop_refine(uv, hm):
    """Plain per-landmark reference of the heatmap refinement (MediaPipe's rule)."""
    out = np.array(uv, float)
    for k in range(len(out)):
        c, r = int(np.floor(out[k, 0] / 4)), int(np.floor(out[k, 1] / 4))
        if not (0 <= c < 64 and 0 <= r < 64):
            continue
        r0, r1, c0, c1 = max(0, r - 3), min(64, r + 4), max(0, c - 3), min(64, c + 4)
        conf = _sigmoid(hm[r0:r1, c0:c1, k].astype(float))
        if conf.max() >= 0.5 and conf.sum() > 0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            out[k, 0] = (cols * conf).sum() / conf.sum() * 4
            out[k, 1] = (rows * conf).sum() / conf.sum() * 4
    return out


def test_heatmap_refinement_matches_a_plain_loop_edges_and_outside_included():
    rng = np.random.default_rng(3)
    for _ in range(30):
        uv = rng.uniform(-20, INPUT_SIZE + 20, (39, 2))  # some outside the input
        uv[0] = (1.0, 1.0)  # a window cut by the heatmap's corner
        hm = rng.normal(-1.0, 3.0, (64, 64, 39)).astype(np.float32)
        got = refine_on_heatmap(uv, hm)
        assert np.allclose(got, _loop_refine(uv, hm))
    # a confident blob moves the landmark to its centroid; an unconfident one does not
    hm = np.full((64, 64, 2), -10.0, np.float32)
    hm[30:33, 40:43, 0] = 5.0
    got = refine_on_heatmap(np.array([[41 * 4 + 2.0, 31 * 4 + 2.0], [100.0, 100.0]]), hm)
    assert np.allclose(got[0], [41 * 4, 31 * 4]) and np.allclose(got[1], [100.0, 100.0])


def test_roi_geometry_upright_leaning_and_round_trip():
    xy = np.full((N_LANDMARKS, 2), np.nan)
    xy[[23, 24]] = [[500, 400], [510, 400]]
    xy[[11, 12]] = [[500, 300], [510, 300]]
    xy[0] = (505, 250)
    xy[[27, 28]] = [[480, 560], [530, 560]]
    roi = roi_from_pose(xy)
    assert roi.rotation == pytest.approx(0.0, abs=1e-9)
    assert (roi.cx, roi.cy) == pytest.approx((505, 400))
    reach = math.hypot(25, 160)  # the farthest landmark: a foot
    assert roi.side == pytest.approx(2 * 1.25 * reach)
    # leaning forward to the right by 30 degrees: the up axis turns clockwise on the image
    a = math.radians(30)
    lean = roi_from_aux(np.array([[0.0, 0.0], [math.sin(a) * 100, -math.cos(a) * 100]]))
    assert lean.rotation == pytest.approx(a) and lean.side == pytest.approx(250)
    # the warp puts the ROI's centre at the input's centre and its up axis up
    img = np.zeros((600, 800, 3), np.uint8)
    cv2.circle(img, (300, 200), 6, (255, 255, 255), -1)  # 80 px "above" (along the lean) the centre
    r = Roi(300 - math.sin(a) * 80, 200 + math.cos(a) * 80, 256, a)
    x = warp_input(img, r)[0, :, :, 0]
    v, u = np.unravel_index(np.argmax(cv2.GaussianBlur(x, (9, 9), 0)), x.shape)
    assert abs(u - 128) <= 1 and abs(v - (128 - 80)) <= 1
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0


def _frames(clip: str, indices: list[int]) -> dict[int, np.ndarray]:
    import av

    out = {}
    with av.open(str(SAMPLES / f"{clip}.mp4")) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i in indices:
                out[i] = f.to_ndarray(format="rgb24")
            if i >= max(indices):
                break
    return out


def test_follower_tracks_the_sample_runner_within_a_few_pixels_of_the_truth(net):
    """Seeded once from the truth's pose (a rough start), the follower carries its own ROI
    over 60 frames of the panning sample; its hips, knees and ankles stay near the truth."""
    variant, lnet = net
    truth = json.loads((SAMPLES / "front_side_60fps.json").read_text())
    pts = truth["frames"]["points_px"]
    frames = _frames("front_side_60fps", list(range(60, 120)))
    seed = np.full((N_LANDMARKS, 2), np.nan)
    for k, name in ((23, "hip.L"), (24, "hip.R"), (11, "shoulder.L"), (12, "shoulder.R"),
                    (27, "ankle.L"), (28, "ankle.R")):
        seed[k] = pts[name][60]
    follower = NetFollower(lnet)
    assert follower.seed(seed)
    errors = []
    for i in range(60, 120):
        poses = follower.detect(frames[i], int(round(i * 1000 / truth["fps"])))
        assert poses, f"lost on frame {i}"
        h, w = frames[i].shape[:2]
        xy = poses[0][:, :2] * (w, h)
        assert poses[0].shape == (N_LANDMARKS, 8) and np.isfinite(poses[0]).all()
        truth_xy = np.array([pts[n][i] for n in ("hip.L", "hip.R", "knee.L", "knee.R", "ankle.L", "ankle.R")])
        got = xy[[23, 24, 25, 26, 27, 28]]
        # legs may be labelled either way round (posecheck's leg identity repairs that)
        straight = np.linalg.norm(got - truth_xy, axis=1)
        crossed = np.linalg.norm(got[[1, 0, 3, 2, 5, 4]] - truth_xy, axis=1)
        errors.append(min(np.median(straight), np.median(crossed)))
    assert np.median(errors) < (12 if variant == "full" else 15)
    assert lnet.calls >= 60


def test_follower_reports_nobody_on_a_blank_frame_and_needs_a_new_seed():
    lnet = shared_net(models.resolve_landmark_net("full"))
    follower = NetFollower(lnet)
    assert follower.detect(np.zeros((360, 640, 3), np.uint8)) == []  # not seeded
    follower.roi = Roi(320, 180, 200, 0.0)
    assert follower.detect(np.zeros((360, 640, 3), np.uint8)) == []
    assert follower.roi is None


def test_input_checks():
    lnet = shared_net(models.resolve_landmark_net("full"))
    with pytest.raises(ValueError, match="uint8"):
        lnet.run(np.zeros((10, 10, 3), np.float32), Roi(5, 5, 20, 0))
    with pytest.raises(ValueError, match="region of interest"):
        lnet.run(np.zeros((10, 10, 3), np.uint8), Roi(5, 5, 2, 0))
    with pytest.raises(ValueError, match="region of interest"):
        lnet.run(np.zeros((10, 10, 3), np.uint8), Roi(float("nan"), 5, 50, 0))
    with pytest.raises(ValueError, match="shape"):
        roi_from_pose(np.zeros((17, 2)))


def test_one_euro_smooths_a_still_value_and_follows_a_fast_one():
    from posecheck.pose.landmark_net import LANDMARK_FILTER, OneEuro

    rng = np.random.default_rng(0)
    still, moving = OneEuro(*LANDMARK_FILTER), OneEuro(*LANDMARK_FILTER)
    out_still, out_moving, truth = [], [], []
    for i in range(240):  # 1 s at 240 fps, object 100 px
        t = i / 240
        out_still.append(still(np.array([50.0 + rng.normal(0, 1.0)]), t, 100.0)[0])
        x = 1000.0 * t  # 10 object sizes per second
        truth.append(x)
        out_moving.append(moving(np.array([x + rng.normal(0, 1.0)]), t, 100.0)[0])
    assert np.std(out_still[60:]) < 0.6  # about half of a 1-px jitter removed
    lag = np.mean(np.array(truth[60:]) - np.array(out_moving[60:]))
    assert abs(lag) < 3.0  # a fast value is followed within a few pixels
    # a time that does not increase starts the filter afresh
    f = OneEuro(*LANDMARK_FILTER)
    f(np.array([0.0]), 1.0, 10.0)
    assert f(np.array([5.0]), 1.0, 10.0)[0] == 5.0


def _track_sample(net, frames: int = 40, video_factory=None, close: bool = True):
    from posecheck.config import PoseConfig
    from posecheck.pose.landmarker import _factory
    from posecheck.pose.tracking import AthleteTracker
    from posecheck.video.reader import iter_frames

    cfg = PoseConfig(model="full")
    path = models.resolve_model("full")
    clip = SAMPLES / "front_side_60fps.mp4"
    tracker = None
    with iter_frames(clip, stop=frames) as reader:
        for row, (_idx, t, rgb) in enumerate(reader):
            if tracker is None:
                video = _factory(cfg, path, True, False)
                tracker = AthleteTracker((rgb.shape[1], rgb.shape[0]),
                                         video if video_factory is None else video_factory(video),
                                         _factory(cfg, path, False, False), net=net)
            tracker.process(row, t, int(round(t * 1000)) + row, rgb)
    if close:
        tracker.close()
    return tracker


def test_tracker_follows_the_athlete_with_the_network_and_mediapipe_only_to_start():
    truth = json.loads((SAMPLES / "front_side_60fps.json").read_text())
    hips = (np.array(truth["frames"]["points_px"]["hip.L"]) + np.array(truth["frames"]["points_px"]["hip.R"])) / 2
    tracker = _track_sample(shared_net(models.resolve_landmark_net("full")), close=False)
    assert tracker.stats["net_calls"] >= 35 and tracker.stats["net_misses"] == 0
    assert tracker.stats["roi_calls"] <= 2  # MediaPipe's VIDEO landmarker: at most the start
    best = max(tracker.tracks, key=lambda tr: len(tr.rows))
    assert len(best.rows) == 40
    # the athlete's track keeps its own (idle) MediaPipe landmarker for a miss: not handed
    # to the pool that parallel chunks share (whichever spare a miss got then varied by run)
    assert best.landmarker is not None
    tracker.close()
    mid = np.array([(d[23, :2] + d[24, :2]) / 2 for d in best.dets])
    assert np.median(np.linalg.norm(mid - hips[best.rows], axis=1)) < 10
    # the athlete's sequence says its landmarks are unsmoothed (the event timing uses it),
    # and says smoothed when MediaPipe's VIDEO landmarker made them
    from posecheck.config import PoseConfig
    from posecheck.pose.landmarker import sequence_from_tracks

    times = np.arange(40) / 60.0
    for on in (True, False):
        seq = sequence_from_tracks(tracker.tracks, times, (960, 540),
                                   PoseConfig(model="full", landmark_net=on))
        assert seq.smoothed is (not on)
        assert np.isfinite(seq.xy[best.rows, 23]).all()
    # heavy has no network: its landmarks stay smoothed with landmark_net on
    seq = sequence_from_tracks(tracker.tracks, times, (960, 540),
                               PoseConfig(model="heavy", landmark_net=True))
    assert seq.smoothed is True


class _BlindNet:
    """A network that never finds anyone (its flag is 0)."""

    calls = 0

    def run(self, rgb, roi):
        from posecheck.pose.landmark_net import NetResult

        self.calls += 1
        z = np.zeros(N_LANDMARKS)
        return NetResult(xy=np.zeros((N_LANDMARKS, 2)), z=z, visibility=z, presence=z,
                         world=np.zeros((N_LANDMARKS, 3)), aux=np.zeros((2, 2)), flag=0.0)


def test_a_network_that_misses_hands_frames_to_mediapipe_and_backs_off():
    blind = _BlindNet()
    tracker = _track_sample(blind)
    best = max(tracker.tracks, key=lambda tr: len(tr.rows))
    assert len(best.rows) == 40  # MediaPipe's landmarker kept the athlete on every frame
    assert tracker.stats["roi_calls"] >= 38
    assert 3 <= blind.calls <= 8  # tried after 1, 2, 4, 8, 16 ... frames, not on every frame


class _GoneBlind:
    """A MediaPipe VIDEO landmarker that stops finding anyone after ``after`` calls."""

    def __init__(self, inner, counter: list, after: int):
        self.inner, self.counter, self.after = inner, counter, after

    def detect(self, rgb, ms):
        self.counter[0] += 1
        return self.inner.detect(rgb, ms) if self.counter[0] <= self.after else []

    def close(self):
        self.inner.close()


def test_a_track_whose_landmarker_finds_nobody_is_rescued_by_the_network(monkeypatch):
    """The network's usual following is switched off (every frame goes to MediaPipe's
    path) and MediaPipe's landmarker goes blind after 10 calls: the network's one-off try
    on each such frame (``net_track.net_rescue``) keeps the athlete on every frame."""
    from posecheck.pose import net_track

    monkeypatch.setattr(net_track, "net_update", lambda *a, **k: False)
    counter = [0]
    tracker = _track_sample(shared_net(models.resolve_landmark_net("full")),
                            video_factory=lambda make: lambda: _GoneBlind(make(), counter, 10))
    best = max(tracker.tracks, key=lambda tr: len(tr.rows))
    assert len(best.rows) == 40
    assert tracker.stats["net_rescues"] >= 25
    assert tracker.stats["net_calls"] == 0


def test_two_runs_in_one_process_give_the_same_landmarks():
    """The default path (network, two workers) is repeatable: a second analysis in the same
    process, where the shared pool holds the first one's spare MediaPipe landmarkers, gives
    the same landmarks (a track handing its landmarker back to that pool on every network
    frame made rows 104+ of the sample differ between the first and later runs)."""
    from posecheck import analyze_video
    from posecheck.config import Config, PoseConfig

    cfg = Config(pose=PoseConfig(model="fused", workers=2))
    first, second = (analyze_video(SAMPLES / "front_side_60fps.mp4", cfg).pose for _ in range(2))
    assert first.smoothed is False
    np.testing.assert_array_equal(first.xy, second.xy)
