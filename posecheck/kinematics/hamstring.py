"""Hamstring musculotendon stretch from hip and knee angles (see ``docs/metrics.md`` §5).

Model: the biarticular hamstrings of the **Delp et al. (1990) lower-limb model as
distributed with OpenSim** (``gait2392_simbody.osim``; Delp S.L., Loan J.P., Hoy M.G., Zajac
F.E., Topp E.L., Rosen J.M., *IEEE Trans. Biomed. Eng.* 37:757–767, 1990; knee kinematics of
Yamaguchi & Zajac 1989). The numbers below were copied from that file in
``opensim-org/opensim-models``, path ``Gait2392_Simbody/gait2392_simbody.osim``, commit
``199fc67cff2d687da3f42f76327d154d0a51343c``: the hip joint centre in the pelvis frame, the
knee's tibia-translation splines, and the path points (``bifemlh_r``, ``semimem_r``,
``semiten_r``, right leg, metres, body frames x forward, y up, z lateral). The musculotendon
length is the length of the polyline through the active path points for pure sagittal
motion (hip adduction and rotation zero); both joints rotate about z, so the model's
3-D path lengths are exact here. **Why not Hawkins & Hull (1990)**: the issue asked for
their regression (*J. Biomech.* 23:487–494), but its coefficient table could not be
found in any source that could be read while this was written (the queries tried are in
the report of issue #4); only the form and gastrocnemius/soleus constants of that paper
turned up. Delp's geometry is what Thelen et al. (2005, *Med. Sci. Sports Exerc.*
37:108–114) used to report hamstring stretch in sprinting, so the numbers here are
directly comparable to theirs.

Output: λ = L(θhip, θknee) / L(0, 0), the length **normalised to upright standing**
(hip and knee at 0). Near a late-swing posture the model behaves like
λ ≈ 1 + a_hip·θhip − a_knee·θknee with effective moment arms of 58/51/65 mm at the hip
and 35/38/46 mm at the knee (BFlh/SM/ST, hip 60°, knee 30°); upright lengths are
0.420/0.415/0.463 m.

Angle conventions. posecheck's **hip flexion** (trunk line → thigh, + thigh ahead of the
trunk) stands in for the model's pelvis → femur flexion: the pelvis cannot be seen in a
side-view video, so lumbar flexion/extension between trunk and pelvis is an error term.
posecheck's **knee flexion** (0 = straight, + bent) is minus the model's ``knee_angle_r``.
The model's knee coordinate spans −10°…120° of flexion and knee flexion is clamped to
that range. Beyond ~110° the model's straight-line paths run close to the knee axis (the
BFlh knee moment arm falls from 35 mm at 30° to ~0 at 115°; SM/ST to ~15 mm), so λ is
nearly flat in knee flexion there — the hamstrings are short at such angles, far from
their late-swing peak, so this does not affect the reported peaks.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

from posecheck.kinematics import _muscle_kernels as _mk

#: Muscles, in the order of the last axis of :func:`hamstring_lengths`.
MUSCLES = ("bflh", "sm", "st")
MUSCLE_NAMES = {"bflh": "biceps femoris long head", "sm": "semimembranosus",
                "st": "semitendinosus"}

#: Source of every number below (repository, path, commit of the OpenSim model file).
SOURCE = ("opensim-org/opensim-models", "Gait2392_Simbody/gait2392_simbody.osim",
          "199fc67cff2d687da3f42f76327d154d0a51343c")

#: hip_r ``location_in_parent`` (pelvis frame, m).
HIP_IN_PELVIS = np.array([-0.0707, -0.0661, 0.0835])
#: knee_r tibia translation along femur x and y (m) as SimmSplines of ``knee_angle_r`` (rad).
_KNEE_TX = ((-2.0944, -1.74533, -1.39626, -1.0472, -0.698132, -0.349066, -0.174533, 0.197344,
             0.337395, 0.490178, 1.52146, 2.0944),
            (-0.0032, 0.00179, 0.00411, 0.0041, 0.00212, -0.001, -0.0031, -0.005227, -0.005435,
             -0.005574, -0.005435, -0.00525))
_KNEE_TY = ((-2.0944, -1.22173, -0.523599, -0.349066, -0.174533, 0.159149, 2.0944),
            (-0.4226, -0.4082, -0.399, -0.3976, -0.3966, -0.395264, -0.396))
#: Path points: (body, location in that body's frame [m], knee-flexion range [deg] in which a
#: ConditionalPathPoint is active, else None). Conditional ranges converted from the file's
#: ``knee_angle_r`` ranges (−0.558505…0.174533 rad and −0.331613…0.174533 rad).
PATHS: dict[str, tuple] = {
    "bflh": (("pelvis", (-0.12596, -0.10257, 0.06944), None),
             ("tibia", (-0.0301, -0.036, 0.02943), None),
             ("tibia", (-0.0234, -0.0563, 0.0343), None)),
    "sm": (("pelvis", (-0.1192, -0.09747, 0.07151), None),
           ("tibia", (-0.0348, -0.03519, -0.01891), (-10.0, 32.0)),
           ("tibia", (-0.027, -0.04771, -0.01957), None)),
    "st": (("pelvis", (-0.12635, -0.10988, 0.06039), None),
           ("tibia", (-0.04203, -0.02859, -0.02277), (-10.0, 19.0)),
           ("tibia", (-0.03322, -0.05282, -0.02288), None),
           ("tibia", (-0.0113, -0.0746, -0.0245), None),
           ("tibia", (0.0027, -0.0956, -0.0193), None)),
}
#: Knee-flexion span of the model's knee coordinate (deg); the translation splines are
#: evaluated inside it.
KNEE_MODEL_RANGE_DEG = (-10.0, 120.0)

# SimmSpline is a cubic interpolating spline; a natural end condition is used here. The end
# knots are at ±120°: a not-a-knot end condition instead changes λ by at most 6e-4.
_TX = CubicSpline(*_KNEE_TX, bc_type="natural")
_TY = CubicSpline(*_KNEE_TY, bc_type="natural")


def _packed_model() -> tuple:
    """The model constants as the arrays :func:`posecheck.kinematics._muscle_kernels._musculotendon_lengths`
    takes: tibia-translation splines (breakpoints, coefficients), hip centre, path points
    (muscles × points × 3, padded), their body (0 pelvis, 1 tibia), the knee-flexion range
    in which each point is active (±inf = always), the number of points per muscle and the
    distances between points (used for pairs on the same, rigid, body)."""
    k, p = len(MUSCLES), max(len(PATHS[m]) for m in MUSCLES)
    pts = np.zeros((k, p, 3))
    body = np.zeros((k, p), dtype=np.int64)
    lo, hi = np.full((k, p), -np.inf), np.full((k, p), np.inf)
    n_pts = np.zeros(k, dtype=np.int64)
    for j, m in enumerate(MUSCLES):
        n_pts[j] = len(PATHS[m])
        for i, (b, loc, active) in enumerate(PATHS[m]):
            pts[j, i] = loc
            body[j, i] = 1 if b == "tibia" else 0
            if active is not None:
                lo[j, i], hi[j, i] = active
    dist = np.linalg.norm(pts[:, :, None, :] - pts[:, None, :, :], axis=-1)
    return (float(KNEE_MODEL_RANGE_DEG[0]), float(KNEE_MODEL_RANGE_DEG[1]),
            np.ascontiguousarray(_TX.x), np.ascontiguousarray(_TX.c),
            np.ascontiguousarray(_TY.x), np.ascontiguousarray(_TY.c),
            np.ascontiguousarray(HIP_IN_PELVIS, dtype=np.float64), pts, body, lo, hi, n_pts,
            dist)


_MODEL = _packed_model()


def _lengths(hip_flexion, knee_flexion, scale: np.ndarray) -> np.ndarray:
    """Validated call of the kernel: (…, 3) lengths / ``scale``."""
    h = np.asarray(hip_flexion, dtype=np.float64)
    k = np.asarray(knee_flexion, dtype=np.float64)
    if h.shape != k.shape:
        raise ValueError(f"hip_flexion {h.shape} and knee_flexion {k.shape} differ in shape")
    # contiguous, writeable float64 (one compiled kernel signature)
    hf = np.require(h.reshape(-1), np.float64, ("C", "W"))
    kf = np.require(k.reshape(-1), np.float64, ("C", "W"))
    out = np.empty((hf.size, len(MUSCLES)))
    _mk._musculotendon_lengths(hf, kf, *_MODEL, scale, out)
    return out.reshape(h.shape + (len(MUSCLES),))


def musculotendon_lengths_m(hip_flexion, knee_flexion) -> np.ndarray:
    """Absolute musculotendon lengths (m) of the generic (unscaled) Delp model.

    Args:
        hip_flexion: array (any shape), degrees, + = thigh ahead of the trunk/pelvis.
        knee_flexion: same shape, degrees, 0 = straight, + = bent.

    Returns:
        (…, 3) float64 metres [bflh, sm, st]; NaN where an angle is NaN.

    Raises:
        ValueError: the two arrays differ in shape.
    """
    return _lengths(hip_flexion, knee_flexion, np.ones(len(MUSCLES)))


def _upright_lengths_m() -> np.ndarray:
    """Lengths (m) at hip 0°, knee 0° in plain NumPy (no kernel call at import: a cold
    numba cache would compile here, outside the warm-up; ``docs/metrics.md`` §1)."""
    t_knee = np.array([float(_TX(0.0)), float(_TY(0.0)), 0.0])
    out = np.zeros(len(MUSCLES))
    for j, m in enumerate(MUSCLES):
        pts = [np.asarray(loc, dtype=np.float64) + (t_knee + HIP_IN_PELVIS if b == "tibia" else 0.0)
               for b, loc, active in PATHS[m] if active is None or active[0] <= 0.0 <= active[1]]
        out[j] = sum(float(np.linalg.norm(b - a)) for a, b in zip(pts, pts[1:]))
    return out


#: Upright (hip 0°, knee 0°) musculotendon lengths (m), [bflh, sm, st].
UPRIGHT_LENGTHS_M = _upright_lengths_m()


def hamstring_lengths(hip_flexion, knee_flexion) -> np.ndarray:
    """Normalised musculotendon length λ (1 = upright standing) of the three biarticular
    hamstrings, from the Delp et al. (1990) model geometry (module docstring).

    Args:
        hip_flexion: (n, ...) degrees, + = thigh ahead of the trunk (flexion lengthens).
        knee_flexion: same shape, degrees, 0 = straight (flexion shortens).

    Returns:
        (…, 3) float64 [bflh, sm, st]; NaN where an angle is NaN. λ = 1.08 means 8 % longer
        than in upright standing.
    """
    return _lengths(hip_flexion, knee_flexion, UPRIGHT_LENGTHS_M)
