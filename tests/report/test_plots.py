"""Chart builders (posecheck.report.plots) and the self-contained HTML report, on synthetic data."""

from __future__ import annotations

import re

import numpy as np
import pytest

from posecheck.report import plots
from posecheck.types import N_LANDMARKS, Analysis, Angles, GaitEvent, PoseSequence, VideoInfo


def synthetic_analysis(n: int = 120, fps: float = 60.0, gap: slice | None = slice(40, 45),
                       events=()) -> Analysis:
    t = np.arange(n) / fps
    knee = np.stack([60 + 50 * np.sin(2 * np.pi * 2 * t), 60 + 50 * np.cos(2 * np.pi * 2 * t)], 1)
    hip = np.stack([30 + 40 * np.sin(2 * np.pi * 2 * t), 30 - 40 * np.sin(2 * np.pi * 2 * t)], 1)
    xy = np.full((n, N_LANDMARKS, 2), 100.0)
    if gap is not None:
        knee[gap] = np.nan
        hip[gap] = np.nan
        xy[gap] = np.nan
    pose = PoseSequence(xy=xy, z=np.zeros((n, N_LANDMARKS)), visibility=np.ones((n, N_LANDMARKS)),
                        presence=np.ones((n, N_LANDMARKS)), world=np.zeros((n, N_LANDMARKS, 3)),
                        times=t, frame_size=(320, 240), model="lite")
    video = VideoInfo("synthetic.mp4", 320, 240, fps, n, n / fps, 0, "h264", "yuv420p")
    return Analysis(video=video, pose=pose, angles=Angles(knee, hip, 1), config=None,
                    warnings=(), events=tuple(events))


def _line_layer(spec: dict) -> dict:
    return next(layer for layer in spec["layer"] if (layer.get("mark", {}) or {}).get("type",
                layer.get("mark")) == "line")


@pytest.mark.parametrize("joint, field", [("knee", "Knee"), ("hip", "Hip")])
def test_angle_chart_spec(joint, field):
    spec = plots.angle_chart(synthetic_analysis(), joint).to_dict()
    line = _line_layer(spec)
    enc = line["encoding"]
    assert enc["x"]["field"] == "time_s" and enc["x"]["type"] == "quantitative"
    assert enc["y"]["field"] == "angle_deg" and enc["y"]["scale"]["zero"] is False
    assert enc["color"]["field"] == "side"
    assert enc["color"]["scale"] == {"domain": ["left", "right"],
                                     "range": [plots.LEFT_HEX, plots.RIGHT_HEX]}
    assert enc["detail"]["field"] == "segment"
    assert spec["title"]["text"].startswith(field)
    assert spec["width"] == "container"


def test_angles_frame_breaks_lines_at_gaps():
    df = plots.angles_frame(synthetic_analysis(n=100, gap=slice(40, 45)), "knee")
    assert len(df) == 2 * 95 and df["angle_deg"].notna().all()
    left = df[df.side == "left"]
    assert left["segment"].nunique() == 2  # before and after the gap
    assert set(left[left.frame < 40]["segment"]) != set(left[left.frame >= 45]["segment"])


def test_events_and_current_time_rules():
    ev = [GaitEvent("left", "touchdown", 0.5, 30), GaitEvent("right", "toe_off", 0.8, 48)]
    a = synthetic_analysis(events=ev)
    charts = plots.angle_charts(a, current_time=1.0)
    spec = charts["knee"].to_dict()
    rules = [layer for layer in spec["layer"] if "rule" in str(layer.get("mark"))]
    assert len(rules) == 2
    ev_rule = next(r for r in rules if "strokeDash" in r["encoding"])
    assert ev_rule["encoding"]["strokeDash"]["field"] == "event"
    data = spec["datasets"]
    assert any(len(v) == 2 and {"touchdown", "toe-off"} == {r["event"] for r in v}
               for v in data.values())
    assert plots.analysis_events(a)[0] == {"time_s": 0.5, "side": "left", "kind": "touchdown",
                                           "frame": 30}
    # events=() switches them off
    spec = plots.angle_charts(a, events=())["hip"].to_dict()
    assert "layer" not in spec or len(spec["layer"]) == 1
    with pytest.raises(ValueError):
        plots.events_frame([{"time_s": 1.0}])
    with pytest.raises(ValueError):
        plots.angle_chart(a, "ankle")


def test_to_svg_handles_more_rows_than_altairs_limit():
    pytest.importorskip("vl_convert")
    a = synthetic_analysis(n=6000, fps=240.0)  # 12 000 rows > altair's 5000-row limit
    svg = plots.to_svg(plots.angle_chart(a, "knee", width=500, height=150))
    assert svg.lstrip().startswith("<svg") and "Time (s)" in svg
    assert plots.LEFT_HEX.lower() in svg.lower() and plots.RIGHT_HEX.lower() in svg.lower()


