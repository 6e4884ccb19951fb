"""Stage 5, gait: per-frame kinematics in, gait events and strides out.

Takes :class:`posecheck.types.Kinematics` and real time stamps. Gives touchdowns and
toe-offs per leg (:func:`events.detect_events` → :class:`posecheck.types.GaitEvents`) and
one :class:`strides.Stride` per leg swing with every per-stride metric
(:func:`strides.compute_strides`).
"""
