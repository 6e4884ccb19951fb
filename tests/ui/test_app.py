"""The Streamlit app with ``streamlit.testing.v1.AppTest``, and its plain-Python helpers.

AppTest runs ``app.py`` in this process: uploads go through ``file_uploader.set_value``; the
app's work folder is a tmp dir (``POSECHECK_APP_DIR``); ``analyze_video`` calls are counted
to check that reruns and new sessions hit ``st.cache_data`` instead of re-analysing.
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from posecheck.ui import storage  # noqa: E402
from posecheck.ui.settings import Settings, suggested_slowmo  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_videos" / "front_side_60fps.mp4"


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """A clean work folder and cache; yields the list of (path, config) analyze_video got."""
    from posecheck import pipeline
    from posecheck.ui import st_run

    monkeypatch.setenv("POSECHECK_APP_DIR", str(tmp_path / "work"))
    st_run.clear_cache()
    calls: list[tuple[str, object]] = []
    real = pipeline.analyze_video

    def counting(path, config=None, progress=None):
        calls.append((str(path), config))
        return real(path, config, progress)

    monkeypatch.setattr(pipeline, "analyze_video", counting)
    yield calls
    st_run.clear_cache()


def new_app(model: str = "lite") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    at.sidebar.selectbox(key="model").set_value(model)
    at.run()
    return at


def upload(at: AppTest, name: str, data: bytes, mime: str = "video/mp4") -> AppTest:
    at.file_uploader(key="upload").set_value((name, data, mime))
    at.run()
    assert not at.exception, at.exception
    return at


def element_types(at: AppTest) -> list[str]:
    def walk(node):
        for child in getattr(node, "children", {}).values():
            yield child
            yield from walk(child)
    return [getattr(e, "type", "") or type(e).__name__ for e in walk(at._tree)]


def assert_results_shown(at: AppTest) -> None:
    assert not at.error, [e.value for e in at.error]
    types = element_types(at)
    assert "video" in types
    # knee and hip curves (the Compare tab adds stride-cycle charts once two clips are in)
    specs = [c.proto.spec for c in at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")]
    assert sum('"Time (s)"' in sp for sp in specs) == 2
    labels = {m.label for m in at.metric}
    assert {"Real time covered", "Athlete found in"} <= labels
    assert len([b for b in at.get("download_button") if not b.key.startswith("cmp-")]) == 7
    assert len(at.slider) == 1 and at.slider[0].label == "Frame"
    assert "image" in types  # the scrubber's frame
    assert {"Front-side index", "Confidence", "Strides"} <= labels  # the verdict card


# -- flows --------------------------------------------------------------------------------

def test_start_page(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "posecheck"
    assert "Upload a clip" in at.info[0].value
    from posecheck.config import DEFAULT_MODEL, MODEL_VARIANTS

    box = at.sidebar.selectbox(key="model")
    assert box.value == DEFAULT_MODEL
    assert len(box.options) == len(MODEL_VARIANTS)
    for mode, label in zip(MODEL_VARIANTS, box.options):
        assert label.startswith(f"{mode} – ")
    assert at.sidebar.number_input(key="slowmo").value == 1.0


def _library_sessions() -> list[dict]:
    import os

    from posecheck.library.store import Library

    with Library(os.environ["POSECHECK_LIBRARY"]) as lib:
        return lib.sessions()


def test_upload_shows_results_and_reruns_do_not_reanalyse(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_LIBRARY", str(tmp_path / "library.sqlite"))
    at = new_app()
    at.sidebar.text_input(key="athlete_name").set_value("Sam Sprinter").run()
    at = upload(at, "../../etc/My clip <1>.mp4", SAMPLE.read_bytes())
    assert_results_shown(at)
    assert len(app_env) == 1
    # the analysis is recorded in the library, under the sidebar's athlete name
    [rec] = _library_sessions()
    assert (rec["athlete"], rec["clip"], rec["source"]) == ("Sam Sprinter", "My clip <1>.mp4",
                                                            "app")
    assert rec["content_hash"] == storage.sha256_file(SAMPLE)
    assert rec["settings"]["pose"]["model"] == "lite" and rec["n_strides"] > 0
    assert any("My clip _1_.mp4" in m.value or "My clip <1>.mp4" in m.value
               for m in at.markdown)
    # the upload is stored under its content hash, never under the uploaded name
    work = tmp_path / "work"
    stored = list((work / "uploads").iterdir())
    assert [p.name for p in stored] == [f"{storage.sha256_file(SAMPLE)}.mp4"]
    assert not list(tmp_path.rglob("My clip*")) and not (tmp_path / "etc").exists()

    at.slider[0].set_value(40).run()
    at.run()
    assert not at.exception and not at.error
    assert len(app_env) == 1  # reruns use the session's result

    # a new browser session uploading the same clip hits st.cache_data
    at2 = upload(new_app(), "same.mp4", SAMPLE.read_bytes())
    assert_results_shown(at2)
    assert len(app_env) == 1

    # a changed setting asks before re-running the pose model
    at.sidebar.selectbox(key="model").set_value("full").run()
    assert len(app_env) == 1
    assert any("settings changed" in i.value for i in at.info)
    at.button[0].click().run()
    assert_results_shown(at)
    assert len(app_env) == 2
    # the same clip with another model is a second session; the other browser session's
    # analysis of the same clip and settings was not recorded twice
    assert [s["settings"]["pose"]["model"] for s in _library_sessions()] == ["lite", "full"]


def test_verdict_card_cue_jump_and_comparison(app_env):
    from posecheck.report import plots

    at = upload(new_app(), "front.mp4", SAMPLE.read_bytes())
    assert_results_shown(at)
    assert any("Front-side style" in m.value for m in at.markdown)
    score = next(m for m in at.metric if m.label == "Front-side index")
    assert score.value.endswith("/ 100")
    assert any(c.value.startswith("Step frequency: 4.") and "touchdowns" in c.value
               for c in at.caption)
    cues = [m.value for m in at.markdown if m.value.startswith("**1** :")]
    assert cues, "the cues are listed"
    show = [b for b in at.button if b.label == "Show me"]
    assert show
    # the first "show me" moves the scrubber to its cue's frame and names the cue there
    from posecheck.ui import st_run

    result = next(iter(at.session_state["results"].values()))
    assert isinstance(result, st_run.Result)
    cue = next(c for c in result.analysis.cues if c.frame >= 0)
    first = next(i for i, c in enumerate(result.analysis.cues) if c.frame >= 0)
    assert at.slider[0].value != cue.frame
    show[0].click().run()
    assert not at.exception
    assert at.slider[0].value == cue.frame
    assert any(i.value.startswith(f"**Cue {first + 1}:**") for i in at.info)
    # the cue frames are numbered rules in the curves
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert plots.MARK_HEX in charts[0].proto.spec

    # compare: a second clip uploaded in the Compare tab, then the delta table
    assert any("Analyse two clips" in i.value for i in at.info)
    at.file_uploader(key="upload_compare").set_value(
        ("back.mp4", (ROOT / "sample_videos" / "back_kick_60fps.mp4").read_bytes(), "video/mp4"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(app_env) == 2
    # defaults: before = the clip analysed first (front), after = the latest (back)
    assert "front.mp4" in at.selectbox(key="cmp_before").format_func(
        at.selectbox(key="cmp_before").value)
    next(b for b in at.button if b.key == "cmp_swap").click().run()  # back before, front after
    assert "back.mp4" in at.selectbox(key="cmp_before").format_func(
        at.selectbox(key="cmp_before").value)
    assert not at.exception
    table = next(d for d in at.dataframe if "Assessment" in d.value.columns).value
    row = table[table.Metric == "Thigh angle at peak knee flexion"].iloc[0]
    assert row["Front-side is"] == "higher"
    assert row["Assessment"] == "towards front-side"
    assert "no direction" in set(table["Front-side is"])
    assert any("Front-side index" in m.value and "→" in m.value for m in at.markdown)
    assert element_types(at).count("video") == 2        # annotated + side by side
    assert len([b for b in at.get("download_button") if b.key.startswith("cmp-")]) == 4
    sbs = list((Path(storage.workdir()) / "compare").glob("*/side_by_side.mp4"))
    assert len(sbs) == 2 and sbs[0].read_bytes()[4:8] == b"ftyp"  # front→back, back→front


def test_compare_tab_bad_upload_is_one_error(app_env):
    at = new_app()
    at.file_uploader(key="upload_compare").set_value(("after.mp4", b"\x00" * 5000, "video/mp4"))
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "after.mp4" in at.error[0].value
    assert len(app_env) == 0


def test_garbage_upload_is_one_error_and_the_app_keeps_working(app_env):
    at = upload(new_app(), "holiday.mp4", bytes(range(256)) * 64)
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "holiday.mp4" in msg and "not a video" in msg
    assert "MP4/MOV" in msg  # what to try
    assert "Traceback" not in msg and not at.exception
    assert len(app_env) == 0  # rejected by the probe, before the pose model

    # the next upload in the same session works
    upload(at, "run.mp4", SAMPLE.read_bytes())
    assert_results_shown(at)


def test_slowmo_tag_prefills_factor_and_no_person_error(app_env, tmp_path):
    from clipfactory import make_clip

    frames = [np.full((128, 160, 3), (30 + 4 * i, 110, 70), np.uint8) for i in range(40)]
    clip = make_clip(tmp_path / "slomo.mp4", frames, fps=30,
                     metadata={"com.android.capture.fps": "240.000000"})
    at = upload(new_app(), "slomo.mp4", clip.read_bytes())
    assert at.sidebar.number_input(key="slowmo").value == 8.0
    assert any("240 fps" in c.value and "×8" in c.value for c in at.sidebar.caption)
    assert len(at.error) == 1 and "no person" in at.error[0].value
    assert "side-on" in at.error[0].value  # the hint
    assert len(app_env) == 1 and app_env[0][1].video.slowmo_factor == 8.0


def test_hevc_rotated_upload_gives_h264_annotated_video(app_env, tmp_path):
    import av
    from clipfactory import make_clip

    from posecheck.video.reader import iter_frames, probe

    frames = [rgb[::2, ::2].copy() for _i, _t, rgb in iter_frames(SAMPLE, stop=90)]
    # stored sideways with a 90° display matrix, as phones do (make_clip rotates it)
    clip = make_clip(tmp_path / "phone.mov", frames, fps=60, codec="libx265", rotation=90)
    info = probe(clip)
    assert info.codec == "hevc" and info.rotation_deg == 90
    at = upload(new_app(), "IMG_0001.MOV", clip.read_bytes(), "video/quicktime")
    assert_results_shown(at)
    runs = list((tmp_path / "work" / "runs").glob("*/annotated.mp4"))
    assert len(runs) == 1
    with av.open(str(runs[0])) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert (s.codec_context.width, s.codec_context.height) == (640, 360)


# -- helpers without Streamlit ------------------------------------------------------------

def test_store_upload_sanitises_names(tmp_path):
    data = b"\x00\x01" * 1000
    clip = storage.store_upload([data[:700], data[700:]], "../../x/evil\n.MOV", root=tmp_path)
    assert clip.path.parent == tmp_path / "uploads"
    assert clip.path.name == f"{clip.digest}.mov" and clip.size == len(data)
    assert clip.name == "evil.MOV"
    assert storage.store_upload([data], "a.exe", root=tmp_path).path.suffix == ".mp4"
    assert storage.store_upload([data], "noext", root=tmp_path).path.suffix == ".mp4"
    assert not list(tmp_path.glob("uploads/.*"))  # no temporary files left
    with pytest.raises(ValueError):
        storage.run_dir("../etc", "abcd", root=tmp_path)


def test_settings_key_and_slowmo_suggestion():
    from posecheck.types import VideoInfo

    a = Settings(model="lite")
    assert a.analysis_key() == Settings(model="lite").analysis_key()
    assert a.analysis_key() != Settings(model="lite", athlete_height_m=1.8).analysis_key()
    assert a.analysis_key() != Settings(model="lite", athlete="leftmost").analysis_key()
    cfg = Settings(athlete="bottom", athlete_height_m=1.8).to_config()
    assert cfg.pose.athlete == "bottom" and cfg.kinematics.athlete_height_m == 1.8
    assert a.analysis_key() != Settings(model="full").analysis_key()
    assert a.analysis_key() != Settings(model="lite", slowmo_factor=8).analysis_key()
    assert Settings(slowmo_factor=8).to_config().video.slowmo_factor == 8
    assert Settings().to_config().video.slowmo_factor is None
    info = VideoInfo("x", 10, 10, 30.0, 10, 1.0, 0, "h264", "yuv420p", capture_fps=240.0)
    assert suggested_slowmo(info) == 8.0
    assert suggested_slowmo(VideoInfo("x", 10, 10, 30.0, 10, 1.0, 0, "h264", "yuv420p",
                                      capture_fps=30.0)) is None


@pytest.fixture(scope="module")
def sample_analysis():
    from posecheck import Config, analyze_video
    from posecheck.config import PoseConfig

    return analyze_video(SAMPLE, Config(pose=PoseConfig(model="lite")))


def test_analysis_pickles(sample_analysis):
    back = pickle.loads(pickle.dumps(sample_analysis))
    np.testing.assert_array_equal(back.angles.knee_flexion, sample_analysis.angles.knee_flexion)
    assert back.video == sample_analysis.video


def test_exports_and_offline_html_report(sample_analysis, tmp_path):
    import re

    from posecheck.ui.exports import EXPORTS, Exports

    ex = Exports(sample_analysis, tmp_path, "Track day 1.mp4", max_video_height=360)
    assert ex.download_name("angles.csv") == "Track_day_1_angles.csv"
    html = ex.read("report.html").decode()
    # self-contained: inline SVG charts and JPEG frames, no script, nothing fetched
    n_cue_frames = sum(1 for c in sample_analysis.cues if c.frame >= 0)
    assert html.count("<svg") == 2
    assert html.count("data:image/jpeg;base64,") == 4 + n_cue_frames  # peaks + cue frames
    assert "Verdict and cues" in html and "<h2>Strides</h2>" in html
    v = sample_analysis.summary
    assert f"{v.score:.0f} / 100" in html
    # the fitted step frequency with its touchdowns and error, as the CLI prints it
    assert f"Step frequency: {v.cadence['step_frequency_hz']:.2f} steps/s (a line through " \
           f"{v.cadence['n_touchdowns']} touchdowns, ±" in html
    for c in sample_analysis.cues:
        assert c.text[1:40].replace("'", "&#x27;") in html
    # left and right legs side by side, every metric of the summary's comparison
    assert "<h3>Left and right legs</h3>" in html
    assert html.count("beyond stride scatter") == sum(
        d["flagged"] for d in v.left_right.values())
    assert len(v.left_right) >= 8
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?https?:", html) and "@import" not in html
    assert "Track day 1.mp4" in html
    report = json.loads(ex.read("report.json"))
    assert report["input"]["file"] == "Track day 1.mp4"
    z = zipfile.ZipFile(io.BytesIO(ex.read("posecheck.zip")))
    assert sorted(n.split("/")[-1] for n in z.namelist()) == sorted(
        n for n in EXPORTS if n != "posecheck.zip")
    assert z.getinfo("Track_day_1_posecheck/annotated.mp4").compress_type == zipfile.ZIP_STORED
    assert ex.path("angles.csv").read_text().startswith("frame,time_s,detected,")
    assert ex.path("strides.csv").read_text().startswith("stride,side,")
    assert not list(tmp_path.glob(".*part"))
