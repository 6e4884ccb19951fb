"""Hamstring musculotendon stretch from hip and knee angles (see ``docs/metrics.md``).

Model form of Hawkins & Hull (1990, *J. Biomech.* 23:487–494): the musculotendon length of
a biarticular thigh muscle is a linear function of the hip and knee flexion angles,
``L = C0 + C1·θhip + C2·θknee`` (θ in degrees). posecheck reports it **normalised to the
length in upright standing** (θhip = θknee = 0), so only the ratios ``C1/C0`` and
``C2/C0`` matter:

    λ = L / L(0, 0) = 1 + a_hip · θhip − a_knee · θknee

``a_hip`` and ``a_knee`` are per-degree fractions of the upright length. **Provenance of
the numbers below:** they were *not* copied from Hawkins & Hull's table, which could not be
consulted while this was written; they are ``moment arm / upright MTU length × π/180`` with
hip-extension moment arms of 6.0–6.5 cm, knee-flexion moment arms of 2.7 cm (biceps
femoris long head) and ~4 cm (semimembranosus, semitendinosus), and upright lengths of
0.44–0.46 m, which are typical values from musculoskeletal models of the lower limb. They
reproduce the known ordering in sprinting (biceps femoris long head stretched most, e.g.
Thelen et al. 2005, *Med. Sci. Sports Exerc.* 37:108–114: peak 9.5 % BF, 8.1 % ST, 7.4 %
SM above upright, in late swing) but should be replaced by the published coefficients
before any number is compared across studies. Timing (when the peak occurs) and
*changes* between strides or athletes do not depend on them much.

Hip flexion here is posecheck's hip flexion (thigh relative to the trunk line), a
stand-in for thigh-relative-to-pelvis; knee flexion is posecheck's (0 = straight).
"""

from __future__ import annotations

import numpy as np

#: Muscles, in the order of the last axis of :func:`hamstring_lengths`.
MUSCLES = ("bflh", "sm", "st")
MUSCLE_NAMES = {"bflh": "biceps femoris long head", "sm": "semimembranosus",
                "st": "semitendinosus"}
#: (a_hip, a_knee): fraction of the upright length per degree of hip / knee flexion.
COEFFICIENTS = {
    "bflh": (0.065 / 0.45 * np.pi / 180, 0.027 / 0.45 * np.pi / 180),
    "sm": (0.060 / 0.44 * np.pi / 180, 0.040 / 0.44 * np.pi / 180),
    "st": (0.062 / 0.46 * np.pi / 180, 0.042 / 0.46 * np.pi / 180),
}


def hamstring_lengths(hip_flexion, knee_flexion) -> np.ndarray:
    """Normalised musculotendon length λ (1 = upright standing) of the three biarticular
    hamstrings.

    Args:
        hip_flexion: (n, ...) degrees, + = thigh ahead of the trunk (flexion lengthens).
        knee_flexion: same shape, degrees, 0 = straight (flexion shortens).

    Returns:
        (…, 3) float64 [bflh, sm, st]; NaN where an angle is NaN. λ = 1.08 means 8 % longer
        than in upright standing.
    """
    h = np.asarray(hip_flexion, dtype=np.float64)
    k = np.asarray(knee_flexion, dtype=np.float64)
    if h.shape != k.shape:
        raise ValueError(f"hip_flexion {h.shape} and knee_flexion {k.shape} differ in shape")
    a_hip = np.array([COEFFICIENTS[m][0] for m in MUSCLES])
    a_knee = np.array([COEFFICIENTS[m][1] for m in MUSCLES])
    return 1.0 + h[..., None] * a_hip - k[..., None] * a_knee
