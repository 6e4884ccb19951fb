"""Ground-truth angle conventions (image plane) and the JSON writer.

2D angles are computed from PROJECTED joint centres in image pixel coordinates (x right,
y down). ``d`` is the running direction in the image (+1 = to the right). All in degrees.

* knee_flexion = 180 - interior hip-knee-ankle angle (0 = straight).
* hip_flexion = signed angle from the trunk line (shoulder midpoint -> hip midpoint) to the
  thigh (hip -> knee); + = thigh ahead of the trunk line in the running direction.
* thigh = angle of hip -> knee from the downward vertical, + = knee ahead of the hip.
* shank = angle of ankle -> knee from the upward vertical, + = knee ahead of the ankle
  (the coaches' "shin angle"); for a knee that bends forward knee_flexion = thigh + shank.
* trunk_lean = angle of hip midpoint -> shoulder midpoint from the upward vertical,
  + = shoulders ahead of the hips.
* ankle = dorsiflexion: (interior knee-ankle-MTP angle in quiet standing) minus (the
  interior knee-ankle-MTP angle in the image); 0 = neutral standing, + = dorsiflexed.
  The neutral interior angle is stored in the JSON (``ankle_neutral_interior_deg``).
* foot = angle of the heel -> toe-tip line above the horizontal, + = toes up.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def _deg(a):
    return np.degrees(a)


def wrap180(a):
    """Wrap degrees to (-180, 180]."""
    return -((-np.asarray(a, float) + 180.0) % 360.0 - 180.0)


def ang_from_down(vec, d):
    """Angle (deg) of image vectors (..., 2) from the downward vertical, + toward ``d``."""
    return _deg(np.arctan2(d * vec[..., 0], vec[..., 1]))


def ang_from_up(vec, d):
    """Angle (deg) of image vectors (..., 2) from the upward vertical, + toward ``d``."""
    return _deg(np.arctan2(d * vec[..., 0], -vec[..., 1]))


def interior(a, b, c):
    """Interior angle (deg) at ``b`` of the 2D or 3D polyline a-b-c (arrays (..., k))."""
    u, v = a - b, c - b
    cosv = np.sum(u * v, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return _deg(np.arccos(np.clip(cosv, -1.0, 1.0)))


def angles_2d(px: dict[str, np.ndarray], d: int, ankle_neutral: float) -> dict[str, np.ndarray]:
    """Image-plane angles from projected points.

    px: name -> (n, 2) pixels; needs hip/knee/ankle/mtp/heel/toe/shoulder ``.L``/``.R``.
    Returns name -> (n,) or (n, 2) [left, right] arrays (see module docstring).
    """
    hip_mid = 0.5 * (px["hip.L"] + px["hip.R"])
    sh_mid = 0.5 * (px["shoulder.L"] + px["shoulder.R"])
    trunk_down = hip_mid - sh_mid
    out: dict[str, list] = {k: [] for k in ("knee_flexion", "hip_flexion", "thigh", "shank",
                                            "ankle", "foot")}
    for s in ("L", "R"):
        hip, knee, ankle = px[f"hip.{s}"], px[f"knee.{s}"], px[f"ankle.{s}"]
        out["knee_flexion"].append(180.0 - interior(hip, knee, ankle))
        out["hip_flexion"].append(wrap180(ang_from_down(knee - hip, d) - ang_from_down(trunk_down, d)))
        out["thigh"].append(ang_from_down(knee - hip, d))
        out["shank"].append(ang_from_up(knee - ankle, d))
        out["ankle"].append(ankle_neutral - interior(knee, ankle, px[f"mtp.{s}"]))
        ht = px[f"toe.{s}"] - px[f"heel.{s}"]
        out["foot"].append(_deg(np.arctan2(-ht[..., 1], d * ht[..., 0])))
    res = {k: np.stack(v, -1) for k, v in out.items()}
    res["trunk_lean"] = ang_from_up(-trunk_down, d)
    return res


def _clean(x):
    """numpy -> JSON-able with rounding; NaN -> None."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        if x.dtype == bool:
            return x.tolist()
        if np.issubdtype(x.dtype, np.integer):
            return x.tolist()
        r = np.round(x.astype(float), 4)
        return _clean(r.tolist())
    if isinstance(x, (np.floating, float)):
        return None if not np.isfinite(x) else round(float(x), 5)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def write_json(path: str | Path, payload: dict) -> None:
    """Write the ground-truth payload with rounding (4-5 decimals) and stable key order."""
    Path(path).write_text(json.dumps(_clean(payload), separators=(",", ":")))
