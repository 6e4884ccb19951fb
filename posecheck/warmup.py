"""numba warm-up: load (or, first run after install, compile) the kinematics kernels while
the pose pass runs, so the kinematics step after it finds them ready.

Every kernel is ``@njit(cache=True)``: compiled once (~3-6 s) into ``__pycache__`` (or
``$NUMBA_CACHE_DIR``), then loaded from there (~0.2 s). :func:`start_warm_up` runs
:func:`warm_kinematics` on a thread, or in a separate process when the cache is empty
(compiling holds the GIL and would slow a single pose stream in this process).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from posecheck.types import PoseSequence


def numba_cache_cold() -> bool:
    """No numba cache index for the kinematics kernels yet (first run after install)."""
    import importlib.util

    override = os.environ.get("NUMBA_CACHE_DIR")
    for mod in ("posecheck.kinematics._kernels", "posecheck.signals._kernels", "posecheck.kinematics._legs_kernels",
                "posecheck.kinematics._muscle_kernels"):
        spec = importlib.util.find_spec(mod)
        if spec is None or not spec.origin:
            continue
        src = Path(spec.origin)
        where = [Path(override)] if override else [src.parent / "__pycache__"]
        pattern = f"{src.stem}.*.nbi"
        if not any(next(iter(d.rglob(pattern) if override else d.glob(pattern)), None)
                   for d in where if d.is_dir()):
            return True
    return False


def start_warm_up(analyze: Callable[[PoseSequence], object], in_process: bool):
    """Start :func:`warm_kinematics` with ``analyze`` (the kinematics core,
    :func:`posecheck.pipeline.analyze_kinematics`, passed in so this module imports no
    stage): on a thread (kernels in the cache: loading them takes
    ~0.2 s) or, when they must be compiled (~5 s of mostly Python work that would hold the
    GIL against a single pose stream), in a separate process that fills the on-disk cache.
    Returns the thread or process (``join()`` it before the kinematics step)."""
    if in_process:
        t = threading.Thread(target=warm_kinematics, args=(analyze,), daemon=True)
        t.start()
        return t
    p = _WarmUpProcess(target=warm_kinematics, args=(analyze,), daemon=True)
    p.start()
    return p


class _WarmUpProcess(mp.context.SpawnProcess):
    """A spawned process (fork is unsafe once MediaPipe's threads run) that does not
    re-run the parent's ``__main__``: spawn normally imports the main script again, so a
    script calling :func:`posecheck.analyze_video` without an ``if __name__ ==
    "__main__"`` guard, or the Streamlit runner, would run again in it. The warm-up only
    needs posecheck, which it imports by name (the target is pickled by reference)."""

    _patch_lock = threading.Lock()

    def start(self) -> None:
        from multiprocessing import spawn

        with self._patch_lock:
            original = spawn.get_preparation_data

            def preparation_data(name):
                data = original(name)
                data.pop("init_main_from_path", None)
                data.pop("init_main_from_name", None)
                return data

            spawn.get_preparation_data = preparation_data
            try:
                super().start()
            finally:
                spawn.get_preparation_data = original


def warm_kinematics(analyze: Callable[[PoseSequence], object]) -> float:
    """Run the kinematics core ``analyze`` once on a small synthetic stride so numba's kernels are
    loaded from the on-disk cache (or compiled, first run after install) now, off the
    critical path. Returns the seconds it took; never raises."""
    t0 = time.perf_counter()
    try:
        analyze(_synthetic_pose())
    except Exception:  # noqa: BLE001 - a warm-up only; the real run reports problems
        pass
    return time.perf_counter() - t0


def _synthetic_pose(n: int = 300, fps: float = 60.0) -> PoseSequence:
    """A crude side-view runner (hips travelling, legs swinging) for :func:`warm_kinematics`:
    5 s, long enough for every code path a real clip takes (the periodic leg-swap repair
    needs two strides), so a real analysis compiles nothing (``tests/test_warmup.py``)."""
    from posecheck.types import LANDMARK_INDEX as L, N_LANDMARKS

    t = np.arange(n) / fps
    ph = 2 * np.pi * 2.2 * t
    xy = np.zeros((n, N_LANDMARKS, 2))
    hip = np.stack([300 + 400 * t, 400 + 5 * np.sin(2 * ph)], axis=1)
    xy[:] = hip[:, None, :] + np.array([0.0, -250.0])  # head and arms near the shoulders
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        a = sgn * 0.6 * np.sin(ph)
        knee = hip + 110 * np.stack([np.sin(a), np.cos(a)], axis=1)
        b = a - 0.8 * (1 + np.sin(ph + sgn * 1.2))
        ankle = knee + 110 * np.stack([np.sin(b), np.cos(b)], axis=1)
        xy[:, L[f"{side}_shoulder"]] = hip + [0.0, -180.0]
        xy[:, L[f"{side}_hip"]] = hip
        xy[:, L[f"{side}_knee"]] = knee
        for name in ("ankle", "heel", "foot_index"):
            xy[:, L[f"{side}_{name}"]] = ankle + ([20.0, 0.0] if name == "foot_index" else 0.0)
    ones = np.ones((n, N_LANDMARKS))
    return PoseSequence(xy=xy, z=np.zeros((n, N_LANDMARKS)), visibility=ones, presence=ones,
                        world=np.zeros((n, N_LANDMARKS, 3)), times=t, frame_size=(1280, 720),
                        model="full")
