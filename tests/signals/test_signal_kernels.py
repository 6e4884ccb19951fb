"""The fast signal-conditioning kernels and the vectorised stride helpers against plain
NumPy/SciPy references, for exact (bit-for-bit) equality: the branch-free sorted-window
Hampel and its MAD test, the four-lane zero-lag low-pass, the row-skipping Hampel iteration,
and the padded-window reductions of :mod:`posecheck.gait.strides`."""

import math

import numpy as np
import pytest
from scipy.signal import butter, sosfilt_zi, sosfiltfilt

from posecheck.signals import _kernels as K
from posecheck.signals import butterworth
from posecheck.signals import filtering
from posecheck.signals import outliers
from posecheck.signals.rolling import rolling_percentile
from posecheck.gait import strides
from signal_refs import ref_hampel

C0 = 3.0 * K.MAD_SCALE


@pytest.fixture
def rng():
    return np.random.default_rng(7)


# ------------------------------------------------------------------ references


def ref_lowpass_row(y, t, sos, jitter_tol, fs):
    """Each finite run of >= 4 regularly timed samples through scipy's sosfiltfilt."""
    out = y.copy()
    fin = np.isfinite(y)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], fin.view(np.int8), [0]))))
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a < 4 or np.max(np.abs(np.diff(t[a:b]) * fs - 1.0)) > jitter_tol:
            continue
        pad = min(3 * (2 * sos.shape[0] + 1), b - a - 1)
        out[a:b] = sosfiltfilt(sos, y[a:b], padlen=pad)
    return out


# ------------------------------------------------------------------ Hampel


@pytest.mark.parametrize("half", [3, 4, 12, 24, 30])
def test_hampel_kernel_bit_exact_with_nan_ties_and_short_rows(rng, half):
    """Padded windows of several widths, NaN runs entering and leaving the window (the
    insertion/deletion path), integer ties, ±0 and rows shorter than the window."""
    m, n = 6, 160
    x = rng.normal(0, 2, (m, n))
    x[1] = np.round(x[1])                            # ties
    x[2] = rng.choice([-0.0, 0.0, 1.0], n)           # signed zeros, MAD 0
    x[3] = np.cumsum(x[3])
    x[rng.random((m, n)) < 0.03] += 25.0             # spikes
    x[rng.random((m, n)) < 0.15] = np.nan
    x[4, 20:70] = np.nan                             # a gap longer than the window
    x[5, : half + 2] = np.nan                        # starts missing
    for arr in (x, np.ascontiguousarray(x[:, : half - 1])):
        for k, min_dev in [(3.0, 0.0), (2.0, 0.5), (1.0, 0.0)]:
            for repl in (False, True):
                out, mask = np.empty_like(arr), np.empty(arr.shape, np.bool_)
                K._hampel(arr, half, k, min_dev, repl, out, mask)
                for r in range(arr.shape[0]):
                    ro, rm = ref_hampel(arr[r], half, k, min_dev, repl)
                    np.testing.assert_array_equal(mask[r], rm)
                    np.testing.assert_array_equal(out[r], ro)
    out, mask = np.empty_like(x), np.empty(x.shape, np.bool_)
    K._hampel(x, half, 3.0, 0.0, False, out, mask)
    assert mask[0].any()                              # the spikes are found
    for n_short in (0, 1, 2):                         # rows with no window to judge
        arr = np.ascontiguousarray(x[:, :n_short])
        out, mask = np.ones_like(arr), np.ones(arr.shape, np.bool_)
        K._hampel(arr, half, 3.0, 0.0, False, out, mask)
        np.testing.assert_array_equal(out, arr)
        assert not mask.any()


@pytest.mark.parametrize("c", [3, 4, 5, 8, 13, 24, 25, 49])
def test_mad_test_matches_numpy_median_at_the_boundary(rng, c):
    """_mad_exceeds decides exactly as ``dv > c0 * np.median(|w - med|)``, also for dv on
    the threshold and one ulp either side, and for tie-heavy windows (even c included)."""
    for trial in range(60):
        w = np.sort(rng.normal(0, 1, c) if trial % 2 else rng.integers(-3, 4, c).astype(float))
        buf = np.concatenate(([-np.inf], w, [np.inf]))
        med = float(np.median(w))
        thr = C0 * float(np.median(np.abs(w - med)))
        for dv in (thr, np.nextafter(thr, np.inf), np.nextafter(thr, -np.inf), 0.5 * thr,
                   2.0 * thr + 1e-3, rng.uniform(0, 3)):
            assert K._mad_exceeds(buf, 1, c, med, dv, C0) == (dv > thr), (w, dv)


