"""The app in a real browser: Debian's Chromium driven by Playwright (no Playwright browsers).

Starts ``streamlit run app.py`` on 127.0.0.1, uploads a sample clip, waits for the verdict,
checks that the annotated ``<video>`` really plays (readyState >= 2 and currentTime advances
after play()), clicks a cue's "Show me", downloads every export, then uploads the second
sample clip in the Compare tab and waits for the delta table and the side-by-side video,
then opens the History tab (both analyses recorded in the library under the athlete typed
in the sidebar: sessions table, trend charts) and opens the two sessions in the comparison.
Screenshots are copied to ``/tmp/posecheck_app_screenshot.png``,
``/tmp/posecheck_compare_screenshot.png`` and ``/tmp/posecheck_history_screenshot.png`` for
a human to look at.

Needs Debian's ``chromium`` and the ``playwright`` package, which the README's test command
(``tools/run_tests.sh``) installs; a missing one fails the test with the fix, never skips it.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from app_server import free_port, launch_chromium, serving

ROOT = Path(__file__).resolve().parents[2]
SHOT_COPY = Path("/tmp/posecheck_app_screenshot.png")
COMPARE_SHOT_COPY = Path("/tmp/posecheck_compare_screenshot.png")
HISTORY_SHOT_COPY = Path("/tmp/posecheck_history_screenshot.png")
CLIP = ROOT / "sample_videos" / "front_side_60fps.mp4"
CLIP2 = ROOT / "sample_videos" / "back_kick_60fps.mp4"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """A running ``streamlit run app.py``; yields its URL, stops it afterwards."""
    port = free_port()
    work = tmp_path_factory.mktemp("appwork")
    env = dict(os.environ, POSECHECK_APP_DIR=str(work), PYTHONUNBUFFERED="1",
               POSECHECK_LIBRARY=str(work / "library.sqlite"))
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false"]
    with serving(cmd, url, ROOT, env, work / "streamlit.log", timeout_s=60):
        yield url


@pytest.fixture(scope="module")
def browser():
    import playwright.sync_api as sync_api

    with sync_api.sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def _full_page_shot(page, path: Path, copy_to: Path, settle_ms: int) -> None:
    """Screenshot of the whole page to ``path`` (and a copy to ``copy_to``). Streamlit
    scrolls inside its own container, so a full-page shot is the viewport: the viewport is
    made as tall as the content first."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(6000, max(1000, int(height) + 40))})
    page.wait_for_timeout(settle_ms)
    page.screenshot(path=str(path))
    shutil.copyfile(path, copy_to)


