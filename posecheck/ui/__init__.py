"""Helpers for the Streamlit app (``app.py``).

Modules named ``st_*`` import Streamlit and are imported only by ``app.py``; the others
(:mod:`~posecheck.ui.storage`, :mod:`~posecheck.ui.settings`, :mod:`~posecheck.ui.frames`,
:mod:`~posecheck.ui.exports`) are plain Python, usable and testable without Streamlit.
Importing this package imports nothing.
"""