def test_hampel_rows_skipping_unchanged_rows_equals_full_iteration(rng):
    """Rows whose mask did not change are not judged again: the same masks as iterating
    every row ``n_iter`` times (reference written with the public kernels)."""
    n = 600
    t = np.arange(n) / 120.0
    rows = 100 * np.sin(2 * np.pi * 2.3 * t)[None, :] + rng.normal(0, 1.5, (5, n))
    rows[0] = 100 * np.sin(2 * np.pi * 2.3 * t)      # clean: no outlier, skipped after pass 1
    rows[1, [50, 51, 300]] += [40.0, -35.0, 60.0]
    rows[2, 100:104] = np.nan
    trend_hz, window_s, half = 10.0, 0.2, outliers._hampel_half(t, 0.2)
    for n_iter in (1, 2, 3):
        got, _ = outliers._hampel_rows(rows, t, window_s, 3.0, 1.0, trend_hz, n_iter=n_iter)
        mask = np.zeros(rows.shape, bool)
        for _ in range(n_iter):
            base = np.where(mask, np.nan, rows)
            filled = np.empty_like(base)
            K._fill_gaps(base, t, window_s + 1e-9, filled, np.empty(base.shape, np.bool_))
            resid = rows - butterworth.lowpass(filled.T, t, trend_hz).T
            new = np.empty(rows.shape, np.bool_)
            K._hampel(np.ascontiguousarray(resid), half, 3.0, 1.0, False, np.empty_like(rows), new)
            mask = new | (mask & np.isfinite(rows) & np.isnan(resid))
        np.testing.assert_array_equal(got, mask)
        assert got[1, [50, 51, 300]].all() and not got[0].any()


# ------------------------------------------------------------------ low-pass


@pytest.mark.parametrize("order", [1, 2, 3, 4, 8])
def test_lowpass_kernel_bit_exact_against_sosfiltfilt(rng, order):
    """Runs of many lengths (batched four at a time when equal, alone otherwise), runs
    shorter than the padding, runs too short to filter, NaN gaps and several sections."""
    n = 400
    fs = 120.0
    t = np.arange(n) / fs
    x = np.cumsum(rng.normal(0, 1, (11, n)), axis=1)
    x[0, 100:103] = np.nan                           # two long runs
    x[1, 5:7] = np.nan                               # a 5-sample run at the start
    x[2, [3, 9, 20, 27]] = np.nan                    # runs of 5, 10, 6 samples
    x[3, 2::4] = np.nan                              # runs of 1 and 2: left unfiltered
    x[4:8, 200:210] = np.nan                         # four rows with equal runs (one batch)
    x[8] = np.nan                                    # nothing finite
    x[9, 390:] = np.nan
    sos = np.ascontiguousarray(butter(order, 15.0, fs=fs, output="sos"))
    zi = np.ascontiguousarray(sosfilt_zi(sos))
    regular = np.ones(n - 1, np.bool_)
    out, pending = np.empty_like(x), np.empty(x.shape, np.bool_)
    K._lowpass(x, regular, sos, zi, 3 * (2 * sos.shape[0] + 1), 4, out, pending)
    assert not pending.any()
    for r in range(x.shape[0]):
        np.testing.assert_array_equal(out[r], ref_lowpass_row(x[r], t, sos, 0.05, fs))


def test_lowpass_kernel_leaves_irregular_runs_to_the_caller(rng):
    n = 200
    t = np.arange(n) / 60.0
    t[150:] += 0.01                                  # one late frame: interval 149→150
    x = rng.normal(0, 1, (2, n))
    x[1, 140:145] = np.nan                           # row 1: the jump lies in run [145, 200)
    sos, zi = butterworth._design(8.0, 60.0, 2)
    regular = np.abs(np.diff(t) * 60.0 - 1.0) <= 0.05
    out, pending = np.empty_like(x), np.empty(x.shape, np.bool_)
    K._lowpass(x, regular, sos, zi, 9, 4, out, pending)
    assert np.flatnonzero(pending[0]).tolist() == [0]
    assert np.flatnonzero(pending[1]).tolist() == [145]
    np.testing.assert_array_equal(out[0], x[0])      # not filtered here
    want = ref_lowpass_row(x[1, :140], t[:140], sos, 0.05, 60.0)
    np.testing.assert_array_equal(out[1, :140], want)
    # and the public low-pass resamples them as before
    y = butterworth.lowpass(x.T, t, 8.0).T
    assert np.all(np.isfinite(y[0])) and not np.array_equal(y[0], x[0])


def test_filtering_reexports_the_split_modules():
    assert filtering.hampel is outliers.hampel and filtering.fill_gaps is outliers.fill_gaps
    assert filtering.lowpass is butterworth.lowpass
    assert filtering.FilterWarning is butterworth.FilterWarning
    assert filtering.MIN_HAMPEL_HALF == outliers.MIN_HAMPEL_HALF
    for name in filtering.__all__:
        assert hasattr(filtering, name)