def _choose_model(page, label: str) -> None:
    """Pick a pose model in the sidebar's select box."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first
    box.click()
    page.get_by_role("option", name=label).click()
    page.wait_for_timeout(300)


def test_upload_analyse_play_download(app_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.set_default_timeout(30_000)
    page.goto(app_url)
    page.get_by_text("Upload a clip to start").wait_for(timeout=60_000)
    _choose_model(page, "lite – fastest")
    name = page.get_by_test_id("stSidebar").get_by_role("textbox", name="Athlete", exact=True)
    name.fill("Sam Sprinter")
    name.press("Enter")
    page.wait_for_timeout(500)

    page.locator("input[type=file]").first.set_input_files(str(CLIP))
    # the verdict card, then the angle charts and the annotated video
    page.get_by_text("Front-side style").wait_for(timeout=240_000)
    page.get_by_text("Front-side index").first.wait_for()
    page.get_by_text("Angle curves").wait_for(timeout=60_000)
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=60_000)
    video = page.locator("video").first
    video.wait_for(timeout=60_000)
    video.scroll_into_view_if_needed()

    # the annotated H.264 plays: enough data, and time moves after play()
    page.wait_for_function("document.querySelector('video').readyState >= 2", timeout=60_000)
    t0 = page.evaluate("""async () => { const v = document.querySelector('video');
        v.muted = true; await v.play(); return v.currentTime; }""")
    page.wait_for_function(f"document.querySelector('video').currentTime > {t0} + 0.3",
                           timeout=20_000)
    info = page.evaluate("""() => { const v = document.querySelector('video');
        return {w: v.videoWidth, h: v.videoHeight, err: v.error && v.error.code}; }""")
    assert info["w"] > 0 and info["h"] > 0 and not info["err"], info
    page.evaluate("document.querySelector('video').pause()")
    assert page.get_by_text("front_side_60fps.mp4").count() >= 1
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0

    # the frame scrubber shows a frame with the overlay; "Show me" jumps to a cue's frame
    assert page.locator("[data-testid=stImage] img").count() >= 1
    page.get_by_role("button", name="Show me").first.click()
    page.get_by_text("Cue 1:").wait_for(timeout=30_000)

    _full_page_shot(page, tmp_path / "app_results.png", SHOT_COPY, settle_ms=800)
    page.set_viewport_size({"width": 1400, "height": 1000})

    # every export downloads and is what it says
    got = {}
    for label in ("Annotated video (MP4)", "Report (HTML, works offline)", "Strides (CSV)",
                  "Angles (CSV)", "Landmarks (CSV)", "Report data (JSON)", "Everything (ZIP)"):
        with page.expect_download(timeout=120_000) as dl:
            page.get_by_role("button", name=label).click()
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        got[label] = path.read_bytes()
    assert got["Annotated video (MP4)"][4:8] == b"ftyp"
    html = got["Report (HTML, works offline)"].decode()
    assert "<svg" in html and "data:image/jpeg;base64," in html and "<script" not in html
    assert "Front-side style" in html and "<h2>Strides</h2>" in html
    assert got["Strides (CSV)"].startswith(b"stride,side,")
    assert got["Angles (CSV)"].startswith(b"frame,time_s,detected,")
    assert got["Landmarks (CSV)"].startswith(b"frame,time_s,landmark,")
    assert b'"front_side_60fps.mp4"' in got["Report data (JSON)"]
    names = zipfile.ZipFile(io.BytesIO(got["Everything (ZIP)"])).namelist()
    assert {n.split("/")[-1] for n in names} >= {"annotated.mp4", "report.html", "angles.csv"}

    # compare: the second clip uploaded in the Compare tab
    page.get_by_role("tab", name="Compare before / after").click()
    page.locator("input[type=file]").nth(1).set_input_files(str(CLIP2))
    page.get_by_text("What changed").wait_for(timeout=300_000)
    page.get_by_role("button", name="⇄ Swap").click()          # back kick before, front after
    page.get_by_text("(back-side → front-side style)").wait_for(timeout=120_000)
    # the rerun after the swap encodes a new side-by-side video: wait until it is done
    page.get_by_text("Making the side-by-side video").first.wait_for(state="detached",
                                                                     timeout=180_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')"
                           " || !document.querySelector('[data-testid=stStatusWidget]')"
                           ".innerText.includes('Running')", timeout=180_000)
    page.get_by_text("Comparison downloads").wait_for(timeout=120_000)
    sbs = page.locator("video").nth(1)
    sbs.wait_for(timeout=120_000)
    sbs.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelectorAll('video')[1].readyState >= 2",
                           timeout=60_000)
    dims = page.evaluate("""() => { const v = document.querySelectorAll('video')[1];
        return [v.videoWidth, v.videoHeight]; }""")
    assert dims[0] > 2 * dims[1], dims                          # two clips side by side
    assert page.locator("[data-testid=stException]").count() == 0
    _full_page_shot(page, tmp_path / "app_compare.png", COMPARE_SHOT_COPY, settle_ms=1500)
    with page.expect_download(timeout=120_000) as dl:
        page.get_by_role("button", name="Comparison (CSV)").click()
    assert dl.value.suggested_filename.endswith("_comparison.csv")

    # history: both analyses were recorded in the library under the sidebar's name; their
    # trends are drawn, and the two sessions open in the comparison
    page.get_by_role("tab", name="History").click()
    page.get_by_text("Sam Sprinter: 2 sessions").wait_for(timeout=60_000)
    panel = page.get_by_role("tabpanel", name="History")
    panel.get_by_text("Trends").wait_for()
    charts = panel.locator("[data-testid=stVegaLiteChart]")
    charts.nth(6).wait_for(timeout=60_000)
    assert charts.count() == 7
    page.wait_for_function("document.querySelectorAll('[role=tabpanel] "
                           "[data-testid=stVegaLiteChart] svg, [role=tabpanel] "
                           "[data-testid=stVegaLiteChart] canvas').length >= 7", timeout=60_000)
    assert panel.locator("[data-testid=stDataFrame]").count() == 1  # the sessions table
    assert "Front-side index (style score, 0-100)" in panel.inner_text()
    assert "Thigh angle at peak knee flexion" in panel.inner_text()
    panel.get_by_role("button", name="Open in Compare before / after").click()
    panel.get_by_text("Opened: see the").wait_for(timeout=180_000)
    assert page.locator("[data-testid=stException]").count() == 0
    _full_page_shot(page, tmp_path / "app_history.png", HISTORY_SHOT_COPY, settle_ms=1500)
    page.close()


def test_garbage_upload_shows_error_and_app_recovers(app_url, browser, tmp_path):
    bad = tmp_path / "not a video.mp4"
    bad.write_bytes(os.urandom(50_000))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    page.goto(app_url)
    page.get_by_text("Upload a clip to start").wait_for(timeout=60_000)
    page.locator("input[type=file]").first.set_input_files(str(bad))
    err = page.locator("[data-testid=stAlertContentError]").first
    err.wait_for(timeout=60_000)
    assert "not a video" in err.inner_text()
    page.screenshot(path=str(tmp_path / "app_error.png"), full_page=True)
    shutil.copyfile(tmp_path / "app_error.png", SHOT_COPY.with_name("posecheck_app_error.png"))
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()
