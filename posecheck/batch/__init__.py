"""Stage 10, batch: files and folders in, one analysis per clip (and per person) out.

Finds the clips under the given paths (:mod:`discover`: accepted extensions, athlete from
``--name`` or the parent folder, date from the ``creation_time`` tag or the file time),
analyses each one not yet in the library with the same settings (by content hash), writes
the same output folder as ``posecheck analyze`` and records it in the library
(:mod:`run`), locally or as tasks on a Dask distributed cluster (:mod:`cluster`), and
writes ``summary.csv`` (:mod:`summary`). No Streamlit here.
"""
