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
