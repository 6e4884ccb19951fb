"""Step frequency to the percent, from the whole run of touchdowns (``docs/metrics.md`` §4).

A single step time is the difference of two touchdown times, each known to about a frame:
at 30 fps a 0.18 s step is read as 5 or 6 frames (0.167 or 0.200 s), and the median of such
values is biased by the quantisation (+4 % on a real treadmill run). In steady running the
touchdowns fall on a line: touchdown ``k`` (counted in steps, both feet) at
``t_k = a + k·P + δ·[right foot]``, ``P`` the step period and ``δ`` the offset of the right
foot's touchdowns (a limp or a far-foot timing bias: left steps last ``P − δ``, right steps
``P + δ``). A least-squares fit over ``N`` touchdowns averages the timing errors: its
standard error falls as ``N^(-3/2)``, a fraction of a frame after a few strides.

The step count goes up by each touchdown interval over the median interval, rounded, so a
missed touchdown leaves a gap instead of shifting the count; touchdowns that sit more
than a quarter step off the line (after one fit) are left out and the line fitted again.
Use it only on steady running (max-velocity strides, or a steady jog): an accelerating run's
steps shorten in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: fewest touchdowns for a fit (and at least one of each foot)
MIN_TOUCHDOWNS = 4
#: touchdowns further than this share of a step off the first line are left out
OUTLIER_STEP_SHARE = 0.25


@dataclass(frozen=True)
class Cadence:
    """Step timing of a steady run (module docstring). Times in s, frequencies in steps/s;
    ``left_step_time_s`` is the time of the steps that end with the left foot's touchdown;
    ``standard_error_pct`` is the fit's standard error of the step frequency in %."""

    step_time_s: float
    left_step_time_s: float
    right_step_time_s: float
    n_touchdowns: int
    standard_error_pct: float

    @property
    def step_frequency_hz(self) -> float:
        return 1.0 / self.step_time_s

    def to_dict(self) -> dict:
        r = lambda x, d=4: None if not np.isfinite(x) else round(float(x), d)  # noqa: E731
        return {"step_frequency_hz": r(self.step_frequency_hz),
                "left_step_frequency_hz": r(1.0 / self.left_step_time_s),
                "right_step_frequency_hz": r(1.0 / self.right_step_time_s),
                "step_time_s": r(self.step_time_s, 5),
                "n_touchdowns": self.n_touchdowns,
                "standard_error_pct": r(self.standard_error_pct, 2),
                "method": "line fitted to the touchdown times"}


def _fit(t: np.ndarray, k: np.ndarray, right: np.ndarray):
    """Least squares ``t = a + k·P + δ·right``: ``(coef [a, P, δ], residuals, se of P)``."""
    A = np.column_stack([np.ones_like(t), k, right])
    coef, *_ = np.linalg.lstsq(A, t, rcond=None)
    res = t - A @ coef
    dof = t.size - 3
    if dof > 0:
        cov = np.linalg.pinv(A.T @ A) * float(res @ res) / dof
        se = float(np.sqrt(max(cov[1, 1], 0.0)))
    else:
        se = float("nan")
    return coef, res, se


def fit_cadence(times, sides) -> Cadence | None:
    """The step period of steady running from its touchdowns, or ``None`` with too few.

    Args:
        times: (m,) touchdown times (s), any order.
        sides: (m,) ``"left"``/``"right"``, the foot of each touchdown.
    """
    t = np.asarray(times, dtype=np.float64)
    side = np.asarray(sides)
    if t.shape != side.shape or t.ndim != 1:
        raise ValueError("times and sides must be 1-D arrays of the same length")
    ok = np.isfinite(t)
    t, side = t[ok], side[ok]
    order = np.argsort(t, kind="stable")
    t, side = t[order], side[order]
    right = (side == "right").astype(np.float64)
    if t.size < MIN_TOUCHDOWNS or right.all() or not right.any():
        return None
    gaps = np.diff(t)
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        return None
    p0 = float(np.median(gaps))
    # count steps gap by gap (a missed touchdown: a gap of ~2 steps), not from t[0]: a
    # slightly wrong p0 would drift the count over a long run
    k = np.concatenate([[0.0], np.cumsum(np.maximum(np.round(np.diff(t) / p0), 0.0))])
    keep = np.ones(t.size, dtype=bool)
    for attempt in range(2):
        if keep.sum() < MIN_TOUCHDOWNS or np.unique(k[keep]).size < 3 \
                or right[keep].all() or not right[keep].any():
            return None
        coef, res, se = _fit(t[keep], k[keep], right[keep])
        outliers = np.abs(res) > OUTLIER_STEP_SHARE * coef[1]
        if attempt == 1 or not outliers.any():
            break
        keep[np.nonzero(keep)[0][outliers]] = False
    _a, period, delta = (float(c) for c in coef)
    if not (period > 0 and period - abs(delta) > 0):
        return None
    return Cadence(step_time_s=period, left_step_time_s=period - delta,
                   right_step_time_s=period + delta, n_touchdowns=int(keep.sum()),
                   standard_error_pct=100.0 * se / period if np.isfinite(se) else float("nan"))
