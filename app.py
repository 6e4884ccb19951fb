"""posecheck's web app: ``streamlit run app.py`` (from the repository root).

A thin layer: the page flow is :func:`posecheck.ui.st_app.main`, which calls
:func:`posecheck.analyze_video` and the exporters. Streamlit is imported only here and in
``posecheck/ui/st_*.py``.
"""

import streamlit as st

from posecheck.ui.st_app import main

st.set_page_config(page_title="posecheck – sprint technique", page_icon="🏃", layout="wide")
main()