def test_html_report_is_self_contained_without_the_clip():
    pytest.importorskip("vl_convert")
    from posecheck.report.html_report import angle_summary, build_report

    a = synthetic_analysis()
    html = build_report(a, clip_name="<b>my clip</b>.mp4",
                        sections=[("Verdict", "<p>front-side</p>")])
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 2
    assert "&lt;b&gt;my clip&lt;/b&gt;.mp4" in html  # names are escaped
    assert "<h2>Verdict</h2><p>front-side</p>" in html
    assert "No key frames" in html  # the clip file does not exist: no frames, no crash
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    rows = angle_summary(a)
    assert rows[0]["leg"] == "left" and rows[0]["peak_knee_flexion_deg"] == pytest.approx(110, abs=1)


def test_importing_posecheck_does_not_import_streamlit():
    import subprocess
    import sys

    code = ("import sys, posecheck, posecheck.report.plots, posecheck.report.html_report, posecheck.ui, "
            "posecheck.ui.exports, posecheck.report.frames, posecheck.ui.storage, "
            "posecheck.ui.settings, posecheck.report.review_data, posecheck.compare.metrics, "
            "posecheck.compare.report, posecheck.compare.run, posecheck.compare.sidebyside; print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_left_and_right_angle_labels_of_coinciding_joints_do_not_overlap():
    """Side-on, both hips sit on the same pixel: the left hip's label box ends above the
    joint and the right one's starts below it (they overlapped by a few pixels before)."""
    import cv2

    from posecheck.report.annotate import label_baseline

    for font_scale in (0.34, 0.45, 0.9, 1.6):
        (_tw, th), base = cv2.getTextSize("L hip +32", cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                                          max(1, int(round(font_scale * 2))))
        y_left = label_baseline(400, above=True, text_h=th, base=base)
        y_right = label_baseline(400, above=False, text_h=th, base=base)
        left_box = (y_left - th - 4, y_left + base + 2)     # as annotate._label draws it
        right_box = (y_right - th - 4, y_right + base + 2)
        assert left_box[1] < 400 < right_box[0]
        assert right_box[0] - left_box[1] <= 4  # still next to the joint


def _boxes(places, labels, font_scale):
    import cv2

    out = []
    for (x, y, tw), (text, _p, _l) in zip(places, labels):
        (_tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                                          max(1, int(round(font_scale * 2))))
        out.append((x - 3, y - th - 4, x + tw + 3, y + base + 2))  # as annotate._label draws it
    return out


def test_angle_labels_of_a_small_athlete_are_stacked_behind_them_without_overlapping():
    """A runner 120 px tall in a race clip: the knee is ~30 px below the hip, so the labels
    placed beside their joints would overlap (they did, unreadably, on a rendered race);
    they are stacked in a column behind the runner. A large runner keeps the placement
    beside each joint."""
    from posecheck.report.annotate import label_baseline, label_places

    import cv2

    font_scale, gap = 0.45, 10
    small = [("L hip +85", (500, 300), True), ("L knee 40", (510, 330), True),
             ("R hip -29", (498, 301), False), ("R knee 112", (488, 333), False)]
    beside = []  # each label beside its own joint, as for a large runner: they collide
    for text, (jx, jy), left in small:
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        beside.append((jx - gap - tw, label_baseline(jy, above=left, text_h=th, base=base), tw))
    b0 = _boxes(beside, small, font_scale)
    assert any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
               for i, a in enumerate(b0) for b in b0[:i])
    for direction in (1, -1):
        places = label_places(small, font_scale, gap, direction)
        boxes = _boxes(places, small, font_scale)
        assert not any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                       for i, a in enumerate(boxes) for b in boxes[:i])
        if direction > 0:   # behind the runner: left of every joint when running right
            assert all(b[2] <= 488 for b in boxes)
        else:
            assert all(b[0] >= 510 for b in boxes)
        assert [p[1] for p in places] == sorted(p[1] for p in places)  # in the given order
    big = [("L hip +85", (500, 300), True), ("L knee 40", (540, 520), True),
           ("R hip -29", (498, 301), False), ("R knee 112", (470, 525), False)]
    for (text, (jx, jy), left), (x, y, tw) in zip(big, label_places(big, font_scale, gap, 1)):
        (w, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        assert (x, y) == (jx - gap - tw, label_baseline(jy, above=left, text_h=th, base=base))
