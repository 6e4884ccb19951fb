"""Stage 9, the Streamlit app (``posecheck app`` or ``streamlit run app.py``).

Takes uploads and settings from the browser; calls :func:`posecheck.pipeline.analyze_video`
and :func:`posecheck.compare.run` helpers; shows the verdict, video, charts and downloads.
Modules named ``st_*`` import Streamlit (only they, in the whole package); the others
(:mod:`~posecheck.ui.storage`, :mod:`~posecheck.ui.settings`, :mod:`~posecheck.ui.exports`)
are plain Python, usable and testable without Streamlit. Importing this package imports
nothing.
"""
