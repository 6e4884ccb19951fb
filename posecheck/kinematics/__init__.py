"""Stage 4, kinematics: a :class:`posecheck.types.PoseSequence` in, per-frame joint angles out.

Takes the pose stage's landmarks and a :class:`posecheck.config.KinematicsConfig`. Gives
:class:`posecheck.types.Kinematics` from :func:`chain.compute_kinematics` (the per-frame chain:
implausible poses out, leg identity repaired by :mod:`legs`, landmarks smoothed by
:mod:`posecheck.signals`, shank length restored by :mod:`segments`), and
:class:`posecheck.types.Angles` from :func:`chain.best_angles`. Angle definitions live in
:mod:`angles` (knee and hip flexion, running direction) and :mod:`chain` (segment and ankle
angles); hamstring lengths in :mod:`hamstring`. Numba kernels are private (``_kernels``,
``_legs_kernels``, ``_muscle_kernels``).
"""
