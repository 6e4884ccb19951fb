"""posecheck.compare.metrics (metric deltas, stride-cycle curves, alignment), the side-by-side video's
time line, the comparison report and ``posecheck compare`` end to end on the sample clips."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import av
import numpy as np
import pytest

from posecheck.compare import metrics as cmp
from posecheck.compare.sidebyside import sync_plan
from posecheck.gait.strides import Stride
from posecheck.types import N_LANDMARKS, Analysis, Angles, GaitEvent, PoseSequence, VideoInfo

ROOT = Path(__file__).resolve().parents[2]
FRONT = ROOT / "sample_videos" / "front_side_60fps.mp4"
BACK = ROOT / "sample_videos" / "back_kick_60fps.mp4"


# -- synthetic analyses ---------------------------------------------------------------------

def _stride(side: str, t0: float, period: float = 0.5, **values) -> Stride:
    """A stride from toe-off t0 (swing 60 % of the cycle) with the given metric values."""
    base = {f.name: float("nan") for f in fields(Stride) if f.type in ("float", float)}
    base.update({f.name: -1 for f in fields(Stride) if f.type in ("int", int)})
    fps = 100.0
    base.update(side=side, toe_off_s=t0, toe_off_frame=int(round(t0 * fps)),
                touchdown_s=t0 + 0.6 * period, touchdown_frame=int(round((t0 + 0.6 * period) * fps)),
                next_toe_off_s=t0 + period)
    base.update(values)
    return Stride(**base)


def synthetic(values: dict[str, list[float]], fps: float = 100.0, n: int = 400,
              knee_offset: float = 0.0, name: str = "clip.mp4") -> Analysis:
    """Analysis whose strides carry ``values`` (metric -> per-stride list, alternating legs);
    the knee angle is a 2 Hz cosine (+ offset) so each stride cycle has a known shape."""
    t = np.arange(n) / fps
    period = 0.5
    k = len(next(iter(values.values())))
    strides = tuple(_stride(("left", "right")[i % 2], 0.1 + i * 0.25, period,
                            **{m: v[i] for m, v in values.items()}) for i in range(k))
    knee1 = 60 + 40 * np.cos(2 * np.pi * (t - 0.1) / period) + knee_offset
    knee2 = 60 + 40 * np.cos(2 * np.pi * (t - 0.35) / period) + knee_offset
    knee = np.stack([knee1, knee2], axis=1)
    pose = PoseSequence(xy=np.zeros((n, N_LANDMARKS, 2)), z=np.zeros((n, N_LANDMARKS)),
                        visibility=np.ones((n, N_LANDMARKS)), presence=np.ones((n, N_LANDMARKS)),
                        world=np.zeros((n, N_LANDMARKS, 3)), times=t, frame_size=(64, 48))
    video = VideoInfo(name, 64, 48, fps, n, n / fps, 0, "h264", "yuv420p")
    events = tuple(GaitEvent(s.side, "touchdown", s.touchdown_s, s.touchdown_frame) for s in strides)
    return Analysis(video=video, pose=pose, angles=Angles(knee, knee * 0.5, 1), config=None,
                    events=events, strides=strides)


RNG = np.random.default_rng(7)


def test_better_worse_and_no_preferred_direction():
    noise = lambda: RNG.normal(0, 3, 10)  # noqa: E731
    before = synthetic({"thigh_at_peak_knee_deg": -15 + noise(), "peak_thigh_deg": 70 + noise(),
                        "knee_flexion_to_deg": 20 + noise(), "contact_time_s": 0.1 + noise() / 100,
                        "hip_flexion_at_peak_knee_deg": -10 + noise()})
    after = synthetic({"thigh_at_peak_knee_deg": 25 + noise(), "peak_thigh_deg": 55 + noise(),
                       "knee_flexion_to_deg": 40 + noise(), "contact_time_s": 0.1 + noise() / 100,
                       "hip_flexion_at_peak_knee_deg": 30 + noise()})
    c = cmp.compare(before, after)
    thigh = c.metric("thigh_at_peak_knee_deg")
    assert thigh.better == "higher" and thigh.assessment == "better" and thigh.beyond_variation
    assert thigh.delta == pytest.approx(thigh.after.mean - thigh.before.mean)
    assert 30 < thigh.delta < 50 and thigh.p_value < 1e-6
    # knee lift has published values but no direction (not related to top speed)
    assert c.metric("peak_thigh_deg").assessment == "changed"
    # report-only metrics: a large change is "changed", never better/worse
    knee_to = c.metric("knee_flexion_to_deg")
    assert knee_to.better is None and knee_to.assessment == "changed"
    assert "no preferred direction" in knee_to.wording
    assert c.metric("contact_time_s").assessment == "no change beyond variation"
    # per leg: 5 strides each side
    left = c.metric("thigh_at_peak_knee_deg", "left")
    assert left.before.n == 5 and left.after.n == 5 and left.assessment == "better"
    # the summary metric exists even without a verdict; front-side score is better too
    assert c.metric("front_side_score").assessment == "better"


def test_change_within_stride_variation_is_not_called_a_change():
    # means differ by 2°, strides scatter by ~10°: no change beyond variation
    a = synthetic({"thigh_at_peak_knee_deg": 10 + 10 * RNG.standard_normal(12)})
    b = synthetic({"thigh_at_peak_knee_deg": 12 + 10 * RNG.standard_normal(12)})
    m = cmp.compare(a, b).metric("thigh_at_peak_knee_deg")
    assert m.assessment == "no change beyond variation" and m.beyond_variation is False
    # a significant but tiny shift (many strides, |delta| < pooled SD) is not enough either
    big_a = synthetic({"peak_thigh_deg": 70 + 5 * RNG.standard_normal(400)}, n=12000)
    big_b = synthetic({"peak_thigh_deg": 72 + 5 * RNG.standard_normal(400)}, n=12000)
    m = cmp.compare(big_a, big_b).metric("peak_thigh_deg")
    assert m.p_value < 0.01 and abs(m.delta) < m.pooled_sd
    assert m.assessment == "no change beyond variation"
    # a single stride cannot be tested
    one = synthetic({"peak_thigh_deg": [60.0]})
    m = cmp.compare(one, big_b).metric("peak_thigh_deg")
    assert m.assessment == "not enough strides" and m.beyond_variation is None


def test_identical_clips_show_no_change_and_files_are_strict():
    a = synthetic({"thigh_at_peak_knee_deg": RNG.normal(0, 5, 8),
                   "step_over_shank": RNG.normal(0, 0.2, 8)})
    c = cmp.compare(a, a, before_name="x.mp4", after_name="x.mp4")
    assert {m.assessment for m in c.metrics} <= {"no change beyond variation",
                                                  "not enough strides"}
    assert c.metric("step_over_shank").delta == 0
    d = json.loads(c.to_json())  # allow_nan=False: NaN became null
    assert d["metrics"][0]["metric"] == "front_side_score"
    assert "Welch" in d["method"]["beyond_variation"]
    rows = c.to_csv().splitlines()
    assert rows[0].startswith("metric,label,unit,side,better,")
    assert len(rows) == 1 + 3 * len(cmp.METRICS)
    assert any(",no preferred direction," in r for r in rows)


def test_stride_cycle_curves_are_normalised_toe_off_to_toe_off():
    a = synthetic({"peak_thigh_deg": [70.0] * 8})
    curves, tds = cmp.cycles(a, "knee_flexion", "both")
    assert curves.shape == (8, cmp.CYCLE_POINTS)
    np.testing.assert_allclose(tds, 60.0)
    # each leg's knee is a cosine with its maximum at its own toe-off: 0 % and 100 % = 100°,
    # 50 % = 20°, whatever the leg
    expect = 60 + 40 * np.cos(2 * np.pi * np.linspace(0, 1, cmp.CYCLE_POINTS))
    np.testing.assert_allclose(curves, np.broadcast_to(expect, curves.shape), atol=0.8)
    b = synthetic({"peak_thigh_deg": [70.0] * 8}, knee_offset=10.0)
    c = cmp.compare(a, b)
    cb, ca = c.curve("before", "knee_flexion"), c.curve("after", "knee_flexion")
    assert cb.n == ca.n == 8 and ca.pct[0] == 0 and ca.pct[-1] == 100
    np.testing.assert_allclose(ca.mean - cb.mean, 10.0, atol=1e-6)
    assert np.all(cb.sd < 1.0)
    assert c.curve("before", "thigh") is None  # no kinematics in these analyses


def test_default_alignment_same_leg_first_touchdown():
    a = synthetic({"peak_thigh_deg": [70.0] * 6})
    b = synthetic({"peak_thigh_deg": [70.0] * 6})
    eb, ea = cmp.default_alignment(a, b)
    assert eb.side == ea.side == "left" and eb.time_s == pytest.approx(0.4)
    eb, ea = cmp.default_alignment(a, b, side="right", index=1)
    assert eb.side == "right" and eb.time_s == pytest.approx(0.1 + 3 * 0.25 + 0.3)


def test_sync_plan_mixed_frame_rates_nearest_frame_in_real_time():
    tb = np.arange(120) / 60.0          # 2 s at 60 fps, touchdown at 0.5 s
    ta = np.arange(90) / 30.0           # 3 s at 30 fps, touchdown at 1.2 s
    p = sync_plan(tb, ta, 0.5, 1.2)
    assert p.fps == 60.0 and p.slow == 1.0
    # the output spans from 1.2 s before the touchdown (after-clip start) to the later end
    assert p.offset_s[0] == pytest.approx(-1.2) and p.offset_s[-1] == pytest.approx(89 / 30 - 1.2, abs=1 / 60)
    k = int(np.argmin(np.abs(p.offset_s)))           # the touchdown instant
    assert tb[p.rows_before[k]] == pytest.approx(0.5) and ta[p.rows_after[k]] == pytest.approx(1.2)
    # every shown frame is the nearest one in real time
    for k in range(p.times.size):
        if p.live_before[k]:
            assert abs(tb[p.rows_before[k]] - (0.5 + p.offset_s[k])) <= 1 / 120 + 1e-9
        if p.live_after[k]:
            assert abs(ta[p.rows_after[k]] - (1.2 + p.offset_s[k])) <= 1 / 60 + 1e-9
    assert not p.live_before[0] and p.live_after[0]    # the before clip has not started
    assert p.rows_before[0] == 0
    # slowed down 4x: output runs 4x longer at 60/4 = 15 fps
    q = sync_plan(tb, ta, 0.5, 1.2, slow=4.0)
    assert q.fps == 15.0 and q.duration_s == pytest.approx(4 * p.duration_s, abs=0.1)


# -- the sample clips through ``posecheck compare`` -----------------------------------------

@pytest.fixture(scope="module")
def cli_compare(tmp_path_factory):
    """``posecheck compare BACK FRONT --out DIR`` (lite); also keeps the two analyses."""
    from posecheck import cli, pipeline

    out = tmp_path_factory.mktemp("cmp") / "out"
    got = []
    real = pipeline.analyze_video
    mp = pytest.MonkeyPatch()
    mp.setattr(pipeline, "analyze_video",
               lambda *a, **k: got.append(real(*a, **k)) or got[-1])
    try:
        rc = cli.main(["compare", str(BACK), str(FRONT), "--out", str(out), "--model", "lite",
                       "--height", "360", "--quiet"])
    finally:
        mp.undo()
    return rc, out, got


def test_cli_compare_writes_everything(cli_compare):
    rc, out, analyses = cli_compare
    assert rc == 0 and len(analyses) == 2
    for name in ("comparison.csv", "comparison.json", "compare_curves.svg", "side_by_side.mp4",
                 "compare.html", "before_annotated.mp4", "after_annotated.mp4"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert not list(out.parent.glob(".*posecheck-tmp*"))  # staging folder gone
    svg = (out / "compare_curves.svg").read_text()
    assert svg.lstrip().startswith("<svg") and "% of stride" in svg
    html = (out / "compare.html").read_text()
    assert "<script" not in html.lower() and html.count("<svg") == 3
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "src='side_by_side.mp4'" in html and "back_kick_60fps.mp4" in html

    # side by side: H.264 yuv420p, two 360-line panels + the label bar, as long as the
    # aligned clips span (both 3 s at 60 fps, touchdowns a few frames apart)
    with av.open(str(out / "side_by_side.mp4")) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        w, h = s.codec_context.width, s.codec_context.height
        n = sum(1 for _ in c.decode(s))
        duration = float(c.duration) / 1e6
    assert (w, h) == (2 * 640, 360 + 2 * 14)
    before, after = analyses
    eb, ea = cmp.default_alignment(before, after)
    shift = abs(eb.time_s - ea.time_s)
    assert 3.0 <= duration <= 3.0 + shift + 0.05
    assert n == pytest.approx(60 * (3.0 + shift), abs=2)


def test_sample_clips_front_side_is_better_than_back_kick(cli_compare):
    _rc, out, _ = cli_compare
    d = json.loads((out / "comparison.json").read_text())
    rows = {(m["metric"], m["side"]): m for m in d["metrics"]}
    thigh = rows[("thigh_at_peak_knee_deg", "both")]
    assert thigh["better"] == "higher" and thigh["assessment"] == "better", thigh
    assert rows[("front_side_score", "both")]["assessment"] == "better"
    assert d["before"]["verdict"] == "back-side" and d["after"]["verdict"] == "front-side"
    assert rows[("knee_flexion_to_deg", "both")]["better"] is None
    assert {c["clip"] for c in d["curves"]} == {"before", "after"}


def test_a_sample_clip_compared_with_itself_shows_no_change(cli_compare):
    _rc, _out, (before, _after) = cli_compare
    c = cmp.compare(before, before)
    assert {m.assessment for m in c.metrics} <= {"no change beyond variation",
                                                  "not enough strides"}
    assert c.metric("thigh_at_peak_knee_deg").delta == 0
