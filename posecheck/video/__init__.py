"""Stage 1, video: a phone clip in, RGB frames with real time stamps out.

Takes a file path (MP4/MOV/M4V, H.264 or HEVC, rotated, variable frame rate, slow motion).
Gives :class:`posecheck.types.VideoInfo` (:func:`probe.probe`), frames as ``(index, real time
s, RGB HxWx3 uint8)`` (:func:`reader.iter_frames`, :class:`reader.FrameReader`), keyframe
indices for seeking (:func:`reader.keyframe_indices`), and browser-playable H.264 output
(:class:`writer.H264Writer`, decoded ahead by :func:`readahead.read_ahead`). PyAV and
OpenCV live here; nothing here knows about people.
"""
