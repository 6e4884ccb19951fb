"""The Streamlit script that ``posecheck app`` serves (``app.py`` at the repository root is a
shim for ``streamlit run app.py``).

Streamlit runs a script from top to bottom on every interaction, so the page is drawn by
:func:`run`, called each time (an import would run once only).
"""

import streamlit as st

from posecheck.ui.st_app import main


def run() -> None:
    st.set_page_config(page_title="posecheck – sprint technique", page_icon="🏃", layout="wide")
    main()


if __name__ == "__main__":  # Streamlit runs the script as __main__
    run()