# ------------------------------------------------------------------ stride helpers


def windows(rng, n, k):
    a = rng.integers(0, n - 3, k)
    b = np.minimum(a + rng.integers(1, 40, k), n)
    return a, b


def test_window_reductions_match_nan_functions(rng):
    n = 300
    v = rng.normal(0, 10, n)
    v[rng.random(n) < 0.3] = np.nan
    v[100:140] = np.nan                               # all-NaN windows
    v[200:205] = 5.0                                  # ties: the first one wins
    a, b = windows(rng, n, 200)
    a[:3], b[:3] = [100, 200, 0], [140, 205, 1]
    idx, ok = strides._windows(a, b)
    first = strides._first_max(v[idx], ok)
    best = strides._max_ignoring_nan(v[idx], ok)
    for j in range(a.size):
        seg = v[a[j]: b[j]]
        if np.isfinite(seg).any():
            assert first[j] == np.nanargmax(seg)
            assert best[j] == np.nanmax(seg)
        else:
            assert first[j] == -1 and np.isnan(best[j])


def test_first_upcrossing_matches_loop(rng):
    n = 300
    v = np.sin(np.arange(n) / 7.0) + rng.normal(0, 0.2, n)
    v[rng.random(n) < 0.1] = np.nan
    v[50] = 0.0                                       # 0 counts as reached
    a, b = windows(rng, n, 200)
    idx, ok = strides._windows(a, b)
    i, u = strides._first_upcrossing(v[idx], ok)
    for j in range(a.size):
        seg = v[a[j]: b[j]]
        want = next((q for q in range(len(seg) - 1) if seg[q] < 0 <= seg[q + 1]), -1)
        assert i[j] == want
        if want >= 0:
            assert u[j] == -seg[want] / (seg[want + 1] - seg[want])
        else:
            assert np.isnan(u[j])


def test_interp_many_matches_np_interp_over_finite_samples(rng):
    n = 200
    t = np.cumsum(rng.uniform(0.005, 0.02, n))
    y = rng.normal(0, 5, n)
    y[rng.random(n) < 0.25] = np.nan
    tq = np.concatenate((rng.uniform(t[0] - 0.1, t[-1] + 0.1, 300), t[::17], [np.nan]))
    got = strides._interp_many(y, t, tq)
    ok = np.isfinite(y)
    for q, g in zip(tq, got):
        if not np.isfinite(q):
            assert np.isnan(g)
            continue
        i = np.searchsorted(t, q)
        if 0 < i < n and ok[i - 1] and ok[i]:         # the two frames around q
            u = (q - t[i - 1]) / (t[i] - t[i - 1])
            assert g == y[i - 1] + u * (y[i] - y[i - 1])
        else:
            assert g == np.interp(q, t[ok], y[ok])
    assert np.isnan(strides._interp_many(np.full(n, np.nan), t, tq[:5])).all()


def test_nanmean_and_last_before(rng):
    x = rng.normal(0, 3, 500)
    x[rng.random(500) < 0.3] = np.nan
    x[40:60] = np.nan
    zeroed = np.where(np.isnan(x), 0.0, x)
    n_ok = np.concatenate(([0], np.cumsum(~np.isnan(x))))
    for a, b in [(0, 500), (3, 29), (40, 60), (45, 70), (100, 101), (7, 7)]:
        want = np.nanmean(x[a:b]) if np.isfinite(x[a:b]).any() else np.nan
        got = strides._nanmean(zeroed, n_ok, a, b)
        assert (math.isnan(want) and math.isnan(got)) or got == want
    ev = np.array([0.1, 0.5, 0.5, 0.9])
    got = strides._last_before(ev, np.array([0.05, 0.1, 0.3, 0.5, 0.6, 2.0]))
    np.testing.assert_array_equal(got, [np.nan, np.nan, 0.1, 0.1, 0.5, 0.9])
    assert np.isnan(strides._last_before(np.array([]), np.array([1.0]))).all()


# ------------------------------------------------------------------ parts on threads


def _with_gaps(rng, shape, spike=True):
    x = np.cumsum(rng.normal(0, 1, shape), axis=-1)
    x[..., 100:104] = np.nan                         # a bridged gap
    x[..., 300:360] = np.nan                         # a long one
    if spike:
        x[..., 50] += 40.0
    return np.ascontiguousarray(x)


