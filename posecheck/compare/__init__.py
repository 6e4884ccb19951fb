"""Stage 8, compare: two analyses (before / after) in, what changed out.

Takes two :class:`posecheck.types.Analysis`. Gives a :class:`metrics.Comparison` (metric
deltas with their spread and a Welch test, stride-cycle curves; :func:`metrics.compare`),
its charts (:mod:`plots`), a side-by-side video synchronised on a touchdown
(:mod:`sidebyside`), the HTML comparison report (:mod:`report`) and the whole run from two
clips to an output folder (:func:`run.run_compare`).
"""
