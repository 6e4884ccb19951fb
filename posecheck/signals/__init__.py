"""Stage 3, signals: noisy landmark time series in, clean ones out.

Takes arrays with time along axis 0 and real time stamps. Gives outlier rejection and gap
filling (:func:`outliers.hampel`, :func:`outliers.fill_gaps`, :func:`outliers.implausible_poses`),
the zero-lag Butterworth low-pass (:func:`butterworth.lowpass`), a sliding percentile
(:func:`rolling.rolling_percentile`), angle unwrapping and the whole landmark chain
(:func:`filtering.smooth_pose` → :class:`filtering.SmoothedPose`). The numba kernels are
private (:mod:`_kernels`); :mod:`_split` runs them on both cores for long inputs.
"""
