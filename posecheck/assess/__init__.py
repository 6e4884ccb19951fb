"""Stage 6, assess: strides in, what they mean out.

Takes the gait stage's :class:`posecheck.gait.strides.Stride` list. Gives the style verdict
and its confidence (:func:`verdict.summarise` → :class:`verdict.Summary`), per-stride scores
(:func:`verdict.stride_score`), plain-language coaching cues that cite a frame
(:func:`verdict.make_cues` → :class:`verdict.Cue`), and quality warnings about what limits
the analysis (:func:`quality.kinematics_warnings`).
"""
