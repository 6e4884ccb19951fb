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
