"""Stage 7, report: an :class:`posecheck.types.Analysis` in, files and pictures out.

Takes the finished analysis of :func:`posecheck.pipeline.analyze_video`. Gives the output
folder (:func:`export.write_outputs`: ``angles.csv``, ``landmarks.csv``, ``strides.csv``,
``report.json``, ``annotated.mp4`` drawn by :mod:`annotate`), written atomically
(:mod:`outdir`), altair charts (:mod:`plots`), the offline HTML report
(:func:`html_report.build_report`) and the key frames and tables that the report and the app
share (:mod:`frames`, :mod:`review_data`). No Streamlit here.
"""