@pytest.mark.parametrize("count", [2, 3, 7])
def test_kernels_cut_into_row_parts_on_threads_give_the_same_numbers(rng, count):
    """Hampel, gap filling and the low-pass run as row slices on the kernel threads
    (``_split.by_rows``) write exactly what one call writes."""
    from posecheck.signals import _split

    m, n = 11, 900
    x = _with_gaps(rng, (m, n))
    t = np.arange(n) / 120.0

    def both(kernel, make_args, row_args):
        one, cut = make_args(), make_args()
        kernel(*one)
        _split.by_rows(kernel, cut, row_args, m, n, count=count)
        for a, b in zip(one, cut):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
        return one

    out = both(K._hampel, lambda: (x, 12, 3.0, 0.5, True, np.empty_like(x),
                                   np.empty(x.shape, np.bool_)), (0, 5, 6))
    assert out[6][:, 50].all()                      # the spikes were found by every part
    both(K._fill_gaps, lambda: (x, t, 0.05, np.empty_like(x), np.empty(x.shape, np.bool_)),
         (0, 3, 4))
    sos, zi = butterworth._design(10.0, 120.0, 2)
    regular = np.ones(n - 1, dtype=np.bool_)
    out = both(K._lowpass, lambda: (x, regular, sos, zi, 15, 4, np.empty_like(x),
                                    np.empty(x.shape, np.bool_)), (0, 6, 7))
    assert np.isfinite(out[6][:, 200]).all() and not np.array_equal(out[6][:, 200], x[:, 200])


@pytest.mark.parametrize("half", [1, 8, 60])
@pytest.mark.parametrize("count", [2, 5])
def test_window_kernel_cut_in_time_gives_the_same_numbers(rng, half, count):
    """The rolling percentile run on time slices with ``half`` samples of context
    (``_split.by_windows``) equals one call, at the clip's ends and at every cut."""
    from posecheck.signals import _split

    x = _with_gaps(rng, (2, 1000)).T.copy()          # (n, 2): time on axis 0
    one, cut = np.empty(1000), np.full(1000, -1.0)
    K._rolling_percentile(x, half, 20.0, 4, one)
    _split.by_windows(K._rolling_percentile, x, half, (20.0, 4), cut, count=count)
    np.testing.assert_array_equal(one, cut)


def test_large_inputs_take_the_threaded_path_with_the_same_result(rng, monkeypatch):
    """Above the size threshold the public wrappers cut their work into parts; the
    result of the whole chain equals the one-call path (threshold raised)."""
    from posecheck.signals import _split

    parts_run = []
    real = _split._run
    monkeypatch.setattr(_split, "_run", lambda calls: (parts_run.append(len(calls)), real(calls)))
    monkeypatch.setattr("posecheck.cores.usable_cores", lambda: 2)
    x = _with_gaps(rng, (12, 8000)).T.copy()           # (n, 12): time on axis 0
    t = np.arange(8000) / 120.0
    cut = outliers.hampel(x, t, trend_hz=10.0), outliers.fill_gaps(x, t, 0.05), \
        butterworth.lowpass(np.nan_to_num(x), t, 10.0)
    assert max(parts_run) == 2
    monkeypatch.setattr(_split, "MIN_SAMPLES", 10**12)
    parts_run.clear()
    one = outliers.hampel(x, t, trend_hz=10.0), outliers.fill_gaps(x, t, 0.05), \
        butterworth.lowpass(np.nan_to_num(x), t, 10.0)
    assert max(parts_run, default=1) == 1
    for a, b in zip(one, cut):
        for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
            np.testing.assert_array_equal(u, v)


def test_an_error_in_a_part_reaches_the_caller():
    from posecheck.signals import _split

    def kernel(x):
        if x[0] >= 5:
            raise ValueError("part two failed")

    with pytest.raises(ValueError, match="part two"):
        _split.by_rows(kernel, (np.arange(10),), (0,), 10, 1, count=2)


def test_rolling_percentile_kernel_matches_numpy(rng):
    x = rng.normal(size=(300, 2))
    x[rng.random(x.shape) < 0.1] = np.nan
    out = np.empty(300)
    K._rolling_percentile(x, 7, 90.0, 4, out)
    for i in range(300):
        w = x[max(0, i - 7):i + 8].ravel()
        w = w[np.isfinite(w)]
        assert out[i] == pytest.approx(np.percentile(w, 90.0))
    # the public wrapper: same numbers on one thread and on time slices; 1-D input
    np.testing.assert_array_equal(rolling_percentile(x, 7, 90.0, 4, split=False), out)
    np.testing.assert_array_equal(rolling_percentile(x, 7, 90.0, 4), out)
    np.testing.assert_array_equal(rolling_percentile(x[:, 0], 7, 50.0),
                                  rolling_percentile(x[:, :1], 7, 50.0))


@pytest.mark.parametrize("bad", [dict(half=-1), dict(half=1.5), dict(q=101.0), dict(min_count=0)])
def test_rolling_percentile_rejects_bad_arguments(bad):
    args = dict(half=3, q=50.0, min_count=1) | bad
    with pytest.raises(ValueError):
        rolling_percentile(np.zeros(10), **args)
    with pytest.raises(ValueError):
        rolling_percentile(np.zeros((2, 3, 4)), 3, 50.0)
