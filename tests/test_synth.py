"""Tests of the synthetic sprinter generator (tools/synth). Offline, CPU, a few seconds."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.synth import SprintParams, params_from_dict, simulate  # noqa: E402
from tools.synth.body import ASSET_PATH, Body, BodyShape  # noqa: E402
from tools.synth.params import CameraParams  # noqa: E402

SMALL = dict(width=320, height=180, supersample=1)


@pytest.fixture(scope="module")
def front():
    return simulate(SprintParams(style=1.0, seconds=1.5, fps=240, **SMALL))


@pytest.fixture(scope="module")
def back():
    return simulate(SprintParams(style=0.0, seconds=1.5, fps=240, **SMALL))


@pytest.fixture(scope="module")
def mixed():
    return simulate(SprintParams(style=0.4, cadence=4.2, duty=0.23, seconds=1.5, fps=240,
                                 direction=-1, **SMALL))


def _sagittal(gt, pts):
    """World points (n, 3) -> (forward, up) in the running direction."""
    d = gt.params.direction
    return np.stack([d * pts[..., 0], pts[..., 1]], -1)


def _ang_down(v):
    return np.degrees(np.arctan2(v[..., 0], -v[..., 1]))


# ------------------------------------------------------------------ assets and body
def test_asset_is_compact_and_complete():
    assert ASSET_PATH.exists()
    assert ASSET_PATH.stat().st_size < 6e6
    assert (ASSET_PATH.parent / "NOTICE").read_text().count("CC0") >= 1
    b = Body(BodyShape(stature_m=1.75))
    body_v = b.verts_N[~b.is_eye]
    assert abs((body_v[:, 1].max() - body_v[:, 1].min()) - 1.75) < 1e-6
    assert abs(body_v[:, 1].min()) < 1e-9  # sole on the ground in the neutral stance


def test_neutral_stance_is_corrected():
    b = Body()
    pn = b.pivot_N
    for s in "LR":
        hip, knee, ankle = pn[b.si(f"thigh.{s}")], pn[b.si(f"shank.{s}")], pn[b.si(f"foot.{s}")]
        for a, c in ((hip, knee), (knee, ankle)):
            v = c - a
            assert abs(v[0]) < 1e-9 and abs(v[2]) < 1e-9 and v[1] < 0  # straight down
    sh = 0.5 * (pn[b.si("upperarm.L")] + pn[b.si("upperarm.R")])
    assert abs(sh[2] - pn[0, 2]) < 1e-9  # trunk line vertical


def test_shape_knobs_change_the_mesh():
    a, b = Body(BodyShape(muscle=0.5, weight=0.0)), Body(BodyShape(muscle=1.0, weight=0.9))
    assert np.abs(a.verts_N - b.verts_N).max() > 0.01


# ------------------------------------------------------------------ kinematics
def test_applied_angles_equal_skeleton_angles(front):
    gt, a3 = front, front.payload["frames"]["angles_3d"]
    b = gt.body
    Pw = gt.Pw
    for si, s in enumerate("LR"):
        hip = _sagittal(gt, Pw[:, b.si(f"thigh.{s}")])
        knee = _sagittal(gt, Pw[:, b.si(f"shank.{s}")])
        ankle = _sagittal(gt, Pw[:, b.si(f"foot.{s}")])
        thigh = _ang_down(knee - hip)
        shank_distal = _ang_down(ankle - knee)
        np.testing.assert_allclose(thigh, a3["thigh"][:, si], atol=1e-6)
        np.testing.assert_allclose(thigh - shank_distal, a3["knee_flexion"][:, si], atol=1e-6)
        # 3D interior angle agrees too: the leg moves in a sagittal plane
        P3 = [Pw[:, b.si(f"{n}.{s}")] for n in ("thigh", "shank", "foot")]
        u, v = P3[0] - P3[1], P3[2] - P3[1]
        inter = np.degrees(np.arccos(np.sum(u * v, 1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)))
        np.testing.assert_allclose(180 - inter, a3["knee_flexion"][:, si], atol=1e-6)
    hip_mid = _sagittal(gt, 0.5 * (Pw[:, b.si("thigh.L")] + Pw[:, b.si("thigh.R")]))
    sh_mid = _sagittal(gt, 0.5 * (Pw[:, b.si("upperarm.L")] + Pw[:, b.si("upperarm.R")]))
    lean = np.degrees(np.arctan2((sh_mid - hip_mid)[:, 0], (sh_mid - hip_mid)[:, 1]))
    np.testing.assert_allclose(lean, a3["trunk_lean"], atol=1e-6)
    np.testing.assert_allclose(a3["hip_flexion"], a3["thigh"] + lean[:, None], atol=1e-6)


def test_skinned_mesh_follows_the_skeleton(front):
    gt, b = front, front.body
    shank = b.si("shank.L")
    rigid = np.nonzero((b.skin_idx[:, 0] == shank) & (b.skin_w[:, 0] > 0.999))[0]
    assert len(rigid) > 20
    dists = []
    for i in (0, 50, 100, 200):
        V = b.skin(gt.Qw[i], gt.Pw[i])
        knee, ankle = gt.Pw[i, shank], gt.Pw[i, b.si("foot.L")]
        dists.append(np.stack([np.linalg.norm(V[rigid] - knee, axis=1),
                               np.linalg.norm(V[rigid] - ankle, axis=1)]))
    for d in dists[1:]:
        np.testing.assert_allclose(d, dists[0], atol=1e-9)


def test_2d_angles_match_independent_recomputation(front):
    fr = front.payload["frames"]
    px = {k: np.asarray(v) for k, v in fr["points_px"].items()}
    d = front.params.direction
    a2 = fr["angles_2d"]
    up = lambda v: np.stack([d * v[:, 0], -v[:, 1]], 1)  # noqa: E731  (forward, up)
    sh = up(0.5 * (px["shoulder.L"] + px["shoulder.R"]))
    hm = up(0.5 * (px["hip.L"] + px["hip.R"]))
    for si, s in enumerate("LR"):
        h, k, a = up(px[f"hip.{s}"]), up(px[f"knee.{s}"]), up(px[f"ankle.{s}"])
        l_hk, l_ka, l_ha = (np.linalg.norm(x, axis=1) for x in (k - h, a - k, a - h))
        interior = np.degrees(np.arccos((l_hk**2 + l_ka**2 - l_ha**2) / (2 * l_hk * l_ka)))
        np.testing.assert_allclose(a2["knee_flexion"][:, si], 180 - interior, atol=1e-6)
        thigh = np.degrees(np.arctan2((k - h)[:, 0], -(k - h)[:, 1]))
        trunk = np.degrees(np.arctan2((hm - sh)[:, 0], -(hm - sh)[:, 1]))
        np.testing.assert_allclose(a2["thigh"][:, si], thigh, atol=1e-6)
        hip_flex = (thigh - trunk + 180) % 360 - 180
        np.testing.assert_allclose(a2["hip_flexion"][:, si], hip_flex, atol=1e-6)
        shin = np.degrees(np.arctan2((k - a)[:, 0], (k - a)[:, 1]))
        np.testing.assert_allclose(a2["shank"][:, si], shin, atol=1e-6)
    # a near side-on camera: image angles close to the applied 3D angles
    a3 = fr["angles_3d"]
    assert np.median(np.abs(np.asarray(a2["knee_flexion"]) - a3["knee_flexion"])) < 4.0
    assert np.median(np.abs(np.asarray(a2["hip_flexion"]) - a3["hip_flexion"])) < 4.0


@pytest.mark.parametrize("style", ["front", "back", "mixed"])
def test_events_agree_with_foot_height(style, request):
    gt = request.getfixturevalue(style)
    fr = gt.payload["frames"]
    h_toe = gt.body.markers_N["toe.L"][1][1]
    contact = np.asarray(fr["contact"])
    t = fr["time"]
    ev = gt.payload["events"]
    assert {e["type"] for e in ev} == {"touchdown", "toe_off"}
    assert contact.any() and (~contact).any()
    for si, s in enumerate("LR"):
        toe_y = gt.world_pts[f"toe.{s}"][:, 1]
        low = np.minimum(toe_y, gt.world_pts[f"heel.{s}"][:, 1])
        c = contact[:, si]
        np.testing.assert_allclose(toe_y[c], h_toe, atol=1e-6)      # toe tip on the ground
        assert low.min() > -0.005                                   # never through the ground
        side = "left" if s == "L" else "right"
        evt = np.array([e["time"] for e in ev if e["side"] == side])
        gap = np.min(np.abs(t[:, None] - evt[None, :]), axis=1)
        assert np.all(low[~c & (gap > 0.012)] > h_toe + 0.001)      # lifted when not in contact
        assert np.all(low[~c & (gap > 0.030)] > h_toe + 0.005)      # ... clearly, mid-swing
        for e in ev:
            if e["side"] == side and e["frame"] < len(c):
                want = e["type"] == "touchdown"      # first frame at/after the event
                assert c[e["frame"]] == want
                if e["frame"] > 0:
                    assert c[e["frame"] - 1] != want
    # flight phases exist: both feet off the ground
    assert np.any(~contact[:, 0] & ~contact[:, 1])


@pytest.mark.parametrize("style", ["front", "back", "mixed"])
def test_stance_foot_does_not_slide(style, request):
    gt = request.getfixturevalue(style)
    contact = np.asarray(gt.payload["frames"]["contact"])
    n_checked = 0
    for si, s in enumerate("LR"):
        toe = gt.world_pts[f"toe.{s}"]
        c = contact[:, si]
        starts = np.nonzero(np.diff(c.astype(int)) == 1)[0] + 1
        for st in starts:
            end = st
            while end < len(c) and c[end]:
                end += 1
            seg = toe[st:end]
            assert np.abs(seg - seg[0]).max() < 1e-6
            n_checked += 1
    assert n_checked >= 2


def test_styles_differ_as_documented(front, back):
    f = [s for s in front.payload["strides"]]
    b = [s for s in back.payload["strides"]]
    assert f and b

    def mean(strides, key):
        return float(np.mean([s[key] for s in strides if s[key] is not None]))

    assert abs(mean(f, "peak_thigh") - 80) < 4 and abs(mean(b, "peak_thigh") - 55) < 4
    assert mean(f, "thigh_at_peak_knee") > 15 > 0 > mean(b, "thigh_at_peak_knee")
    assert mean(f, "step_over_shank_lengths") > 0 > mean(b, "step_over_shank_lengths")
    ko_f = np.mean([s["toe_off"]["knee_flexion"] for s in f])
    ko_b = np.mean([s["toe_off"]["knee_flexion"] for s in b])
    assert ko_f < 16 and ko_b > ko_f + 10


def test_direction_and_near_side():
    p = SprintParams(style=1.0, seconds=0.5, fps=60, **SMALL)
    r = simulate(p)
    l_ = simulate(replace(p, direction=-1))
    assert r.payload["near_side"] == "right" and l_.payload["near_side"] == "left"
    dr = r.payload["frames"]["points_depth_m"]
    dl = l_.payload["frames"]["points_depth_m"]
    assert np.all(np.asarray(dr["hip.R"]) < np.asarray(dr["hip.L"]))
    assert np.all(np.asarray(dl["hip.L"]) < np.asarray(dl["hip.R"]))
    # mirrored runs give the same image angles
    np.testing.assert_allclose(r.payload["frames"]["angles_2d"]["knee_flexion"],
                               l_.payload["frames"]["angles_2d"]["knee_flexion"], atol=1.0)
    x = np.asarray(r.payload["frames"]["root_world_m"])[:, 0]
    assert x[-1] > x[0]


def test_params_round_trip():
    p = SprintParams(style=0.3, camera=CameraParams(mode="track", shake=0.5), seed=4)
    q = params_from_dict(json.loads(json.dumps(p.to_dict())))
    assert q == p


# ------------------------------------------------------------------ rendering
def test_small_render_is_deterministic_and_shows_a_person(tmp_path):
    from tools.synth.render import render_clip

    p = SprintParams(style=1.0, seconds=10 / 60, fps=60, width=320, height=180,
                     supersample=2, seed=3, camera=CameraParams(shake=0.3))
    out1, out2 = tmp_path / "a.mp4", tmp_path / "b.mp4"
    render_clip(p, out1)
    render_clip(p, out2)
    h = [hashlib.sha256(x.read_bytes()).hexdigest() for x in (out1, out2)]
    assert h[0] == h[1]
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    gtj = json.loads((tmp_path / "a.json").read_text())
    assert gtj["n_frames"] == 10 and len(gtj["frames"]["time"]) == 10

    import av

    with av.open(str(out1)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 10 and frames[0].shape == (180, 320, 3)


def test_render_frame_has_person_pixels():
    from tools.synth.render import Renderer

    p = SprintParams(style=0.0, seconds=2 / 60, fps=60, width=320, height=180, supersample=1)
    gt = simulate(p)
    r = Renderer(gt)
    img = r.frame(0)
    person = r.idbuf >= 0
    assert 800 < person.sum() < 0.5 * person.size
    ys, xs = np.nonzero(person)
    # the person's bounding box contains the projected hips and ankles
    for k in ("hip.L", "ankle.R"):
        u, v = gt.px[k][0]
        assert xs.min() - 2 <= u <= xs.max() + 2 and ys.min() - 2 <= v <= ys.max() + 2
    # skin, shirt colours appear; image not flat
    assert img.std() > 20
    occ = r.occlusion(0)
    assert set(occ) == set(gt.px)


@pytest.mark.parametrize("style", ["front", "back", "mixed"])
def test_foot_lands_with_a_downward_velocity(style, request):
    """The swing toe comes down onto the track (about 1 m/s down, moving backward relative
    to the hip) instead of gliding in at zero velocity, and lands 0.3–0.45 leg lengths ahead
    of the hip (docs/synthetic_sprinter.md)."""
    gt = request.getfixturevalue(style)
    d, t = gt.params.direction, gt.times
    leg = gt.cycle.L1 + gt.cycle.L2
    hip = 0.5 * (gt.world_pts["hip.L"] + gt.world_pts["hip.R"])
    n_checked = 0
    for e in gt.payload["events"]:
        if e["type"] != "touchdown" or not 2 <= e["frame"] < len(t):
            continue
        s = "L" if e["side"] == "left" else "R"
        toe = gt.world_pts[f"toe.{s}"]
        i = e["frame"]
        j = i - 1 if e["time"] - t[i - 1] > 1e-3 else i - 2      # last swing frame
        vy = (toe[j, 1] - toe[j - 1, 1]) * gt.params.fps  # mean over the last swing frame
        v_rel = d * ((toe[j, 0] - toe[j - 1, 0]) - (hip[j, 0] - hip[j - 1, 0])) * gt.params.fps
        assert -4.0 < vy < -0.7                       # m/s, down (still decelerating)
        assert v_rel < -0.5 * gt.cycle.v              # backward relative to the hip
        ahead = d * (toe[i, 0] - hip[i, 0]) / leg
        assert 0.3 <= ahead <= 0.45
        n_checked += 1
    assert n_checked >= 2
    # the instant before touchdown, from the cycle itself: the designed landing velocity
    from tools.synth.motion import TOE_TD_DOWN_MPS, TOE_TD_FORWARD_MPS

    cyc = gt.cycle
    ts = np.array([cyc.T - 2e-4, cyc.T - 1e-4])
    a = cyc.legs["L"](ts)
    p = cyc._toe_to_contact(ts, a["thigh"], a["knee"], a["foot"] - (a["thigh"] - a["knee"]),
                            a["foot"] - a["toes"])
    v = (p[1] - p[0]) / 1e-4
    np.testing.assert_allclose(v, [TOE_TD_FORWARD_MPS, -TOE_TD_DOWN_MPS], atol=0.05)


def test_accelerating_sprinter_plants_its_feet_and_speeds_up():
    """tools/synth/acceleration.py: every contact's toe stays put (each step is an exact
    stance), contacts shorten, speed rises and the trunk rises towards upright."""
    from tools.synth.acceleration import AccelerationProfile, simulate_acceleration

    gt = simulate_acceleration(SprintParams(fps=240.0), AccelerationProfile(steps=12))
    ev = gt.payload["events"]
    t = gt.times
    for td, to in zip(ev[::2], ev[1::2]):
        assert td["type"] == "touchdown" and to["type"] == "toe_off" and td["side"] == to["side"]
        s = "L" if td["side"] == "left" else "R"
        inside = (t >= td["time"] + 1e-6) & (t <= to["time"] - 1e-6)
        toe = gt.world_pts[f"toe.{s}"][inside]
        assert np.ptp(toe[:, 0]) < 2e-3 and np.ptp(toe[:, 2]) < 2e-3  # planted (m)
    steps = gt.payload["steps"]
    assert steps[0]["contact_s"] > steps[-1]["contact_s"] + 0.04
    assert steps[-1]["speed"] > 2 * steps[0]["speed"]
    lean = np.asarray(gt.payload["frames"]["angles_3d"]["trunk_lean"])
    assert lean[0] > 40 and np.all(np.diff(lean) < 0)
