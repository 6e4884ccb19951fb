"""The numba warm-up (posecheck.warmup) must compile every kernel signature a real analysis
uses, so the first run after install compiles nothing on the critical path."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_warm_up_covers_every_kernel_a_real_analysis_uses(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")])}
    subprocess.run([sys.executable, "-c", "from posecheck.warmup import warm_kinematics; "
                    "from posecheck.pipeline import analyze_kinematics; "
                    "warm_kinematics(analyze_kinematics)"], env=env, check=True, timeout=600)
    code = textwrap.dedent("""
        import numpy as np
        from bench_kinematics import kernel_cache_stats
        from synthpose import truth_pose
        from posecheck.pipeline import analyze_kinematics
        pose, _gt = truth_pose(style=0.5, fps=60.0, seconds=3.0, noise=2.0)
        kin, events, strides, summary, cues, warnings = analyze_kinematics(pose)
        assert len(strides) >= 4, len(strides)
        hits, compiled = kernel_cache_stats()
        print("STATS", hits, compiled)
    """)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    hits, compiled = map(int, proc.stdout.split("STATS")[1].split())
    assert hits >= 10 and compiled == 0, (hits, compiled)


def test_kernels_load_on_a_thread_in_the_last_part_of_the_pose_pass(monkeypatch):
    # loading the kernels costs ~55 MB: on a crowded clip it used to come on top of the
    # landmarkers' peak at the start of the pass (docs/speed.md)
    from posecheck import pipeline
    from posecheck.config import Config, PoseConfig

    done = [0.0, False]  # share of the pose pass reported, the pass returned
    starts = []
    real_start, real_estimate = pipeline.start_warm_up, pipeline.estimate_video

    def start(analyze, in_process):
        starts.append((done[0], done[1], in_process))
        return real_start(analyze, in_process)

    def estimate(path, info, cfg, progress=None, notes=None):
        def report(n, total):
            done[0] = n / total
            progress(n, total)
        seq = real_estimate(path, info, cfg, progress=report, notes=notes)
        done[1] = True
        return seq

    monkeypatch.setattr(pipeline, "start_warm_up", start)
    monkeypatch.setattr(pipeline, "estimate_video", estimate)
    monkeypatch.setattr(pipeline, "numba_cache_cold", lambda: False)
    analysis = pipeline.analyze_video(ROOT / "sample_videos" / "front_side_60fps.mp4",
                                      Config(pose=PoseConfig(model="full", workers=2)))
    assert len(analysis.strides) > 0
    assert len(starts) == 1
    share, after_pass, in_process = starts[0]
    assert pipeline.WARM_UP_AT <= share <= 1.0 and not after_pass and in_process
