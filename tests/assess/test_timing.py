"""Is time real? The flight clock on exact landmarks, and the decision it feeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecheck.assess.timing import (SLOWED_FACTOR, check_time, flight_slowdown,
                                     implausible_for_real_time)
from posecheck.pipeline import analyze_kinematics
from synthpose import truth_pose


@pytest.mark.parametrize("style", [0.0, 1.0])
@pytest.mark.parametrize("fps, slow", [(120.0, 1.0), (240.0, 1.0), (120.0, 4.0), (240.0, 8.0)])
def test_flight_clock_reads_the_slowdown_on_exact_landmarks(style, fps, slow):
    """A simulated sprint (real time, or its times stretched as a slowed export) gives back
    its slow-down from the fall in flight within 10 %; 60 fps real time too."""
    pose, _gt = truth_pose(style=style, fps=fps, seconds=3.0)
    slowed = pose.retimed(1.0 / slow)
    kin, events, *_ = analyze_kinematics(slowed)
    factor, flights = flight_slowdown(kin, events, slowed.times)
    assert flights >= 8
    assert factor == pytest.approx(slow, rel=0.1)


def test_flight_clock_needs_flights():
    pose, _gt = truth_pose(style=1.0, fps=60.0, seconds=3.0)
    kin, events, *_ = analyze_kinematics(pose)
    assert math.isnan(flight_slowdown(kin, (), pose.times)[0])
    assert math.isnan(flight_slowdown(kin, events[:3], pose.times)[0])
    # a taller athlete given: the same fall in pixels is more metres, so less slowed
    f175 = flight_slowdown(kin, events, pose.times)[0]
    f195 = flight_slowdown(kin, events, pose.times, stature_m=1.95)[0]
    assert f195 == pytest.approx(f175 * math.sqrt(1.75 / 1.95), rel=1e-6)


def test_repeated_frames_are_retimed_when_the_timing_is_implausible():
    c = check_time(3.0, (2.8, 9), None, implausible=True)
    assert c.retime == 3.0 and not c.slowed and "3x faster" in c.notes[0]
    assert check_time(3.0, (float("nan"), 1), None, implausible=True).retime == 3.0
    # repeats that only pad the frame rate (the running is real-time): no re-timing
    pad = check_time(2.0, (1.05, 10), None, implausible=False)
    assert pad.retime == 1.0 and not pad.slowed and "unique frames" in pad.notes[0]
    # the user's --slowmo wins over the repeats
    assert check_time(3.0, (3.0, 10), 3.0, implausible=True).retime == 1.0


def test_slowed_clip_is_flagged_with_its_factor_never_silently():
    c = check_time(1.0, (4.1, 10), None, implausible=True)
    assert c.slowed and c.retime == 1.0
    assert "--slowmo 4.1" in c.notes[0]
    # no clock: still flagged, without a factor
    c = check_time(1.0, (float("nan"), 1), None, implausible=True)
    assert c.slowed and "--slowmo" in c.notes[0] and "too few or too short" in c.notes[0]
    # a --slowmo that was too small: the total factor is named
    c = check_time(1.0, (2.0, 10), 4.0, implausible=True)
    assert c.slowed and "--slowmo 8.0" in c.notes[0]
    # repeats that do not explain the slow-down
    c = check_time(2.0, (8.0, 10), None, implausible=True)
    assert c.retime == 1.0 and c.slowed and "--slowmo 8.0" in c.notes[-1]
    assert SLOWED_FACTOR > 1.3


def test_real_time_running_is_never_questioned_whatever_the_clock_reads():
    """On MediaPipe landmarks at 240 fps the clock read 1.9 on a real-time clip: plausible
    running is trusted."""
    c = check_time(1.0, (1.9, 7), None, implausible=False)
    assert not c.slowed and not c.notes and c.retime == 1.0


def test_implausible_for_real_time():
    from dataclasses import fields

    from posecheck.gait.strides import Stride

    def stride(contact, flight, freq):
        vals = {f.name: (float("nan") if f.type in (float, "float") else -1) for f in fields(Stride)}
        vals.update(side="left", phase="", contact_time_s=contact, flight_time_s=flight,
                    step_frequency_hz=freq)
        return Stride(**vals)

    assert not implausible_for_real_time([stride(0.09, 0.13, 4.6)] * 5)
    assert not implausible_for_real_time([stride(0.25, 0.1, 2.9)] * 5)    # a jog
    assert implausible_for_real_time([stride(0.18, 0.26, 2.3)] * 5)       # half speed
    assert implausible_for_real_time([stride(0.35, 0.5, 1.2)] * 5)
    # missed touchdowns: tiny contacts, flights of a second: the events are wrong, not time
    assert not implausible_for_real_time([stride(0.03, 1.0, 0.9)] * 5)
    assert not implausible_for_real_time([])


def test_flight_clock_takes_the_camera_shake_out():
    """A hand-held camera's shake (±30 px at 2.3 Hz) accelerates the whole picture by three
    g in pixels (partly absorbed by each flight's own vertical speed); with the background's
    measured motion the clock reads what it reads on the steady clip."""
    from dataclasses import replace

    pose, _gt = truth_pose(style=1.0, fps=120.0, seconds=3.0)
    kin, events, *_ = analyze_kinematics(pose)
    dy = 30.0 * np.sin(2 * np.pi * 2.3 * pose.times)
    xy = np.array(kin.xy, dtype=np.float64)
    xy[..., 1] += dy[:, None]
    shaken = replace(kin, xy=xy)
    steady = flight_slowdown(kin, events, pose.times)[0]
    blind = flight_slowdown(shaken, events, pose.times)[0]
    fixed = flight_slowdown(shaken, events, pose.times, background_dy=dy)[0]
    assert steady == pytest.approx(1.0, rel=0.1)
    assert abs(blind / steady - 1.0) > 0.05              # the shake does harm
    assert fixed == pytest.approx(steady, rel=1e-9)
    with pytest.raises(ValueError, match="background_dy"):
        flight_slowdown(kin, events, pose.times, background_dy=dy[:-1])
