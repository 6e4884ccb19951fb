"""``posecheck app``: the command it runs and the settings it serves the app with."""

from __future__ import annotations

import tomllib
from pathlib import Path

from posecheck.cli import main
from posecheck.ui.server import SERVER_OPTIONS, app_command, app_script

ROOT = Path(__file__).resolve().parents[2]


def test_packaged_app_has_the_settings_of_streamlit_config_toml():
    """``streamlit run app.py`` reads .streamlit/config.toml; ``posecheck app`` passes
    SERVER_OPTIONS: both must serve the same app."""
    toml = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{key}": str(value).lower() if isinstance(value, bool) else str(value)
            for section, values in toml.items() for key, value in values.items()}
    assert flat == SERVER_OPTIONS


def test_app_command_serves_the_packaged_script_on_the_given_address():
    cmd = app_command("0.0.0.0", 8765)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == app_script()
    assert Path(app_script()).is_file()
    assert "--server.port=8765" in cmd and "--server.address=0.0.0.0" in cmd
    assert "--server.headless=true" in cmd
    assert "--server.headless=false" in app_command("localhost", 8501, browser=True)


def test_app_rejects_a_bad_port(capsys):
    assert main(["app", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


def test_app_library_option_reaches_the_app_process(monkeypatch, tmp_path, capsys):
    """``posecheck app --library PATH``: the served app records in and shows PATH
    (``$POSECHECK_LIBRARY`` of the Streamlit process, read by posecheck.ui.recording)."""
    import subprocess

    from posecheck.ui import recording

    seen = {}

    def fake_call(cmd, env=None):  # the Streamlit server itself is tested in the browser test
        seen["cmd"], seen["env"] = cmd, env
        return 0

    monkeypatch.setattr(subprocess, "call", fake_call)
    assert main(["app", "--port", "8765", "--library", str(tmp_path / "club.sqlite")]) == 0
    assert seen["cmd"][4] == app_script()
    assert seen["env"]["POSECHECK_LIBRARY"] == str(tmp_path / "club.sqlite")
    monkeypatch.setenv("POSECHECK_LIBRARY", seen["env"]["POSECHECK_LIBRARY"])
    assert recording.library_path() == tmp_path / "club.sqlite"
    assert main(["app", "--port", "8766"]) == 0
    assert seen["env"] is None  # no --library: the app's default (the environment's)
