"""The annotated video on worker processes (see :mod:`posecheck.parallel` for the pool).

Each worker decodes, draws and encodes one contiguous segment of the clip (x264 with one
thread; no frames cross processes) and the segments are joined without re-encoding
(:func:`posecheck.video_out.concat_mp4`: same SPS/PPS, absolute time stamps, +faststart).
The analysis reaches the workers as a :func:`snapshot`, so they do not import the
kinematics stack.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path

from posecheck.parallel import _tick, plan_chunks, resolve_workers, run_tasks


class _Record:
    """Stand-in for a dataclass from the kinematics stack inside a worker: its fields and
    property values as attributes (see :func:`snapshot`)."""

    def __init__(self, kind: str, attrs: dict):
        self.__dict__.update(attrs)
        self._kind = kind

    def __repr__(self) -> str:
        return f"<{self._kind} snapshot>"


_LIGHT_MODULES = {"posecheck.types"}


class _SnapshotPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type) \
                and type(obj).__module__ not in _LIGHT_MODULES:
            attrs = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
            for name, member in vars(type(obj)).items():
                if isinstance(member, property) and not name.startswith("_"):
                    try:
                        attrs[name] = getattr(obj, name)
                    except Exception:  # noqa: BLE001 - a property that does not apply
                        pass
            return _Record, (type(obj).__qualname__, attrs)
        return NotImplemented


def snapshot(analysis) -> bytes:
    """``analysis`` pickled for the video workers: dataclasses from outside
    :mod:`posecheck.types` (kinematics, strides, cues, config) become :class:`_Record` objects,
    so a worker draws the overlay without importing scipy and numba (~1 s per worker)."""
    buf = io.BytesIO()
    _SnapshotPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(analysis)
    return buf.getvalue()


def _video_segment(blob: bytes, start: int, stop: int, seg: str, writer_kw: dict,
                   slot: int) -> int:
    """Worker: decode, draw and encode rows ``[start, stop)`` into the mp4 ``seg``."""
    from posecheck.export import contact_phase, render_frame
    from posecheck.video_io import iter_frames
    from posecheck.video_out import H264Writer

    analysis = pickle.loads(blob)
    v = analysis.video
    phases = contact_phase(analysis) if analysis.kinematics is not None else None
    done = 0
    with H264Writer(seg, v.width, v.height, fps=v.fps, **writer_kw) as w:
        with iter_frames(v.path, info=v, start=start, stop=stop, threads=1) as frames:
            for idx, t, rgb in frames:
                w.write(render_frame(analysis, idx, rgb, phases), t * v.slowmo_factor)
                done += 1
                if done % 5 == 0:
                    _tick(slot, done)
    _tick(slot, done)
    if done != stop - start:
        raise RuntimeError(f"segment {start}-{stop}: decoded {done} frames")
    return done


def video_workers(analysis) -> int:
    """Workers for the annotated video of ``analysis`` (1 = encode in this process). The
    parallel path needs row k = file frame k (every frame decoded), as the segments are cut
    by file index."""
    n = analysis.pose.n_frames
    if n != analysis.video.frame_count:
        return 1
    cfg = getattr(analysis.config, "pose", None)
    return resolve_workers(getattr(cfg, "workers", 1), n)


def write_video_parallel(analysis, path: Path, workers: int, writer_kw: dict,
                         progress: Callable[[int, int], None] | None = None) -> Path:
    """The annotated video of ``analysis`` rendered by ``workers`` processes in contiguous
    segments and joined without re-encoding."""
    from posecheck.video_out import concat_mp4

    n = analysis.pose.n_frames
    plan = plan_chunks(n, workers, lead=0)
    kw = dict(writer_kw, threads=1)
    tick = None if progress is None else (lambda done: progress(min(done, n), n))
    with tempfile.TemporaryDirectory(prefix=".segments-", dir=Path(path).parent) as tmp:
        segs = [str(Path(tmp) / f"seg{i:04d}.mp4") for i in range(len(plan))]
        blob = snapshot(analysis)
        run_tasks(_video_segment, [(blob, a, b, s, kw) for (_l, a, b), s in zip(plan, segs)],
                  workers, tick)
        concat_mp4([Path(s) for s in segs], Path(path))
    if progress is not None:
        progress(n, n)
    return Path(path)
