"""MoveNet on the chosen athlete's crop, fused with MediaPipe: the ``fused`` / ``precise``
pose modes (issue #17).

:func:`estimate_fused` runs the MediaPipe pose pass
(:func:`posecheck.pose.parallel.estimate_video`) with MoveNet inside it: after each frame is
tracked, MoveNet (Lightning; the modes differ in the MediaPipe model: full for ``fused``,
heavy for ``precise``, whose feet time the events better) runs on the square crop
(1.25 × the box of the track's MediaPipe landmarks) of every track on the full path, i.e. of
everybody who may be the athlete, using the frame that is already decoded
(:mod:`posecheck.pose.movenet_hook`). The keypoints travel with the tracks through chunk
stitching; once the athlete is chosen, theirs are fused with their MediaPipe landmarks
(:func:`posecheck.pose.fusion.fuse_pose`). No second decode of the clip.

Frames where the chosen athlete has landmarks but no MoveNet keypoints — they were a light
track there (:mod:`posecheck.pose.budget`; their landmarks were filled by
:func:`posecheck.pose.repair.repair_track` or came from a light look), or the hook's crop
was degenerate — are run here: only those frames are decoded again, in spans on worker
threads (:func:`movenet_keypoints` with ``rows``), so nothing is lost when the tracker's bet
on the athlete was wrong. A single-runner clip never needs it.

On fast clips MoveNet runs on every ``stride``-th frame only (:func:`movenet_stride`: at
least :data:`MIN_RATE_HZ` frames per real second) and the frames between get MediaPipe's
landmark plus the interpolated MoveNet − MediaPipe difference
(:func:`posecheck.pose.fusion.fill_between`). Measured on held-out renders (MediaPipe lite +
Lightning, knee / hip flexion MAE): at 240 fps every 3rd frame (80 Hz) reads as every frame
(knee 3.2 / 4.8° vs 3.0 / 5.0°, hip 4.3 / 6.9° vs 4.2 / 7.1°), at 120 fps every 2nd frame
(60 Hz) is 0.5° worse on the knee and at 60 fps every 2nd frame (30 Hz) 0.8° worse.

Why inside the pose pass: the earlier design decoded the whole clip a second time after the
athlete was chosen, with two more decoders and ONNX Runtime sessions (measured on the 720p
sample, CPU per frame on one thread: decode + RGB 3.0–4.1 ms next to 9.5–10.4 ms for crop +
Lightning; the whole second pass made ``fused`` 1.12–1.29× the time of ``full``). The hook
pays MoveNet for every *possible* athlete instead of the chosen one only: the same on a
single-runner clip, more when two or three runners are close contenders (docs/metrics.md §8b).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from posecheck.pose.fusion import body_boxes, fill_between, fuse_pose
from posecheck.pose.movenet_hook import CropSpec, preload
from posecheck.pose.parallel import TaskContext, estimate_video, resolve_workers, run_tasks
from posecheck.types import PoseSequence, VideoInfo

if TYPE_CHECKING:
    from posecheck.config import PoseConfig


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


def stride_for_fps(real_fps: float) -> int:
    """:func:`movenet_stride` of a clip at ``real_fps`` frames per real second."""
    if not (real_fps and math.isfinite(real_fps) and real_fps > 0):
        return 1
    return max(1, int(float(real_fps) // MIN_RATE_HZ))


#: frames to be run again this close together are decoded as one span
SPAN_GAP = 30


def _movenet_chunk(path: str, info: VideoInfo, variant: str, boxes: np.ndarray,
                   repeated: np.ndarray, stride: int, start: int, stop: int,
                   ctx: TaskContext) -> dict:
    """Task: MoveNet keypoints (stop - start, 17, 3) of frames ``[start, stop)`` with a
    finite box (NaN rows elsewhere and for frames off the ``stride`` grid, except the clip's
    last)."""
    from posecheck.pose.movenet_hook import shared
    from posecheck.video.reader import iter_frames

    kp = np.full((stop - start, 17, 3), np.nan)
    t0, c0 = time.perf_counter(), time.thread_time()
    last = None
    net = shared(variant)
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


def _spans(rows: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """``[start, stop)`` spans covering the True entries of ``rows``, runs closer than
    ``gap`` frames joined."""
    pos = np.flatnonzero(rows)
    if pos.size == 0:
        return []
    cut = np.flatnonzero(np.diff(pos) > gap)
    return [(int(pos[a]), int(pos[b]) + 1) for a, b in zip(np.r_[0, cut + 1], np.r_[cut, pos.size - 1])]


def movenet_keypoints(path: str | Path, info: VideoInfo, pose: PoseSequence, variant: str,
                      workers: int | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      rows: np.ndarray | None = None) -> np.ndarray:
    """(n_frames, 17, 3) MoveNet ``[x, y, score]`` in frame pixels for each row of ``pose``
    (row = frame index in the file, as the pose pass gives them; NaN rows where ``pose`` has
    no athlete), decoding the clip again on :func:`posecheck.pose.parallel.resolve_workers`
    threads. ``rows`` ((n,) bool): run on these frames only (decoded in spans, NaN
    elsewhere, no filling); ``None``: on every :func:`movenet_stride`-th frame, the others
    filled by :func:`posecheck.pose.fusion.fill_between`."""
    n = pose.n_frames
    boxes = body_boxes(pose.xy)
    stride = 1 if rows is not None else movenet_stride(pose.times)
    if rows is None:
        workers = resolve_workers(workers, n)
        edges = np.linspace(0, n, workers + 1).round().astype(int)
        spans = [(int(a), int(b)) for a, b in zip(edges, edges[1:]) if b > a]
    else:
        boxes[~np.asarray(rows, dtype=bool)] = np.nan
        spans = _spans(np.isfinite(boxes[:, 0]), SPAN_GAP)
        workers = max(1, min(len(spans), resolve_workers(workers, sum(b - a for a, b in spans))))
    tasks = [(str(path), info, variant, boxes, pose.repeated, stride, a, b) for a, b in spans]
    tick = None if progress is None else (lambda done: progress(min(done, n), n))
    parts = run_tasks(_movenet_chunk, tasks, workers, tick) if tasks else []
    kp = np.full((n, 17, 3), np.nan)
    for (a, b), part in zip(spans, parts):
        kp[a:b] = part["keypoints"]
    return fill_between(pose.xy, kp, stride) if stride > 1 else kp


def estimate_fused(path: str | Path, info: VideoInfo, config: PoseConfig,
                   progress: Callable[[int, int], None] | None = None,
                   notes: list[str] | None = None) -> PoseSequence:
    """The pose of the fused mode ``config.model`` (``fused`` / ``precise``): MediaPipe
    ``config.mediapipe_model`` with MoveNet ``config.movenet_model`` on the possible
    athletes' crops in the same pass, the chosen athlete's fused; see the module docstring.
    ``progress`` and ``notes`` as :func:`posecheck.pose.parallel.estimate_video`."""
    spec = CropSpec(config.movenet_model, stride_for_fps(info.real_fps),
                    last_index=info.frame_count - 1)
    preload(spec.variant)  # the session is created while the pose workers start
    found: list[np.ndarray] = []
    pose = estimate_video(path, info, replace(config, model=config.mediapipe_model),
                          progress=progress, notes=notes, movenet=spec, keypoints=found)
    n = pose.n_frames
    kp = found[-1] if found else np.full((n, 17, 3), np.nan)
    grid = (np.arange(n) % spec.stride == 0) | (np.arange(n) == n - 1)
    missing = pose.detected & grid & ~np.isfinite(kp[:, 0, 0])
    if missing.any():  # light stretches of the athlete, degenerate crops: run those frames
        again = movenet_keypoints(path, info, pose, spec.variant, config.workers, rows=missing)
        kp = np.where(missing[:, None, None], again, kp)
    if spec.stride > 1:
        kp = fill_between(pose.xy, kp, spec.stride)
    return fuse_pose(pose, kp, model=config.model)
