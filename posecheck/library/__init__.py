"""Stage 9, library: finished analyses in, a coach's history out.

Takes :func:`posecheck.report.export.report_dict` of an analysis with who and when
(:class:`records.SessionRecord`). Gives an embedded SQLite database (:mod:`store`):
athletes, sessions (clip, content hash, date, settings, output folder) and their summary
and per-stride metrics, with a schema version and migrations, safe for several writers at
once (WAL, one transaction per session); the history as rows and JSON, and altair trend
charts of the key metrics over dates (:mod:`trends`). No Streamlit here.
"""
