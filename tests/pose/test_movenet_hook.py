"""MoveNet inside the pose pass (posecheck.pose.movenet_hook, posecheck.pose.refine.estimate_fused).

The fused modes run MoveNet on the possible athletes' crops while the pose pass has the frame
decoded, carry the keypoints with the tracks through chunk stitching and fuse the chosen
athlete's: these tests check that the keypoints are exactly MoveNet's on the athlete's crop
of that frame, that the clip is decoded once, that keypoints survive stitching in the chunk
that owns each frame, and that frames the hook missed are still run.
"""

from __future__ import annotations

from dataclasses import replace
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from posecheck.config import PoseConfig
from posecheck.pose import movenet_hook, parallel, refine
from posecheck.pose.fusion import body_boxes, fuse_pose
from posecheck.pose.movenet_hook import CropHook, CropSpec, track_keypoints
from posecheck.pose.tracking import Track
from posecheck.video import reader as video_reader

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_videos" / "front_side_60fps.mp4"
CHECK_FRAMES = (3, 61, 118, 176)  # both chunks of the two-worker run (split near 98)


def _run_fused(monkeypatch, cfg: PoseConfig):
    """estimate_fused on the sample, recording every decode (start, stop), every pose chunk
    (lead, stop) and the MediaPipe pose + hook keypoints handed to the fusion."""
    decodes, chunks, seen = [], [], {}
    real_iter, real_chunk, real_estimate = (video_reader.iter_frames, parallel._pose_chunk,
                                            refine.estimate_video)

    def iter_frames(path, *a, **k):
        decodes.append((k.get("start", 0), k.get("stop")))
        return real_iter(path, *a, **k)

    def pose_chunk(path, info, cfg, model, lead, start, stop, ctx, **k):
        chunks.append((lead, stop))
        return real_chunk(path, info, cfg, model, lead, start, stop, ctx, **k)

    def estimate_video(*a, **k):
        seen["pose"] = real_estimate(*a, **k)
        seen["keypoints"] = k["keypoints"][-1].copy()
        return seen["pose"]

    monkeypatch.setattr(video_reader, "iter_frames", iter_frames)
    monkeypatch.setattr(parallel, "_pose_chunk", pose_chunk)
    monkeypatch.setattr(refine, "estimate_video", estimate_video)
    info = video_reader.probe(SAMPLE)
    fused = refine.estimate_fused(SAMPLE, info, cfg)
    monkeypatch.undo()
    return fused, seen["pose"], seen["keypoints"], decodes, chunks


def _direct(frames, pose, variant="lightning"):
    """MoveNet run directly on the athlete's crop of each of ``frames`` (a fresh decode)."""
    from posecheck.pose.movenet import MoveNet

    net = MoveNet(variant, threads=1)
    boxes = body_boxes(pose.xy)
    out = {}
    with video_reader.iter_frames(SAMPLE) as reader:
        for idx, _t, rgb in reader:
            if idx in frames:
                out[idx] = net.infer_box(rgb, boxes[idx])[0]
    return out


@pytest.fixture(scope="module")
def fused_run():
    with pytest.MonkeyPatch.context() as mp:
        return _run_fused(mp, PoseConfig(model="fused", workers=2))


def test_hook_keypoints_and_fusion_equal_movenet_on_the_same_crops(fused_run):
    fused, pose, kp, _decodes, _chunks = fused_run
    assert fused.model == "fused" and pose.model == "full"
    assert np.isfinite(kp[pose.detected, 0, 0]).all()  # every frame with the athlete ran
    direct = _direct(set(CHECK_FRAMES), pose)
    expected_kp = np.full_like(kp, np.nan)
    for i, k in direct.items():
        np.testing.assert_allclose(kp[i], k, rtol=0, atol=1e-6)
        expected_kp[i] = k
    expected = fuse_pose(pose, expected_kp, model="fused")  # row by row: same fused rows
    rows = list(CHECK_FRAMES)
    np.testing.assert_allclose(fused.xy[rows], expected.xy[rows], rtol=0, atol=1e-6)
    assert not np.allclose(fused.xy[rows], pose.xy[rows])  # MoveNet moved the joints


def test_fused_analysis_decodes_the_clip_once(fused_run):
    fused, _pose, _kp, decodes, chunks = fused_run
    assert len(chunks) == 2  # two workers, no chunk run again
    # one decode per pose chunk and nothing else: no second pass over the clip
    assert sorted(decodes) == sorted(chunks)
    assert sum(stop - start for start, stop in decodes) < 1.2 * fused.n_frames


