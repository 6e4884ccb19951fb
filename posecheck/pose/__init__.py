"""Stage 2, pose: frames in, the athlete's landmarks out.

Takes the frames of :mod:`posecheck.video` and a :class:`posecheck.config.PoseConfig`.
Gives a :class:`posecheck.types.PoseSequence` (33 MediaPipe landmarks per frame, NaN rows
where the athlete is not found) from :func:`parallel.estimate_video` (chunks on worker
threads) or :func:`landmarker.estimate_sequence` (one stream). Every person is found and
tracked (:mod:`tracking`), one athlete is chosen (:mod:`choice`). The offline models are
located and verified by :mod:`models` (built by :mod:`_model_build`). The fused modes run
MoveNet on the possible athletes' crops inside the same pass (:mod:`movenet_hook`) and fuse
the chosen athlete's keypoints (:mod:`refine`, :mod:`fusion`). MediaPipe (and ONNX
Runtime) are imported only in this stage; :mod:`native_stderr` keeps their log lines off
the terminal.
"""
