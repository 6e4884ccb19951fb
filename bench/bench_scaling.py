"""How well the per-frame work of the pose pass scales from one thread to two, in ONE run.

Why: ``bench_pipeline.py``'s b/a ratio is bounded by how much slower each frame gets when
two pose threads share the machine. This measures the parts on their own, each first on one
thread and then on two threads at once (same work per thread), on the same decoded frames:

* ``decode``  — PyAV H.264 decode + RGB conversion, one decoder thread per stream;
* ``detect``  — a VIDEO-mode landmarker (one-thread XNNPACK pool, as posecheck.pose.parallel
  makes them) on frames already in memory;
* ``control`` — a compute-bound C loop that releases the GIL (SHA-256 of 64 MB), to tell the
  machine's own scaling from the workload's.

It prints ms per frame on one thread, on each of two threads, and the speed-up of two
threads over one (2.0 = perfect).

    python bench/bench_scaling.py [CLIP] [--frames N] [--model full]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _in_threads(work, n: int) -> float:
    """Wall seconds for ``n`` threads each running ``work(k)`` at the same time."""
    threads = [threading.Thread(target=work, args=(k,)) for k in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def main() -> int:
    import av
    from av.video.reformatter import VideoReformatter

    from posecheck.config import PoseConfig
    from posecheck.pose.models import resolve_model
    from posecheck.pose.landmarker import _Landmarker

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", default=str(ROOT / "sample_videos" / "front_side_60fps.mp4"))
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--model", default="full")
    args = ap.parse_args()

    def decode(_k: int = 0) -> list:
        out = []
        reformatter = VideoReformatter()  # one scaler context per clip, as video_io does
        with av.open(args.clip) as f:
            s = f.streams.video[0]
            s.codec_context.thread_count = 1
            for frame in f.decode(s):
                out.append(reformatter.reformat(frame, format="rgb24").to_ndarray())
                if len(out) >= args.frames:
                    break
        return out

    frames = decode()
    n = len(frames)
    cfg = PoseConfig(model=args.model)
    model = resolve_model(cfg.model, cfg.model_dir)
    marks = [_Landmarker(cfg, model, video=True, num_poses=1, one_thread=True) for _ in range(2)]
    clock = [0, 0]

    def detect(k: int) -> None:
        for rgb in frames:
            clock[k] += 17
            marks[k].detect(rgb, clock[k])

    buf = b"x" * (64 << 20)

    def control(_k: int) -> None:
        for _ in range(4):
            hashlib.sha256(buf).digest()

    detect(0), detect(1)  # warm both landmarkers (first frames run the person detector)
    print(f"clip: {args.clip}  frames: {n}  model: {args.model}")
    print(f"{'part':8s} {'1 thread':>12s} {'each of 2':>12s} {'speed-up':>9s}")
    for name, work, per in (("decode", decode, n), ("detect", detect, n), ("control", control, 4)):
        one = _in_threads(work, 1)
        two = _in_threads(work, 2)
        print(f"{name:8s} {one / per * 1000:9.2f} ms {two / per * 1000:9.2f} ms {2 * one / two:8.2f}x")
    for m in marks:
        m.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