def test_frames_the_hook_missed_are_run_from_the_clip(monkeypatch, fused_run):
    fused_all, pose_all, kp_all, _d, _c = fused_run
    hook = CropHook.__call__

    def skipping(self, tracker, row, index, rgb, repeated):  # as if light on 30-39
        if not 30 <= index < 40:
            hook(self, tracker, row, index, rgb, repeated)

    monkeypatch.setattr(CropHook, "__call__", skipping)
    fused, pose, kp, decodes, chunks = _run_fused(monkeypatch, PoseConfig(model="fused", workers=2))
    assert np.isnan(kp[30:40]).all() and np.isfinite(kp[pose.detected & (np.arange(180) >= 40), 0, 0]).all()
    assert len(decodes) == len(chunks) + 1 and (30, 40) in decodes  # only the missed frames
    np.testing.assert_array_equal(pose.xy, pose_all.xy)  # the same MediaPipe pass
    np.testing.assert_allclose(fused.xy, fused_all.xy, rtol=0, atol=1e-6, equal_nan=True)


class _FakeNet:
    """``cut`` / ``infer_cut`` stand-in for MoveNetRunner: keypoints = the box's corner,
    score 1; records the boxes."""

    def __init__(self):
        self.boxes = []

    def cut(self, rgb, box):
        self.boxes.append(np.asarray(box))
        return None, tuple(box)

    def infer_cut(self, image, crop):
        kp = np.zeros((17, 3))
        kp[:, 0], kp[:, 1], kp[:, 2] = crop[0], crop[1], 1.0
        return kp


def _track(tid, rows, full=True, nan_last=False):
    tr = Track(tid=tid, center=np.zeros(2), size=1.0, last_row=rows[-1], last_time=0.0)
    tr.rows = list(rows)
    det = np.zeros((33, 9), np.float32)
    det[:, 0] = np.linspace(10 * tid, 10 * tid + 50, 33)
    det[:, 1] = np.linspace(100, 300, 33)
    if nan_last:
        det[:] = np.nan
    tr.dets = [det] * len(rows)
    tr.full = full
    return tr


def test_crop_hook_runs_on_full_tracks_found_on_the_frame_and_on_the_stride_grid():
    net = _FakeNet()
    runner = movenet_hook.MoveNetRunner("lightning", net=net)
    hook = CropHook(CropSpec("lightning", stride=2, last_index=7), runner)
    athlete, light, lost, gap = (_track(1, [4]), _track(2, [4], full=False), _track(3, [3]),
                                 _track(4, [4], nan_last=True))
    tracker = SimpleNamespace(tracks=[athlete, light, lost, gap])
    hook(tracker, 4, 4, None, False)
    assert hook.calls == 1 and len(net.boxes) == 1  # only the full track with landmarks
    np.testing.assert_allclose(net.boxes[0], [10, 100, 60, 300])  # its landmarks' box
    athlete.rows.append(5)
    hook(tracker, 5, 5, None, False)  # off the grid
    athlete.rows.append(6)
    hook(tracker, 6, 6, None, False)
    athlete.rows.append(7)
    hook(tracker, 7, 7, None, True)  # the clip's last frame (off grid), a repeat of 6
    assert hook.calls == 2  # frame 7 reused frame 6's keypoints
    kp = track_keypoints(athlete)
    assert np.isfinite(kp[[0, 2, 3], 0, 0]).all() and np.isnan(kp[1]).all()
    np.testing.assert_array_equal(kp[3], kp[2])
    assert light.movenet == {} and gap.movenet == {}  # light and gap tracks: not run
    lead_in = CropHook(CropSpec("lightning"), runner, start=5)  # a chunk owning frames 5...
    lead_in(SimpleNamespace(tracks=[_track(5, [4])]), 4, 4, None, False)
    assert lead_in.calls == 0 and len(net.boxes) == 2  # its lead-in frame 4 is not run
    runner.shutdown()


class _SlowNet:
    """``cut`` / ``infer_cut`` stand-in for MoveNetRunner: keypoints = the box's corner after
    ``gate`` opens; counts the runs in progress at most."""

    def __init__(self):
        self.gate, self.lock = threading.Event(), threading.Lock()
        self.running = self.most = 0

    def cut(self, rgb, box):
        if box[2] <= box[0]:
            raise ValueError("degenerate box")
        return np.zeros((4, 4, 3), np.uint8), tuple(box)

    def infer_cut(self, image, crop):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.gate.wait(5)
        with self.lock:
            self.running -= 1
        kp = np.zeros((17, 3))
        kp[:, 0], kp[:, 1], kp[:, 2] = crop[0], crop[1], 1.0
        return kp


