"""``posecheck app``: the command it runs and the settings it serves the app with."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

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
    from posecheck.ui import recording, server

    seen = {}

    def fake_serve(cmd, env=None):  # the Streamlit server itself is tested in the browser test
        seen["cmd"], seen["env"] = cmd, env
        return 0

    monkeypatch.setattr(server, "serve", fake_serve)
    assert main(["app", "--port", "8765", "--library", str(tmp_path / "club.sqlite")]) == 0
    assert seen["cmd"][4] == app_script()
    assert seen["env"]["POSECHECK_LIBRARY"] == str(tmp_path / "club.sqlite")
    monkeypatch.setenv("POSECHECK_LIBRARY", seen["env"]["POSECHECK_LIBRARY"])
    assert recording.library_path() == tmp_path / "club.sqlite"
    assert main(["app", "--port", "8766"]) == 0
    assert seen["env"] is None  # no --library: the app's default (the environment's)


def test_stopping_posecheck_app_stops_the_server_it_started(tmp_path):
    """SIGTERM to the process that serves (as a service manager or a test harness stops
    ``posecheck app``) reaches the server: none is left running on its own."""
    import os
    import signal
    import subprocess
    import sys
    import time

    if not hasattr(signal, "SIGTERM") or os.name != "posix":
        pytest.fail("this test needs POSIX signals")
    pid_file = tmp_path / "server.pid"
    server_code = (f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
                   "time.sleep(120)")
    runner = subprocess.Popen([sys.executable, "-c",
                               "import sys; from posecheck.ui.server import serve; "
                               f"sys.exit(serve([sys.executable, '-c', {server_code!r}]))"])
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    server_pid = int(pid_file.read_text())
    runner.send_signal(signal.SIGTERM)
    runner.wait(timeout=30)
    deadline = time.monotonic() + 10
    while True:
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            break  # the server is gone
        assert time.monotonic() < deadline, "the server kept running after posecheck app stopped"
        time.sleep(0.05)
