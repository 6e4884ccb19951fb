"""How ``posecheck app`` serves the packaged Streamlit script (plain Python: no Streamlit
import, so the CLI can build the command without loading the app)."""

from __future__ import annotations

import sys
from importlib.resources import files

#: the app's Streamlit settings (``.streamlit/config.toml`` holds the same for
#: ``streamlit run app.py``): phone clips up to 1 GB, no source watching, no usage
#: statistics, a light theme
SERVER_OPTIONS = {
    "server.maxUploadSize": "1024",
    "server.maxMessageSize": "1024",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "none",
    "theme.base": "light",
    "theme.primaryColor": "#1E90FF",
}


def app_script() -> str:
    """Path of the packaged Streamlit script (:mod:`posecheck.ui.streamlit_app`)."""
    return str(files("posecheck.ui") / "streamlit_app.py")


def app_command(host: str, port: int, browser: bool = False) -> list[str]:
    """The ``python -m streamlit run`` command line that serves the app on ``host:port``
    with :data:`SERVER_OPTIONS` (headless unless ``browser``)."""
    opts = {**SERVER_OPTIONS, "server.port": str(int(port)), "server.address": host,
            "server.headless": "false" if browser else "true"}
    return [sys.executable, "-m", "streamlit", "run", app_script(),
            *(f"--{k}={v}" for k, v in opts.items())]


#: seconds the server gets to stop after Ctrl+C or a forwarded signal before it is killed
STOP_TIMEOUT_S = 15.0


def serve(cmd: list[str], env: dict | None = None) -> int:
    """Run the server ``cmd`` until it ends; its exit status (0 after Ctrl+C).

    ``SIGTERM`` and ``SIGHUP`` sent to this process (a service manager stopping
    ``posecheck app``, a closed terminal) are passed on to the server, so it never keeps
    running on its own after ``posecheck app`` has gone. Ctrl+C reaches the server from the
    terminal as well; this process then waits for it to stop."""
    import signal
    import subprocess

    proc = subprocess.Popen(cmd, env=env)
    forwarded = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
                 if s is not None]
    previous = {}
    try:
        for sig in forwarded:
            previous[sig] = signal.signal(sig, lambda signum, _frame: proc.send_signal(signum))
    except ValueError:  # not the main thread: no handlers (the caller owns the signals)
        previous = {}
    try:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                pass
            return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
