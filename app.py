"""posecheck's web app for ``streamlit run app.py`` (from the repository root, so that
``.streamlit/config.toml`` is read). ``posecheck app`` serves the same page from the installed
package without a checkout.

A thin shim: the page is :func:`posecheck.ui.streamlit_app.run`.
"""

from posecheck.ui.streamlit_app import run

run()
