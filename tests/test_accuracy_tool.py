"""tools/accuracy.py: the measures behind docs/metrics.md §8 on exact synthetic truth."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from posecheck.kinematics.legs import swap_legs
from synthpose import exact_pose
from tools.accuracy import event_errors, mislabelled_pct
from tools.synth import SprintParams, simulate


@pytest.fixture(scope="module")
def truth():
    return simulate(SprintParams(style=0.5, fps=60.0, seconds=2.0)).payload


def test_mislabelled_share_counts_exchanged_legs(truth):
    xy = exact_pose(truth).xy
    assert mislabelled_pct(xy, truth) == 0.0
    n = len(xy)
    swapped = np.zeros(n, dtype=bool)
    swapped[: int(0.3 * n)] = True
    got = mislabelled_pct(swap_legs(xy, swapped), truth)
    # frames where the legs cross cannot be told apart: allow a few
    assert 100 * swapped.mean() - 5 <= got <= 100 * swapped.mean()


def test_event_errors_match_by_side_and_kind(truth):
    fps = truth["fps"]

    def analysis(shift_frames: float, drop: int = 0):
        evs = [SimpleNamespace(side=e["side"], kind=e["type"], time_s=e["time"] + shift_frames / fps)
               for e in truth["events"][drop:]]
        return SimpleNamespace(events=evs)

    share, mean_err, missed, n = event_errors(analysis(0.0), truth)
    assert (share, mean_err, missed) == (100.0, 0.0, 0) and n == len(truth["events"]) > 4
    share, mean_err, missed, _ = event_errors(analysis(2.0), truth)
    assert share == 0.0 and mean_err == pytest.approx(2.0) and missed == 0
    share, _, missed, _ = event_errors(analysis(0.0, drop=2), truth)
    assert missed == 2 and share == pytest.approx(100.0 * (n - 2) / n)
