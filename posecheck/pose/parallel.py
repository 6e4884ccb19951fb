"""Pose inference and annotated-video export on several threads (2+ cores).

One MediaPipe landmarker stream keeps about one core busy, so the clip is split into
contiguous chunks processed at the same time by worker *threads* of this process, each with
its own decoder and landmarkers. MediaPipe's inference, FFmpeg's decoder, OpenCV's drawing
and x264 all release the GIL, so the threads fill the cores (measured on 2 cores, full
model, 720p: 10.9 ms per frame on one thread, 5.6 ms per frame on two), and they start in
milliseconds: no process to spawn, no imports to repeat, nothing pickled. Each chunk runs
its own :class:`posecheck.pose.tracking.AthleteTracker` (whole-frame scout, zoomed far-away
search, ROI landmarkers) and returns compact arrays: per frame its file index and time, per
track its packed detections.

Chunk boundaries (:func:`plan_chunks`, :func:`stitch`)
------------------------------------------------------
A landmarker that starts on a frame first *detects*, then tracks, and smooths landmarks over
time, so the first frames of a chunk differ slightly from a single stream that has been
tracking for a while. Every chunk but the first therefore starts a *lead-in* early
(:func:`lead_frames`: 0.25 s, at least 15 frames) and its lead-in results are only used to
*match* its tracks with the previous chunk's (same person = boxes overlapping, IoU >
:data:`MATCH_IOU`, on the most lead-in frames); each frame's landmarks come from the one
chunk that owns it. A landmarker that starts on a poor detection can keep a wrong pose for
many frames, so when the two chunks clearly disagree about the same person in the lead-in
(:func:`_disagree`) the later chunk runs again with a 4x longer lead-in, and if they still
disagree the whole clip runs as one stream. A track with no match continues one that was
lost shortly before at the same place and size, else it is a new person. The athlete is then
chosen over the stitched tracks, as in the single stream
(:func:`posecheck.pose.landmarker.sequence_from_tracks`). ``tests/pose/test_parallel.py`` checks angles
(median difference <= 1 deg) and gait events against the single stream.

MoveNet in the pass (fused modes)
---------------------------------
With ``estimate_video(..., movenet=CropSpec)`` each chunk also runs MoveNet on the crop of
every track on the full path, on the frame it has just decoded
(:class:`posecheck.pose.movenet_hook.CropHook`, one ONNX Runtime session shared by the
threads). A chunk returns the keypoints per track next to its packed detections
(``"movenet"``: (rows, 17, 3)); :func:`stitch` keeps each frame's keypoints from the chunk
that owns it, as it does the landmarks, and the chosen athlete's are handed to the caller
(``keypoints``) for :func:`posecheck.pose.refine.estimate_fused` to fuse. No second decode.

When it is used (:func:`resolve_workers`)
-----------------------------------------
``PoseConfig.workers`` (CLI ``--workers``): ``None``/0 = the usable cores, 1 = the single
stream. A chunk costs its landmarkers (~0.1 s) and its lead-in frames, so fewer workers are
used when each would get under :data:`MIN_FRAMES_PER_WORKER` frames.

The annotated video is one more pass: a decoder thread, drawing on the caller's thread and
x264's own threads (:func:`posecheck.report.export.write_annotated_video`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from posecheck.cores import usable_cores
from posecheck.types import PoseSequence, VideoInfo

if TYPE_CHECKING:
    from posecheck.config import PoseConfig
    from posecheck.pose.movenet_hook import CropSpec

LEAD_FRAMES = 15            #: lead-in frames before each chunk (at least) ...
LEAD_S = 0.25               #: ... and at least this long (at most LEAD_MAX frames)
LEAD_MAX = 60
MIN_FRAMES_PER_WORKER = 60  #: below this many frames per worker, use fewer workers
MAX_CHUNK_FRAMES = 1500     #: longer clips get more chunks than workers (load balance)
MATCH_IOU = 0.3
SETTLE_FRAMES = 5           #: lead-in frames not compared (the landmarker settles)
DISAGREE = 0.08             #: landmark disagreement (x height) that makes chunks run again
RETRIES = 1                 #: ... with a RETRY_LEAD_FACTOR x longer lead-in, then one stream
RETRY_LEAD_FACTOR = 4


def resolve_workers(requested: int | None, n_frames: int) -> int:
    """Worker threads for a clip of ``n_frames``: ``requested`` (``None``/0 = usable
    cores), reduced so each gets at least :data:`MIN_FRAMES_PER_WORKER` frames; 1 = one
    stream."""
    w = usable_cores() if not requested else int(requested)
    return max(1, min(w, n_frames // max(1, MIN_FRAMES_PER_WORKER)))


def lead_frames(fps: float) -> int:
    """Lead-in of a chunk for a clip of ``fps`` frames/s (file rate): a quarter of a second,
    15 to 60 frames. Measured on the sample clips: a landmarker's landmarks differ from the
    single stream's by a median 2.2 px on its first frames, 0.8 px after 10-15 frames and
    0.3-2 px (the stream's own sensitivity) after that."""
    f = fps if fps and math.isfinite(fps) else 30.0
    return int(min(LEAD_MAX, max(LEAD_FRAMES, round(LEAD_S * f))))


#: cost of decoding a frame that is dropped (before a chunk's lead-in, after the keyframe the
#: decoder must start from), relative to a frame that is also run through the pose model
#: (measured at 720p: ~2.5 ms of ~16 ms) and to one that is drawn and encoded (~2.5 of ~8)
SKIP_COST_POSE = 0.15
SKIP_COST_VIDEO = 0.3


def plan_chunks(n_frames: int, workers: int, lead: int = LEAD_FRAMES,
                keyframes=None, skip_cost: float = SKIP_COST_POSE) -> list[tuple[int, int, int]]:
    """Contiguous chunks ``(lead_start, start, stop)`` covering ``[0, n_frames)``: the chunk
    owns ``[start, stop)`` and decodes from ``lead_start = max(0, start - lead)``.

    ``workers`` chunks (a multiple of it for clips over ``workers`` x
    :data:`MAX_CHUNK_FRAMES`), balanced on their cost rather than their length, so they end
    together: a chunk costs its frames including the lead-in, plus ``skip_cost`` per frame
    decoded and dropped between the keyframe before ``lead_start`` and ``lead_start``
    (``keyframes``: ascending frame indices, see
    :func:`posecheck.video.reader.keyframe_indices`; ``None`` = no such frames)."""
    k = max(1, workers)
    if n_frames > k * MAX_CHUNK_FRAMES:
        k *= math.ceil(n_frames / (k * MAX_CHUNK_FRAMES))
    k = max(1, min(k, n_frames))
    keys = None if keyframes is None else np.asarray(keyframes, dtype=np.int64)

    def extra(a: int) -> float:  # cost of a chunk starting at a beyond its own frames
        ls = max(0, a - lead)
        skipped = 0
        if keys is not None and ls > 0:
            i = int(np.searchsorted(keys, ls, side="right")) - 1
            skipped = ls - (int(keys[i]) if i >= 0 else 0)
        return (a - ls) + skip_cost * skipped

    def greedy(limit: float) -> list[int]:
        edges = [0]
        while edges[-1] < n_frames and len(edges) <= k:
            a = edges[-1]
            edges.append(min(n_frames, max(a + 1, int(math.floor(limit - extra(a))) + a)))
        return edges

    lo, hi = n_frames / k, float(n_frames + lead + skip_cost * n_frames)
    for _ in range(40):  # the smallest per-chunk cost that k chunks can meet
        mid = 0.5 * (lo + hi)
        edges = greedy(mid)
        if edges[-1] >= n_frames and len(edges) - 1 <= k:
            hi = mid
        else:
            lo = mid
    edges = greedy(hi)
    return [(max(0, a - lead), a, b) for a, b in zip(edges, edges[1:]) if b > a]


def clip_plan(path: str | Path, info: VideoInfo, workers: int) -> list[tuple[int, int, int]]:
    """The chunks :func:`estimate_video` runs the clip at ``path`` (probed as ``info``) in
    on ``workers`` threads: :func:`plan_chunks` with the clip's lead-in and keyframes."""
    from posecheck.video.reader import keyframe_indices

    return plan_chunks(info.frame_count, workers, lead_frames(info.fps),
                       keyframes=keyframe_indices(path))


# -- running chunks on threads ------------------------------------------------------------
class Cancelled(Exception):
    """A task stopped because another failed or the user interrupted the run."""


class TaskContext:
    """What a task gets besides its arguments: :meth:`tick` reports frames done,
    :meth:`check` raises :class:`Cancelled` once the run is being abandoned."""

    def __init__(self, counters: list[int], slot: int, stop: threading.Event):
        self._counters, self._slot, self._stop = counters, slot, stop

    def tick(self, done: int) -> None:
        self._counters[self._slot] = int(done)

    def check(self) -> None:
        if self._stop.is_set():
            raise Cancelled()


def run_tasks(fn: Callable, tasks: list[tuple], workers: int,
              progress: Callable[[int], None] | None = None) -> list:
    """``[fn(*task, ctx) for task in tasks]`` on ``workers`` threads, results in order;
    ``progress(done)`` gets the sum of the tasks' :meth:`TaskContext.tick` counts about 10
    times a second. The first exception (or Ctrl-C) stops the other tasks at their next
    :meth:`TaskContext.check` and is re-raised here once they have ended."""
    counters = [0] * len(tasks)
    stop = threading.Event()
    pool = cf.ThreadPoolExecutor(max(1, workers), thread_name_prefix="posecheck")
    futs = [pool.submit(fn, *task, TaskContext(counters, i, stop)) for i, task in enumerate(tasks)]
    try:
        pending = set(futs)
        while pending:
            _done, pending = cf.wait(pending, timeout=0.1, return_when=cf.FIRST_EXCEPTION)
            if any(f.done() and f.exception() is not None for f in futs):
                break
            if progress is not None:
                progress(sum(counters))
        return [f.result() for f in futs]
    except BaseException:
        stop.set()
        for f in futs:
            f.cancel()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# -- pose pass --------------------------------------------------------------------------------
def _pose_chunk(path: str, info: VideoInfo, cfg: PoseConfig, model_path: Path,
                lead: int, start: int, stop: int, ctx: TaskContext,
                movenet: CropSpec | None = None, image_landmarker=None,
                video_pool=None, runner=None) -> dict:
    """Task: track everybody in frames ``[lead, stop)``; compact arrays, file indices
    (``movenet``: also MoveNet on the possible athletes' crops, queued on ``runner``, see
    :mod:`posecheck.pose.movenet_hook`;
    ``image_landmarker``, ``video_pool``: the run's shared IMAGE-mode landmarker and spare
    VIDEO landmarkers, see :func:`estimate_video`)."""
    from posecheck.pose.landmarker import track_frames
    from posecheck.pose.motion_hook import MotionHook, chain, motion_stride
    from posecheck.pose.movenet_hook import CropHook, track_keypoints
    from posecheck.video.reader import iter_frames
    from posecheck.video.repeats import RepeatMarker

    def tick(done: int, _total: int) -> None:
        ctx.check()
        if done % 5 == 0:
            ctx.tick(max(0, done - (start - lead)))

    t0, c0 = time.perf_counter(), time.thread_time()
    with iter_frames(path, info=info, start=lead, stop=stop, threads=1) as reader:
        marked = RepeatMarker(reader)
        # (MoveNet not on the lead-in: another chunk owns those frames)
        hook = None if movenet is None else CropHook(movenet, runner, start=start)
        motion = MotionHook(motion_stride(info.fps))  # on the lead-in too (its first step)
        indices, times, tracks, size = track_frames(marked, cfg, progress=tick,
                                                    model_path=model_path, one_thread=True,
                                                    after_frame=chain(motion, hook),
                                                    image_landmarker=image_landmarker,
                                                    video_pool=video_pool)
        complete = reader.complete
    ctx.tick(len(indices) - (start - lead))
    idx = np.asarray(indices, dtype=np.int64)
    out_tracks = []
    for tr in tracks:
        if not tr.rows:
            continue
        out_tracks.append({"index": idx[np.asarray(tr.rows)], "dets": np.stack(tr.dets),
                           "centers": np.asarray(tr.centers, dtype=np.float64),
                           "heights": np.asarray(tr.heights, dtype=np.float64),
                           "times": np.asarray(tr.times, dtype=np.float64)})
        if movenet is not None:
            out_tracks[-1]["movenet"] = track_keypoints(tr)
    return {"index": idx, "times": np.asarray(times, dtype=np.float64), "tracks": out_tracks,
            "repeated": np.asarray(marked.flags[:len(indices)], dtype=bool),
            "motion": motion.steps[:len(indices)],
            "size": size, "complete": complete, "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.thread_time() - c0}


def estimate_video(path: str | Path, info: VideoInfo, config: PoseConfig | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   notes: list[str] | None = None, movenet: CropSpec | None = None,
                   keypoints: list[np.ndarray] | None = None) -> PoseSequence:
    """The pose pass over the clip at ``path`` (probed as ``info``) on
    :func:`resolve_workers` threads: same result as
    :func:`posecheck.pose.landmarker.estimate_sequence` on the whole decode, within the tolerance in
    the module docstring. One worker = :func:`estimate_sequence` on this thread.

    ``movenet``: also run MoveNet on the crop of every possible athlete on the frames as they
    are decoded (:mod:`posecheck.pose.movenet_hook`); ``keypoints`` (a list, like ``notes``)
    then receives the chosen athlete's (n_frames, 17, 3) ``[x, y, score]`` frame pixels, NaN
    rows where MoveNet did not run on them (:mod:`posecheck.pose.refine` fills and fuses)."""
    from posecheck.pose import landmarker as pose
    from posecheck.video import reader as video_io
    from posecheck.config import PoseConfig
    from posecheck.pose.models import resolve_model
    from posecheck.pose.movenet_hook import MoveNetRunner
    from posecheck.video.motion import accumulate

    cfg = config or PoseConfig()
    total = info.frame_count
    workers = resolve_workers(cfg.workers, total)

    chosen: list = []

    def repair(track, index) -> None:  # the chosen athlete's light stretches, full path
        chosen.append(track)
        from posecheck.pose.repair import repair_track

        repair_track(track, index, path, info, cfg)

    def single_stream() -> PoseSequence:
        from posecheck.pose.movenet_hook import CropHook

        reader = video_io.iter_frames(path, info=info)
        hook = None if movenet is None else CropHook(movenet, runner)
        return pose.estimate_sequence(reader, cfg, frame_size=(info.width, info.height),
                                      total=total, progress=progress, notes=notes,
                                      repair=repair, after_frame=hook, fps=info.fps)

    def athlete(seq: PoseSequence) -> PoseSequence:  # hand over the athlete's keypoints
        if movenet is not None and keypoints is not None and chosen:
            from posecheck.pose.movenet_hook import athlete_keypoints

            keypoints.append(athlete_keypoints(chosen[-1], seq.n_frames))
        return seq

    # MoveNet on threads of its own, as many as the pose pass has: the pose threads queue
    # the crops and go on (movenet_hook.MoveNetRunner)
    runs_movenet = MoveNetRunner(movenet.variant, workers) if movenet else contextlib.nullcontext()
    with runs_movenet as runner:
        if workers <= 1:
            return athlete(single_stream())
        plan = clip_plan(path, info, workers)
        tick = None if progress is None else (lambda done: progress(min(done, total), total))
        model = resolve_model(cfg.model, cfg.model_dir)
        tasks = lambda chunks: [(str(path), info, cfg, model, *c) for c in chunks]  # noqa: E731
        # the chunks share one IMAGE-mode landmarker (stateless; follow.SharedLandmarker) and
        # one pool of spare VIDEO landmarkers (follow.LandmarkerPool: ~55 MB a landmarker)
        image = pose.shared_image_landmarker(cfg, model, one_thread=True)
        spare = pose.shared_video_pool(cfg, model, one_thread=True)
        chunk = functools.partial(_pose_chunk, movenet=movenet, image_landmarker=image,
                                  video_pool=spare, runner=runner)
        try:
            results = run_tasks(chunk, tasks(plan), workers, tick)
            for attempt in range(RETRIES + 1):
                bad = [k for k in range(1, len(plan))
                       if _disagree(results[k - 1], results[k], plan[k][1])]
                if not bad:
                    break
                if attempt == RETRIES:  # chunks that never agree: the single stream decides
                    return athlete(single_stream())
                # a landmarker can lock onto a poor first detection and keep it (the other
                # chunk may be the wrong one as well): run these chunks again from earlier
                for k in bad:
                    lead = (plan[k][1] - plan[k][0]) * RETRY_LEAD_FACTOR
                    plan[k] = (max(0, plan[k][1] - lead), plan[k][1], plan[k][2])
                again = run_tasks(chunk, tasks([plan[k] for k in bad]), workers)
                for k, r in zip(bad, again):
                    results[k] = r
        finally:
            image.shutdown()
            spare.close()
        index, times, tracks, repeated = stitch(results, plan)
        if progress is not None:
            progress(len(times), total)
        return athlete(pose.sequence_from_tracks(
            tracks, times, (info.width, info.height), cfg, notes, repeated=repeated,
            repair=lambda tr: repair(tr, index), background=accumulate(stitch_motion(results, plan))))


def _disagree(prev: dict, cur: dict, start: int) -> bool:
    """The same person (boxes overlapping) has clearly different landmarks in the two
    chunks over the settled part of the lead-in (median mean landmark distance above
    :data:`DISAGREE` of their height; measured: 0.5-2 % when both track well)."""
    from posecheck.pose.tracking import iou

    for ta in prev["tracks"]:
        for tb in cur["tracks"]:
            _c, ia, ib = np.intersect1d(ta["index"], tb["index"][tb["index"] < start],
                                        return_indices=True)
            ia, ib = ia[SETTLE_FRAMES:], ib[SETTLE_FRAMES:]
            if len(ia) == 0:
                continue
            same = [iou(_box(ta["dets"][i]), _box(tb["dets"][j])) > MATCH_IOU for i, j in zip(ia, ib)]
            if np.mean(same) < 0.5:
                continue  # different people
            dist = np.linalg.norm(ta["dets"][ia, :, :2] - tb["dets"][ib, :, :2], axis=2).mean(axis=1)
            if np.isfinite(dist).any() and np.nanmedian(dist / np.maximum(ta["heights"][ia], 1.0)) > DISAGREE:
                return True
    return False


def _owned(results: list[dict], plan: list[tuple[int, int, int]]):
    """``(result, own)`` per chunk, ``own`` the bool mask of its frames that it owns (file
    index in ``[start, stop)``), up to the first chunk that ended early (a damaged file)."""
    for res, (_lead, start, stop) in zip(results, plan):
        yield res, (res["index"] >= start) & (res["index"] < stop)
        if not res["complete"]:
            break


def stitch_motion(results: list[dict], plan: list[tuple[int, int, int]]) -> np.ndarray:
    """(n, 2) per-frame background steps of the joined frames (the chunks' ``motion``,
    :class:`posecheck.pose.motion_hook.MotionHook`; NaN where a chunk has none)."""
    parts = [res["motion"][own] if "motion" in res else np.full((int(own.sum()), 2), np.nan)
             for res, own in _owned(results, plan)]
    return np.concatenate(parts) if parts else np.zeros((0, 2))


def stitch(results: list[dict], plan: list[tuple[int, int, int]]):
    """Join the chunks' results: ``(file indices, times, tracks, repeated)`` with tracks as
    :class:`posecheck.pose.tracking.Track` whose rows index the joined frames (see the module
    docstring). Reading stops after the first chunk that ended early (a damaged file), as a
    single stream would."""
    from posecheck.pose.tracking import REVIVE_WITHIN_S

    index_parts, time_parts, repeat_parts, kept = [], [], [], []
    for res, own in _owned(results, plan):
        index_parts.append(res["index"][own])
        time_parts.append(res["times"][own])
        repeat_parts.append(res["repeated"][own])
        kept.append(res)
    index = np.concatenate(index_parts) if index_parts else np.zeros(0, np.int64)
    times = np.concatenate(time_parts) if time_parts else np.zeros(0)
    repeated = np.concatenate(repeat_parts) if repeat_parts else np.zeros(0, bool)
    glob: list[dict] = []   # stitched tracks: lists of per-chunk pieces
    prev: dict[int, int] = {}  # track number in the previous chunk -> global track
    for k, (res, (_lead, start, stop)) in enumerate(zip(kept, plan)):
        cur: dict[int, int] = {}
        pairs = []
        if k > 0:
            before = kept[k - 1]["tracks"]
            for b, tb in enumerate(res["tracks"]):
                for a, ta in enumerate(before):
                    if a in prev:
                        pairs.append((_overlap_score(ta, tb, start), a, b))
        used_a, used_b = set(), set()
        for score, a, b in sorted(pairs, reverse=True):
            if score > 0 and a not in used_a and b not in used_b:
                used_a.add(a), used_b.add(b)
                cur[b] = prev[a]
        for b, tb in enumerate(res["tracks"]):
            own = (tb["index"] >= start) & (tb["index"] < stop)
            if not own.any():
                continue
            piece = {key: v[own] for key, v in tb.items()}
            if b not in cur:
                cur[b] = _revive(glob, piece, set(cur.values()), REVIVE_WITHIN_S)
            if cur[b] is None:
                cur[b] = len(glob)
                glob.append({"pieces": []})
            glob[cur[b]]["pieces"].append(piece)
        prev = cur
    return index, times, _as_tracks(glob, index), repeated


def _overlap_score(ta: dict, tb: dict, start: int) -> float:
    """Frames of the lead-in where both tracks' boxes overlap (IoU > MATCH_IOU; centres within half
    a height on a light track's followed frames, which have no landmarks)."""
    from posecheck.pose.tracking import iou

    common, ia, ib = np.intersect1d(ta["index"], tb["index"][tb["index"] < start],
                                    return_indices=True)
    score = 0
    for i, j in zip(ia, ib):
        a, b = ta["dets"][i], tb["dets"][j]
        if np.isnan(a[0, 0]) or np.isnan(b[0, 0]):  # a light track's followed frame: centres
            score += np.linalg.norm(ta["centers"][i] - tb["centers"][j]) < 0.5 * max(ta["heights"][i], 1.0)
        elif iou(_box(a), _box(b)) > MATCH_IOU:
            score += 1
    return float(score)


def _box(packed: np.ndarray) -> tuple[float, float, float, float]:
    x, y = packed[:, 0], packed[:, 1]
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def _revive(glob: list[dict], piece: dict, taken: set, within_s: float) -> int | None:
    """A stitched track that ended shortly before ``piece`` starts, at the same place and
    size (the person was lost across the chunk boundary), or None."""
    t0, c0, h0 = piece["times"][0], piece["centers"][0], piece["heights"][0]
    best, best_off = None, math.inf
    for g, tr in enumerate(glob):
        if g in taken:
            continue
        last = tr["pieces"][-1]
        t1, c1, h1 = last["times"][-1], last["centers"][-1], last["heights"][-1]
        if not (0 < t0 - t1 <= within_s) or not (0.6 < h0 / max(h1, 1.0) < 1.6):
            continue
        off = float(np.linalg.norm(c0 - c1))
        if off < 1.5 * max(h1, 1.0) and off < best_off:
            best, best_off = g, off
    return best


def _as_tracks(glob: list[dict], index: np.ndarray) -> list:
    from posecheck.pose.tracking import Track

    out = []
    for tid, g in enumerate(glob):
        cat = {key: np.concatenate([p[key] for p in g["pieces"]]) for key in g["pieces"][0]}
        rows = np.searchsorted(index, cat["index"])
        ok = (rows < len(index)) & (index[np.minimum(rows, len(index) - 1)] == cat["index"])
        if not ok.any():
            continue
        tr = Track(tid=tid, center=cat["centers"][ok][-1], size=1.0,
                   last_row=int(rows[ok][-1]), last_time=float(cat["times"][ok][-1]))
        tr.rows = rows[ok].tolist()
        tr.dets = list(cat["dets"][ok])
        tr.centers = list(cat["centers"][ok])
        tr.heights = cat["heights"][ok].tolist()
        tr.times = cat["times"][ok].tolist()
        if "movenet" in cat:  # MoveNet's keypoints, each frame's from the chunk owning it
            from posecheck.pose.movenet_hook import set_track_keypoints

            set_track_keypoints(tr, cat["movenet"][ok])
        out.append(tr)
    return out