def test_runner_queues_crops_and_the_track_waits_for_its_keypoints():
    net = _SlowNet()
    with movenet_hook.MoveNetRunner("lightning", threads=2, net=net, max_pending=3) as runner:
        hook = CropHook(CropSpec("lightning"), runner)
        athlete = _track(1, [0])
        tracker = SimpleNamespace(tracks=[athlete])
        for row in range(3):  # the hook returns at once: the pose thread goes on
            if row:
                athlete.rows.append(row)
            hook(tracker, row, row, None, False)
        assert hook.calls == 3 and all(not f.done() for f in athlete.movenet.values())
        # a fourth crop waits for a free slot (max_pending=3) instead of piling up
        athlete.rows.append(3)
        fourth = threading.Thread(target=hook, args=(tracker, 3, 3, None, False))
        fourth.start()
        fourth.join(0.3)
        assert fourth.is_alive() and 3 not in athlete.movenet
        net.gate.set()
        fourth.join(5)
        assert not fourth.is_alive()
        kp = track_keypoints(athlete)  # waits for the queued runs
    assert np.isfinite(kp).all() and net.most == 2  # two threads of its own
    np.testing.assert_allclose(kp[:, 0, :2], [[10, 100]] * 4)  # the landmarks' box corner
    with pytest.raises(ValueError):  # a degenerate box: raised at once, nothing queued
        movenet_hook.MoveNetRunner("lightning", net=net).submit(None, (5, 5, 5, 9))
    with pytest.raises(ValueError):
        movenet_hook.MoveNetRunner("lightning", threads=0)


def test_runner_keypoints_equal_infer_box():
    from posecheck.pose.movenet import MoveNet

    net = MoveNet("lightning", threads=1)
    frame = np.random.default_rng(3).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    boxes = [(100, 50, 220, 330), (400.5, 20.2, 470.9, 300.1)]
    with movenet_hook.MoveNetRunner("lightning", threads=2, net=net) as runner:
        futures = [runner.submit(frame, b) for b in boxes]
        got = [f.result() for f in futures]
    for b, kp in zip(boxes, got):
        np.testing.assert_array_equal(kp, net.infer_box(frame, b)[0])


def _piece(index, chunk):
    index = np.asarray(index)
    xs = 100 + 2.0 * index
    dets = np.zeros((len(index), 33, 9), np.float32)
    dets[:, :, 0] = xs[:, None] + np.linspace(-25, 25, 33)
    dets[:, :, 1] = 200 + np.linspace(-50, 50, 33)
    kp = np.zeros((len(index), 17, 3))
    kp[:, :, 0] = 1000 * chunk + index[:, None]  # which chunk ran MoveNet on which frame
    kp[index % 10 == 9] = np.nan  # frames the hook did not run
    return {"index": index, "dets": dets, "centers": np.column_stack([xs, np.full(len(xs), 200.0)]),
            "heights": np.full(len(index), 100.0), "times": index / 30.0, "movenet": kp}


def test_stitched_track_keeps_each_chunk_own_frames_keypoints():
    plan = [(0, 0, 50), (40, 50, 100)]
    chunks = [{"index": np.arange(a, b), "times": np.arange(a, b) / 30.0, "size": (640, 480),
               "complete": True, "repeated": np.zeros(b - a, bool),
               "tracks": [_piece(range(a, b), k)]} for k, (a, _s, b) in enumerate(plan)]
    _index, _times, tracks, _rep = parallel.stitch(chunks, plan)
    assert len(tracks) == 1 and tracks[0].rows == list(range(100))
    kp = track_keypoints(tracks[0])
    rows = np.arange(100)
    ran = rows % 10 != 9
    want = np.where(rows < 50, rows, 1000 + rows)  # the lead-in's (chunk 1 on 40-49) unused
    np.testing.assert_array_equal(kp[ran, 0, 0], want[ran])
    assert np.isnan(kp[~ran]).all()
    athlete = movenet_hook.athlete_keypoints(tracks[0], 120)
    assert athlete.shape == (120, 17, 3) and np.isnan(athlete[100:]).all()


def test_crop_spec_and_stride():
    assert refine.stride_for_fps(60.0) == 1 and refine.stride_for_fps(240.0) == 3
    assert refine.stride_for_fps(float("nan")) == 1
    spec = CropSpec("thunder", stride=3, last_index=10)
    assert [i for i in range(11) if spec.on_grid(i)] == [0, 3, 6, 9, 10]
    with pytest.raises(ValueError):
        CropSpec("lightning", stride=0)
    assert refine._spans(np.isin(np.arange(100), [3, 4, 5, 20, 80]), 30) == [(3, 21), (80, 81)]
    assert replace(spec, stride=1).on_grid(7)


def test_one_shared_session_per_variant_and_a_failed_creation_is_tried_again(monkeypatch):
    from posecheck.errors import ModelMissing
    from posecheck.pose import movenet

    net = movenet_hook.shared("lightning")
    assert isinstance(net, movenet.MoveNet) and net.variant == "lightning"
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(movenet_hook.shared("lightning")))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 3 and all(s is net for s in seen)  # created once, shared
    monkeypatch.setitem(movenet_hook._SESSIONS, "thunder", None)  # not created yet
    real = movenet.MoveNet

    def broken(variant, threads=1):
        raise ModelMissing("movenet_thunder.onnx is missing")

    monkeypatch.setattr(movenet, "MoveNet", broken)
    with pytest.raises(ModelMissing):
        movenet_hook.shared("thunder")
    monkeypatch.setattr(movenet, "MoveNet", real)
    assert movenet_hook.shared("thunder").variant == "thunder"  # tried again, now it works
