"""Step frequency to the percent (``posecheck.gait.cadence``): a line through all the
touchdowns instead of the median of frame-quantised step times."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.gait.cadence import fit_cadence
from posecheck.pipeline import analyze_kinematics
from synthpose import ELITE, truth_pose


def _touchdowns(step_s, n=20, fps=None, t0=0.013, right_offset=0.0):
    """Alternating left/right touchdowns every ``step_s``, the right ones shifted by
    ``right_offset``, each rounded up to the next frame at ``fps`` (as a detector sees it)."""
    k = np.arange(n)
    sides = np.where(k % 2 == 0, "left", "right")
    t = t0 + k * step_s + np.where(sides == "right", right_offset, 0.0)
    if fps:
        t = np.ceil(t * fps) / fps
    return t, sides


@pytest.mark.parametrize("fps", [25.0, 30.0, 60.0, 240.0])
@pytest.mark.parametrize("freq", [2.815, 4.6, 4.9])
def test_frame_quantised_touchdowns_give_the_step_frequency_to_a_fraction_of_a_percent(fps, freq):
    t, sides = _touchdowns(1.0 / freq, fps=fps)
    c = fit_cadence(t, sides)
    assert c.step_frequency_hz == pytest.approx(freq, rel=0.003)
    assert c.n_touchdowns == t.size


def test_the_median_step_time_is_biased_by_frames_where_the_line_is_not():
    t, sides = _touchdowns(1 / 4.6, fps=30.0)
    # steps read as 6 or 7 frames; their median, 7 frames, is 4.29 steps/s (−6.8 %)
    assert 1.0 / np.median(np.diff(t)) == pytest.approx(30.0 / 7.0)
    assert fit_cadence(t, sides).step_frequency_hz == pytest.approx(4.6, rel=0.003)


def test_a_limping_rhythm_is_split_by_leg():
    t, sides = _touchdowns(0.22, right_offset=0.01)     # right steps 0.23 s, left 0.21 s
    c = fit_cadence(t, sides)
    assert c.left_step_time_s == pytest.approx(0.21, abs=1e-9)
    assert c.right_step_time_s == pytest.approx(0.23, abs=1e-9)
    assert c.to_dict()["right_step_frequency_hz"] == pytest.approx(1 / 0.23, rel=1e-4)


def test_missed_and_false_touchdowns_do_not_shift_the_count():
    t, sides = _touchdowns(1 / 4.6, n=16)
    t, sides = np.delete(t, 7), np.delete(sides, 7)       # one touchdown not detected
    t = np.append(t, t[3] + 0.09)                          # one false touchdown mid-step
    sides = np.append(sides, "left")
    c = fit_cadence(t, sides)
    assert c.step_frequency_hz == pytest.approx(4.6, rel=1e-6)
    assert c.n_touchdowns == 15


def _plain_least_squares_hz(t, sides):
    """The unweighted line ``t = a + k·P + δ·right`` through touchdowns with no gaps."""
    k = np.arange(t.size, dtype=float)
    A = np.column_stack([np.ones_like(k), k, (sides == "right").astype(float)])
    return 1.0 / np.linalg.lstsq(A, t, rcond=None)[0][1]


@pytest.mark.parametrize("fps", [60.0, 120.0, 240.0])
def test_a_scattered_far_foot_weighs_less_than_the_near_foot(fps):
    """Near foot timed to ±3 ms, far foot to ±20 ms (as on rendered sprinters): over many
    runs the per-foot weights bring the step frequency closer than the plain line does."""
    rng = np.random.default_rng(5)
    freq, weighted, plain = 4.6, [], []
    for _ in range(200):
        t, sides = _touchdowns(1.0 / freq, n=24)
        t = t + np.where(sides == "right", rng.normal(0, 0.020, t.size),
                         rng.normal(0, 0.003, t.size))
        t = np.round(t * fps) / fps
        weighted.append(fit_cadence(t, sides, 1.0 / fps).step_frequency_hz / freq - 1)
        plain.append(_plain_least_squares_hz(t, sides) / freq - 1)
    rms = lambda e: float(np.sqrt(np.mean(np.square(e))))  # noqa: E731
    assert rms(weighted) < 0.7 * rms(plain)
    assert rms(weighted) < 0.002


def test_feet_timed_alike_at_30_fps_give_the_plain_line():
    """At 30 fps both feet sit at the frame-quantisation floor: equal weights."""
    rng = np.random.default_rng(2)
    t, sides = _touchdowns(1 / 4.4, n=20)
    t = np.round((t + rng.normal(0, 0.003, t.size)) * 30.0) / 30.0
    assert fit_cadence(t, sides, 1 / 30.0).step_frequency_hz == pytest.approx(
        _plain_least_squares_hz(t, sides), rel=1e-9)


def test_too_few_or_one_sided_touchdowns_give_no_fit():
    t, sides = _touchdowns(0.2, n=3)
    assert fit_cadence(t, sides) is None
    t, _ = _touchdowns(0.2, n=8)
    assert fit_cadence(t, np.array(["left"] * 8)) is None
    with pytest.raises(ValueError):
        fit_cadence(t, np.array(["left"] * 7))


@pytest.mark.parametrize("fps", [30.0, 60.0, 240.0])
@pytest.mark.parametrize("run", [dict(style=1.0, **ELITE),
                                 dict(style=0.5, cadence=2.815, duty=0.36, speed=3.2)],
                         ids=["elite", "jog"])
def test_clip_step_frequency_within_one_percent(fps, run):
    """Exact landmarks with 1 px noise, 3 s steady runs: the summary's step frequency within
    1 % of the simulated one; per-stride values stay. The left/right split carries the
    near and far foot's touchdown timing difference (up to ~2.5 % on the jog)."""
    pose, _gt = truth_pose(fps=fps, seconds=3.0, noise=1.0, **run)
    _kin, _ev, strides, summary, _cues, _w = analyze_kinematics(pose)
    truth = run["cadence"]
    assert summary.key_metrics["step_frequency_hz"]["value"] == pytest.approx(truth, rel=0.01)
    assert summary.cadence["step_frequency_hz"] == summary.key_metrics["step_frequency_hz"]["value"]
    row = summary.left_right["step_frequency_hz"]
    assert row["left"] == pytest.approx(truth, rel=0.03) and row["right"] == pytest.approx(truth, rel=0.03)
    assert not row["flagged"]
    assert sum(np.isfinite(s.step_frequency_hz) for s in strides) >= 4


def test_the_step_frequency_line_says_value_touchdowns_and_error():
    from posecheck.report.review_data import cadence_text

    t, sides = _touchdowns(1 / 4.6, n=12, fps=60.0)
    c = fit_cadence(t, sides, 1 / 60.0).to_dict()
    line = cadence_text(c)
    value = float(line.split("step frequency: ")[1].split(" steps/s")[0])
    assert value == pytest.approx(4.6, rel=0.01)
    assert "steps/s (a line through 12 touchdowns, ±" in line and line.endswith(" %)")
    assert cadence_text({**c, "standard_error_pct": None}).endswith("12 touchdowns)")
    assert cadence_text(None) == ""
