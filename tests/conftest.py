"""Shared fixtures. Nothing here downloads: test inputs are made by the tests or shipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NPM_TARBALL_NAME = "mediapipe-pose-0.5.1675469404.tgz"


@pytest.fixture(scope="session")
def npm_pose_tarball() -> Path:
    """The @mediapipe/pose npm tarball fetched by tools/run_tests.sh (an install step)."""
    path = Path(os.environ.get("POSECHECK_NPM_TARBALL", ROOT / ".cache" / NPM_TARBALL_NAME))
    if not path.is_file():
        pytest.fail(f"{path} is missing: run the README's test command (bash tools/run_tests.sh), "
                    f"which fetches it with npm pack")
    return path


@pytest.fixture(autouse=True)
def _private_library(tmp_path_factory, monkeypatch):
    """Analyses recorded by the app (and ``posecheck history`` without ``--library``) go
    to a library of the test session, never to the user's own (~/.local/share/posecheck)."""
    monkeypatch.setenv("POSECHECK_LIBRARY",
                       str(tmp_path_factory.getbasetemp() / "user_library.sqlite"))
