"""Plain NumPy references shared by the signal tests (tests/signals/test_filtering.py,
tests/signals/test_signal_kernels.py)."""

from __future__ import annotations

import numpy as np

MAD_SCALE = 1.4826  #: MAD of a normal sample -> standard deviation (independent of the code)


def ref_hampel(x, half, k, min_dev, replace_with_median=False):
    """Plain Hampel of one row: np.median over the finite values of each window."""
    n = x.size
    out, mask = x.copy(), np.zeros(n, bool)
    for i in range(n):
        if not np.isfinite(x[i]):
            continue
        w = x[max(0, i - half): i + half + 1]
        w = w[np.isfinite(w)]
        if w.size < 3:
            continue
        med = np.median(w)
        dv = abs(x[i] - med)
        if dv > min_dev and dv > k * MAD_SCALE * np.median(np.abs(w - med)):
            mask[i] = True
            out[i] = med if replace_with_median else np.nan
    return out, mask
