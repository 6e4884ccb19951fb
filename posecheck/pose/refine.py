"""The MoveNet refinement pass: a second model on the chosen athlete's crop (issue #17).

After the MediaPipe pose pass (:func:`posecheck.pose.parallel.estimate_video`) has found,
tracked and chosen the athlete, :func:`refine_pose` decodes the clip once more, in
contiguous chunks on worker threads (one decoder and one ONNX Runtime session each, as the
pose pass does), crops each frame around the athlete's own MediaPipe landmarks
(:func:`posecheck.pose.fusion.body_boxes`, 1.25 × the box, :func:`posecheck.pose.movenet.square_crop`),
runs MoveNet on the crop and fuses the keypoints with MediaPipe's landmarks
(:func:`posecheck.pose.fusion.fuse_pose`). Frames without the athlete are not run; a frame
repeating the picture before it reuses that frame's keypoints.

On fast clips MoveNet runs on every ``stride``-th frame only (:func:`movenet_stride`: at
least :data:`MIN_RATE_HZ` frames per real second) and the frames between get MediaPipe's
landmark plus the interpolated MoveNet − MediaPipe difference
(:func:`posecheck.pose.fusion.fill_between`). Measured on held-out renders (MediaPipe lite +
Lightning, knee / hip flexion MAE): at 240 fps every 3rd frame (80 Hz) reads as every frame
(knee 3.2 / 4.8° vs 3.0 / 5.0°, hip 4.3 / 6.9° vs 4.2 / 7.1°), at 120 fps every 2nd frame
(60 Hz) is 0.5° worse on the knee and at 60 fps every 2nd frame (30 Hz) 0.8° worse.

Why a second decode rather than a per-frame hook inside the pose pass: the pass stays
untouched (the athlete is only known after all people have been tracked, so a hook would
have to run MoveNet on every tracked person or on a guess). The price, measured on the
720p sample (CPU time per frame, one thread, shared machine): the second decode with RGB
conversion 3.0–4.1 ms, next to 9.5–10.4 ms for crop + Lightning and 31.5–32 ms for crop +
Thunder; the whole refinement made ``fused`` 1.12–1.29× the time of ``full``
(``bench/bench_pipeline.py --modes full,fused``, docs/metrics.md §8b).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from posecheck.pose.fusion import body_boxes, fill_between, fuse_pose
from posecheck.pose.parallel import TaskContext, resolve_workers, run_tasks
from posecheck.types import PoseSequence, VideoInfo


#: MoveNet runs on at least this many frames per real second (every frame below 160 fps)
MIN_RATE_HZ = 80.0


def movenet_stride(times: np.ndarray) -> int:
    """Run MoveNet on every ``stride``-th frame of a clip with these real frame ``times``
    (s): the largest stride that keeps at least :data:`MIN_RATE_HZ` frames per second."""
    dt = np.diff(np.asarray(times, dtype=np.float64))
    dt = dt[np.isfinite(dt) & (dt > 0)]
    if dt.size == 0:
        return 1
    return max(1, int(1.0 / float(np.median(dt)) // MIN_RATE_HZ))


def _movenet_chunk(path: str, info: VideoInfo, variant: str, boxes: np.ndarray,
                   repeated: np.ndarray, stride: int, start: int, stop: int,
                   ctx: TaskContext) -> dict:
    """Task: MoveNet keypoints (stop - start, 17, 3) of frames ``[start, stop)`` (NaN rows
    for frames off the ``stride`` grid, except the clip's last)."""
    from posecheck.pose.movenet import MoveNet
    from posecheck.video.reader import iter_frames

    net = MoveNet(variant, threads=1)
    kp = np.full((stop - start, 17, 3), np.nan)
    t0, c0 = time.perf_counter(), time.thread_time()
    last = None
    with iter_frames(path, info=info, start=start, stop=stop, threads=1) as reader:
        for done, (index, _t, rgb) in enumerate(reader):
            ctx.check()
            if index >= stop:
                break
            if not np.isfinite(boxes[index, 0]):
                last = None
                continue
            if index % stride and index != len(boxes) - 1:
                last = None  # a repeat of this frame must not reuse an older one
                continue
            if repeated[index] and last is not None:
                kp[index - start] = last
            else:
                try:
                    last = net.infer_box(rgb, boxes[index])[0]
                except ValueError:  # a degenerate box (one landmark): keep MediaPipe's
                    last = None
                    continue
                kp[index - start] = last
            if done % 5 == 0:
                ctx.tick(done + 1)
    ctx.tick(stop - start)
    return {"keypoints": kp, "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.thread_time() - c0}


def movenet_keypoints(path: str | Path, info: VideoInfo, pose: PoseSequence, variant: str,
                      workers: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(n_frames, 17, 3) MoveNet ``[x, y, score]`` in frame pixels for each row of ``pose``
    (row = frame index in the file, as the pose pass gives them; NaN rows where ``pose`` has
    no athlete), on :func:`posecheck.pose.parallel.resolve_workers` threads; on fast clips
    every :func:`movenet_stride`-th frame, the others filled by
    :func:`posecheck.pose.fusion.fill_between`."""
    n = pose.n_frames
    boxes = body_boxes(pose.xy)
    workers = resolve_workers(workers, n)
    stride = movenet_stride(pose.times)
    edges = np.linspace(0, n, workers + 1).round().astype(int)
    tasks = [(str(path), info, variant, boxes, pose.repeated, stride, int(a), int(b))
             for a, b in zip(edges, edges[1:]) if b > a]
    tick = None if progress is None else (lambda done: progress(min(done, n), n))
    parts = run_tasks(_movenet_chunk, tasks, workers, tick)
    kp = np.concatenate([p["keypoints"] for p in parts]) if parts else np.zeros((0, 17, 3))
    return fill_between(pose.xy, kp, stride) if stride > 1 else kp


def refine_pose(path: str | Path, info: VideoInfo, pose: PoseSequence, mode: str,
                variant: str, workers: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> PoseSequence:
    """``pose`` (the MediaPipe pass) fused with MoveNet ``variant`` (``thunder`` /
    ``lightning``) on the athlete's crop, labelled with the pose ``mode``; see the module
    docstring."""
    kp = movenet_keypoints(path, info, pose, variant, workers, progress)
    return fuse_pose(pose, kp, model=mode)
