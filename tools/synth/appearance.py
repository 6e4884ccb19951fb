"""Per-vertex clothing / skin / hair colours, assigned by skinning weights and position.

Regions are decided on the neutral stance (:attr:`Body.verts_N`, body frame, metres):
shoes = foot/toes segments (+ a low sock band), shorts = pelvis and the top
``shorts_length`` of the thighs, shirt = abdomen/chest below the neck (a singlet when
``sleeveless``), hair = a cap on the skull above the brow line and behind the ears.
"""

from __future__ import annotations

import numpy as np

from .body import Body
from .params import Look

SKIN, SHIRT, SHORTS, SHOES, HAIR, EYE, SOCK = range(7)


def regions(body: Body, look: Look) -> np.ndarray:
    """(V,) uint8 region id per vertex (SKIN, SHIRT, SHORTS, SHOES, HAIR, EYE, SOCK)."""
    v = body.verts_N
    dom = body.skin_idx[:, 0]
    w = body.skin_w

    def seg_w(names):
        ids = [body.si(n) for n in names]
        return (w * np.isin(body.skin_idx, ids)).sum(1)

    pn = body.pivot_N
    root_y = pn[0, 1]
    hip_y = pn[body.si("thigh.L"), 1]
    knee_y = pn[body.si("shank.L"), 1]
    ankle_y = pn[body.si("foot.L"), 1]
    neck_y = pn[body.si("neck"), 1]
    head_p = pn[body.si("head")]
    reg = np.full(len(v), SKIN, np.uint8)

    trunk = seg_w(["pelvis", "abdomen", "chest"])
    arm = seg_w(["upperarm.L", "upperarm.R", "forearm.L", "forearm.R", "hand.L", "hand.R"])
    thigh = seg_w(["thigh.L", "thigh.R"])
    # shirt: the torso from the waist to below the neck
    waist = root_y + 0.10
    shirt = (trunk > 0.5) & (v[:, 1] > waist) & (v[:, 1] < neck_y - 0.03) & (arm < 0.35)
    if look.sleeveless:
        # singlet: bare shoulders beyond the arm hole
        shirt &= ~((np.abs(v[:, 0]) > 0.11) & (v[:, 1] > neck_y - 0.16))
    else:
        shirt |= (seg_w(["upperarm.L", "upperarm.R"]) > 0.5) & (v[:, 1] > neck_y - 0.30)
    reg[shirt] = SHIRT
    # shorts: pelvis region up to the waist and the upper part of the thighs
    thigh_cut = hip_y - (0.12 + 0.85 * look.shorts_length) * (hip_y - knee_y)
    shorts = ((trunk > 0.3) & (v[:, 1] <= waist + 0.005) & (arm < 0.3)) | \
             ((thigh > 0.3) & (v[:, 1] > thigh_cut))
    reg[shorts & (reg == SKIN)] = SHORTS
    # shoes and a short sock band
    feet = np.isin(dom, [body.si(n) for n in ("foot.L", "foot.R", "toes.L", "toes.R")])
    low = v[:, 1] < ankle_y + 0.035
    reg[feet | (low & (thigh < 0.1) & (trunk < 0.1))] = SHOES
    sock = (v[:, 1] >= ankle_y + 0.035) & (v[:, 1] < ankle_y + 0.09) & (reg == SKIN)
    reg[sock] = SOCK
    # hair cap
    head = seg_w(["head"]) > 0.5
    brow = head_p[1] + 0.085
    top = v[:, 1].max()
    rel_z = v[:, 2] - head_p[2]
    cap = head & ((v[:, 1] > brow + 0.012 - 0.25 * np.clip(-rel_z, 0, None))
                  | ((rel_z < -0.045) & (v[:, 1] > head_p[1] + 0.02)))
    cap &= v[:, 1] > head_p[1] - 0.01
    cap &= ~((rel_z > 0.07) & (v[:, 1] < top - 0.05))
    reg[cap] = HAIR
    reg[body.is_eye] = EYE
    return reg


def vertex_colours(body: Body, look: Look) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """-> (vcol (V, 3) float32 in [0, 1], vtex (V,) float32 texture weight, region (V,))."""
    reg = regions(body, look)
    table = {SKIN: look.skin, SHIRT: look.shirt, SHORTS: look.shorts, SHOES: look.shoes,
             HAIR: look.hair, EYE: (45, 35, 30), SOCK: (240, 240, 240)}
    vcol = np.zeros((len(reg), 3), np.float32)
    for r, c in table.items():
        vcol[reg == r] = np.array(c, np.float32) / 255.0
    vtex = np.where(reg == SKIN, 1.0, np.where(reg == HAIR, 0.6, 0.0)).astype(np.float32)
    return vcol, vtex, reg
