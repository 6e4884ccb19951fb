"""posecheck as users get it: the wheel built from this checkout, installed into a fresh venv
(dependencies at the locked versions), used from a folder outside the checkout.

Checks that the models travel inside the package, that ``posecheck analyze`` writes the five
outputs with nothing but posecheck's own lines on stderr, and that ``posecheck app --port N``
serves the packaged app there. Building the venv takes a minute or two (pip's cache helps).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app_server import free_port, launch_chromium, serving

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "back_kick_60fps.mp4"
OUTPUTS = {"angles.csv", "landmarks.csv", "strides.csv", "report.json", "annotated.mp4"}


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
          "--disable-pip-version-check", "-w", str(dist), str(ROOT)], timeout=600)
    (path,) = dist.glob("posecheck-*.whl")
    return path


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with only the wheel and its dependencies (``requirements/test.lock``)."""
    env_dir = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", str(env_dir)], timeout=300)
    py = env_dir / "bin" / "python"
    # the locked versions, or what a user installing today gets (POSECHECK_DEPS=newest)
    lock = [] if os.environ.get("POSECHECK_DEPS") == "newest" else \
        ["-c", str(ROOT / "requirements" / "test.lock")]
    _run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *lock,
          str(wheel)], timeout=1200)
    return env_dir


def _clean_env(venv: Path) -> dict:
    """No trace of the checkout: its folder is not on the path, nothing preset."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "POSECHECK"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_wheel_carries_the_models_and_the_app(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in ("pose_landmarker_lite.task", "pose_landmarker_full.task", "movenet_thunder.onnx",
              "movenet_lightning.onnx", "NOTICE", "SHA256SUMS"):
        assert f"posecheck/pose/model_files/{f}" in names
    assert "posecheck/pose/model_files/pose_landmarker_heavy.task" not in names
    assert "posecheck/ui/streamlit_app.py" in names
    assert not any(n.startswith(("tests/", "tools/", "bench/")) for n in names)


def test_installed_package_analyses_from_any_folder(venv, tmp_path):
    env = _clean_env(venv)
    work = tmp_path / "elsewhere"
    work.mkdir()
    clip = work / "run.mp4"
    clip.write_bytes(SAMPLE.read_bytes())
    proc = _run([str(venv / "bin" / "posecheck"), "analyze", str(clip)], cwd=work, env=env,
                timeout=600)
    out = work / "run_posecheck"
    assert OUTPUTS <= {p.name for p in out.iterdir()}
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["verdict"] == "back-side"
    assert "wrote" in proc.stdout
    # stderr is not a terminal here (no progress bar): it must be empty
    assert proc.stderr.strip() == ""
    # the code that ran is the installed copy, not the checkout
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import posecheck.pose.models as m; print(m.resolve_model('full'))"],
                 cwd=work, env=env).stdout.strip()
    assert where.startswith(str(venv)) and "model_files" in where


def test_installed_app_serves_on_the_given_port(venv, tmp_path):
    port = free_port()
    env = _clean_env(venv) | {"POSECHECK_APP_DIR": str(tmp_path / "appwork")}
    url = f"http://127.0.0.1:{port}"
    cmd = [str(venv / "bin" / "posecheck"), "app", "--port", str(port), "--host", "127.0.0.1"]
    with serving(cmd, url, tmp_path, env, tmp_path / "app.log"):
        assert url in (tmp_path / "app.log").read_text()  # the address is printed
        # the packaged page really renders: a headless browser sees the app's intro text
        import playwright.sync_api as sync_api

        with sync_api.sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page()
                page.goto(url)
                page.get_by_text("Film the sprinter", exact=False).first.wait_for(timeout=60_000)
            finally:
                browser.close()
