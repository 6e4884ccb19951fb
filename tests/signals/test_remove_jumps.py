"""``signals.outliers.remove_jumps`` (numba kernel) against a plain NumPy reference, and its
behaviour on a foot that the pose model loses for a few frames."""

import numpy as np
import pytest

from posecheck.signals.outliers import remove_jumps


def ref_remove_jumps(x, t, max_rate, tol, max_s):
    """Plain reference: one series at a time, written for clarity (see remove_jumps)."""
    out = np.array(x, dtype=float, copy=True)
    mask = np.zeros(out.shape, dtype=bool)
    n = out.size
    i = 2
    while i < n:
        a, b, c = out[i - 2], out[i - 1], out[i]
        if not np.all(np.isfinite([a, b, c])):
            i += 1
            continue
        speed = (b - a) / (t[i - 1] - t[i - 2])
        if abs(c - b - speed * (t[i] - t[i - 1])) <= max_rate * (t[i] - t[i - 1]):
            i += 1
            continue
        later = np.flatnonzero((np.arange(n) > i) & (t - t[i - 1] <= max_s) & np.isfinite(x))
        s = speed * (t[later] - t[i - 1])
        d = x[later] - b
        ok = (d >= np.minimum(0.0, s) - tol) & (d <= np.maximum(0.0, s) + tol)
        if not ok.any():
            i += 1
            continue
        end = int(later[np.argmax(ok)])
        out[i:end] = np.interp(t[i:end], [t[i - 1], t[end]], [b, x[end]])
        mask[i:end] = True
        i = end + 1
    return out, mask


def test_kernel_matches_the_reference_on_noisy_series_with_glitches_and_gaps():
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.8, 1.2, 400)) / 240.0        # irregular 240 fps
    x = np.empty((400, 6))
    for j in range(6):
        x[:, j] = 200 * np.sin(2 * np.pi * 2.3 * t + j) + rng.normal(0, 1.5, 400)
        for start in rng.integers(5, 390, 6):                  # lost for 2-8 frames
            x[start:start + rng.integers(2, 9), j] += rng.choice([-1, 1]) * rng.uniform(40, 90)
        x[rng.integers(0, 400, 8), j] = np.nan
    got, mask = remove_jumps(x, t, 1500.0, 4.0, 0.05)
    for j in range(6):
        want, want_mask = ref_remove_jumps(x[:, j], t, 1500.0, 4.0, 0.05)
        np.testing.assert_allclose(got[:, j], want, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(mask[:, j], want_mask)
    assert mask.sum() > 20  # the glitches were found


def test_a_lost_landing_foot_is_bridged_and_real_motion_is_kept():
    t = np.arange(40) / 240.0
    # a foot coming down at 4 px/frame and stopping on the ground at y = 440
    y = np.minimum(380 + 4.0 * np.arange(40), 440.0)
    lost = y.copy()
    lost[12:17] -= [20, 45, 70, 50, 30]                        # placed higher for 5 frames
    got, mask = remove_jumps(lost, t, 1500.0, 4.5, 0.05)
    assert mask[12:17].all() and mask.sum() == 5
    assert np.abs(got - y).max() <= 8.0  # the line across the landing: within 2 frames of descent
    # a smooth fast move (a swing foot, 2400 px/s) and a real stop are not touched
    fast = 2400.0 * t
    assert not remove_jumps(fast, t, 1500.0, 4.5, 0.05)[1].any()
    assert not remove_jumps(y, t, 1500.0, 4.5, 0.05)[1].any()
    # an excursion longer than max_s is left as it is
    long_lost = y.copy()
    long_lost[12:30] -= 60.0
    np.testing.assert_array_equal(remove_jumps(long_lost, t, 1500.0, 4.5, 0.05)[0], long_lost)


def test_bad_arguments_are_one_line_errors():
    t = np.arange(5) / 30.0
    with pytest.raises(ValueError, match="max_rate"):
        remove_jumps(np.zeros(5), t, 0.0, 1.0, 0.05)
    with pytest.raises(ValueError, match="tol"):
        remove_jumps(np.zeros(5), t, 1.0, -1.0, 0.05)
    with pytest.raises(ValueError, match="max_s"):
        remove_jumps(np.zeros(5), t, 1.0, 1.0, float("nan"))
