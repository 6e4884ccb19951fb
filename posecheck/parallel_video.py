"""The annotated video on several threads (see :mod:`posecheck.parallel`).

Each thread decodes, draws and encodes one contiguous segment of the clip (its own decoder
and an x264 encoder with one thread; decoding, OpenCV drawing and x264 release the GIL) and
the segments are joined without re-encoding (:func:`posecheck.video_out.concat_mp4`: same
SPS/PPS, absolute time stamps, +faststart).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from posecheck.parallel import (SKIP_COST_VIDEO, TaskContext, plan_chunks, resolve_workers,
                                run_tasks)


def _video_segment(analysis, phases, start: int, stop: int, seg: str, writer_kw: dict,
                   ctx: TaskContext) -> int:
    """Task: decode, draw and encode rows ``[start, stop)`` into the mp4 ``seg``."""
    from posecheck.export import render_frame
    from posecheck.video_io import iter_frames
    from posecheck.video_out import H264Writer

    v = analysis.video
    done = 0
    with H264Writer(seg, v.width, v.height, fps=v.fps, **writer_kw) as w:
        with iter_frames(v.path, info=v, start=start, stop=stop, threads=1) as frames:
            for idx, t, rgb in frames:
                ctx.check()
                w.write(render_frame(analysis, idx, rgb, phases), t * v.slowmo_factor)
                done += 1
                if done % 5 == 0:
                    ctx.tick(done)
    ctx.tick(done)
    if done != stop - start:
        raise RuntimeError(f"segment {start}-{stop}: decoded {done} frames")
    return done


def video_workers(analysis) -> int:
    """Threads for the annotated video of ``analysis`` (1 = one encoder). The parallel path
    needs row k = file frame k (every frame decoded), as the segments are cut by file
    index."""
    n = analysis.pose.n_frames
    if n != analysis.video.frame_count:
        return 1
    cfg = getattr(analysis.config, "pose", None)
    return resolve_workers(getattr(cfg, "workers", 1), n)


def write_video_parallel(analysis, path: Path, workers: int, writer_kw: dict,
                         progress: Callable[[int, int], None] | None = None) -> Path:
    """The annotated video of ``analysis`` rendered by ``workers`` threads in contiguous
    segments and joined without re-encoding."""
    from posecheck.export import contact_phase
    from posecheck.video_io import keyframe_indices
    from posecheck.video_out import concat_mp4

    n = analysis.pose.n_frames
    plan = plan_chunks(n, workers, lead=0, keyframes=keyframe_indices(analysis.video.path),
                       skip_cost=SKIP_COST_VIDEO)
    kw = dict(writer_kw, threads=1)
    phases = contact_phase(analysis) if analysis.kinematics is not None else None
    tick = None if progress is None else (lambda done: progress(min(done, n), n))
    with tempfile.TemporaryDirectory(prefix=".segments-", dir=Path(path).parent) as tmp:
        segs = [str(Path(tmp) / f"seg{i:04d}.mp4") for i in range(len(plan))]
        run_tasks(_video_segment,
                  [(analysis, phases, a, b, s, kw) for (_l, a, b), s in zip(plan, segs)],
                  workers, tick)
        concat_mp4([Path(s) for s in segs], Path(path))
    if progress is not None:
        progress(n, n)
    return Path(path)
