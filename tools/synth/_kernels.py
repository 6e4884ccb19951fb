"""Numba kernels of the CPU renderer (private).

Image conventions: buffers are (H, W[, 3]) float32, row 0 = top; a pixel (row i, col j)
is sampled at its centre, continuous image coordinates (u, v) = (j + 0.5, i + 0.5), x to the
right, y down. Camera frame: x right, y down, z forward (depth, metres).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _hash(ix, iy, seed):
    h = (ix * 374761393 + iy * 668265263 + seed * 982451653) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    return (h & 0xFFFFFF) / 16777216.0


@njit(cache=True)
def _vnoise(x, y, seed):
    """Value noise in [0, 1) with smooth interpolation; unit cell = 1."""
    ix = int(np.floor(x))
    iy = int(np.floor(y))
    fx = x - ix
    fy = y - iy
    fx = fx * fx * (3 - 2 * fx)
    fy = fy * fy * (3 - 2 * fy)
    a = _hash(ix, iy, seed)
    b = _hash(ix + 1, iy, seed)
    c = _hash(ix, iy + 1, seed)
    d = _hash(ix + 1, iy + 1, seed)
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


@njit(cache=True, parallel=True)
def render_background(img, is_ground, R, cam, f, cx, cy, lane_z, n_lanes_far, n_lanes_near,
                      lane_w, wall_z, wall_h, seed):
    """Ray-cast the static scene into ``img`` (H, W, 3) float32 linear-ish RGB in [0, 1].

    World frame: X along the track, Y up, Z toward the camera side; ground at Y = 0.
    R: (3, 3) world->camera rotation (rows = camera x, y, z axes in world); cam: (3,) camera
    centre; f, cx, cy: pinhole intrinsics of this buffer (pixels). The runner's lane is
    centred at Z = lane_z; ``n_lanes_far`` lanes lie beyond it (Z smaller) and
    ``n_lanes_near`` toward the camera; infield grass beyond, a stand wall at Z = wall_z of
    height wall_h, sky above. ``is_ground`` (H, W) receives 1 where the ground is seen.
    """
    H, W = img.shape[0], img.shape[1]
    z_far_edge = lane_z - (n_lanes_far + 0.5) * lane_w
    z_near_edge = lane_z + (n_lanes_near + 0.5) * lane_w
    for i in prange(H):
        for j in range(W):
            xc = (j + 0.5 - cx) / f
            yc = (i + 0.5 - cy) / f
            dx = R[0, 0] * xc + R[1, 0] * yc + R[2, 0]
            dy = R[0, 1] * xc + R[1, 1] * yc + R[2, 1]
            dz = R[0, 2] * xc + R[1, 2] * yc + R[2, 2]
            t_g = 1e30
            if dy < -1e-9:
                t_g = -cam[1] / dy
            t_w = 1e30
            if dz < -1e-9:
                t_w = (wall_z - cam[2]) / dz
            r = 0.0
            g = 0.0
            b = 0.0
            dist = 0.0
            is_ground[i, j] = 0.0
            if t_g < t_w:
                X = cam[0] + t_g * dx
                Z = cam[2] + t_g * dz
                dist = t_g
                is_ground[i, j] = 1.0
                fine = _vnoise(X * 40.0, Z * 40.0, seed) - 0.5
                patch = _vnoise(X * 1.3, Z * 1.3, seed + 7) - 0.5
                if Z > z_far_edge and Z < z_near_edge:
                    r = 0.62 + 0.07 * fine + 0.05 * patch
                    g = 0.25 + 0.03 * fine + 0.02 * patch
                    b = 0.19 + 0.03 * fine + 0.02 * patch
                    # lane lines (5 cm) at lane boundaries
                    q = (Z - lane_z) / lane_w + 0.5
                    dq = abs(q - np.floor(q + 0.5)) * lane_w
                    if dq < 0.025:
                        r = 0.86 + 0.05 * fine
                        g = 0.85 + 0.05 * fine
                        b = 0.82 + 0.05 * fine
                    # cross marks every 10 m (visible when panning) and start numbers
                    m = X - 10.0 * np.floor(X / 10.0)
                    if m < 0.05 and dq < 0.35:
                        r = 0.9
                        g = 0.88
                        b = 0.3
                    m2 = X - 5.0 * np.floor(X / 5.0)
                    if abs(m2 - 2.5) < 0.06 and dq < 0.12:
                        r = 0.2
                        g = 0.45
                        b = 0.85
                else:
                    stripe = 1.0 if (int(np.floor(X / 4.0)) & 1) == 0 else 0.9
                    r = (0.24 + 0.05 * fine + 0.06 * patch) * stripe
                    g = (0.43 + 0.07 * fine + 0.08 * patch) * stripe
                    b = (0.16 + 0.03 * fine + 0.03 * patch) * stripe
                    # white kerb line at the track edges
                    if abs(Z - z_far_edge) < 0.05 or abs(Z - z_near_edge) < 0.05:
                        r = 0.85
                        g = 0.85
                        b = 0.85
            elif t_w < 1e29:
                X = cam[0] + t_w * dx
                Y = cam[1] + t_w * dy
                dist = t_w
                if Y <= wall_h:
                    if Y < 1.2:  # advertising boards
                        k = int(np.floor(X / 6.0))
                        hb = _hash(k, 3, seed)
                        r = 0.25 + 0.5 * hb
                        g = 0.25 + 0.4 * _hash(k, 5, seed)
                        b = 0.3 + 0.5 * _hash(k, 9, seed)
                        if Y > 0.45 and Y < 0.8 and _hash(int(np.floor(X * 3.0)), 11, seed) > 0.4:
                            r = 0.95
                            g = 0.95
                            b = 0.95
                    else:
                        row = int(np.floor((Y - 1.2) / 0.45))
                        col = int(np.floor(X / 0.55))
                        fx = X / 0.55 - col
                        fy = (Y - 1.2) / 0.45 - row
                        occ = _hash(col, row, seed + 3)
                        # empty seat (dark blue-grey) with a concrete step below
                        r = 0.22
                        g = 0.26
                        b = 0.34
                        if fy < 0.18:
                            r = 0.55
                            g = 0.55
                            b = 0.56
                        elif occ < 0.7:  # a spectator: torso + head
                            sat = 0.45
                            cr = 0.2 + 0.7 * _hash(col, row, seed + 11)
                            cg = 0.2 + 0.6 * _hash(col, row, seed + 13)
                            cb = 0.2 + 0.6 * _hash(col, row, seed + 17)
                            gr = (cr + cg + cb) / 3.0
                            if abs(fx - 0.5) < 0.32 and fy < 0.72:
                                r = gr + sat * (cr - gr)
                                g = gr + sat * (cg - gr)
                                b = gr + sat * (cb - gr)
                            ddx = fx - 0.5
                            ddy = (fy - 0.84) * 1.3
                            if ddx * ddx + ddy * ddy < 0.03:
                                tone = 0.35 + 0.45 * _hash(col, row, seed + 19)
                                r = tone
                                g = tone * 0.78
                                b = tone * 0.65
                        if X - 12.0 * np.floor(X / 12.0) < 0.5:  # pillars
                            r = 0.62
                            g = 0.62
                            b = 0.64
                else:
                    dist = -1.0
            else:
                dist = -1.0
            if dist < 0.0:
                n = np.sqrt(dx * dx + dy * dy + dz * dz)
                el = max(0.0, dy / n)
                cl = _vnoise(dx / n * 6.0 + 0.3 * seed, el * 18.0, seed + 21)
                r = 0.55 - 0.25 * el
                g = 0.70 - 0.20 * el
                b = 0.92 - 0.05 * el
                cloud = max(0.0, cl - 0.55) * 2.0
                r += cloud * (0.95 - r)
                g += cloud * (0.95 - g)
                b += cloud * (0.97 - b)
            else:
                haze = 1.0 - np.exp(-dist / 250.0)
                r += haze * (0.75 - r)
                g += haze * (0.80 - g)
                b += haze * (0.88 - b)
            img[i, j, 0] = r
            img[i, j, 1] = g
            img[i, j, 2] = b


@njit(cache=True)
def vertex_normals(verts, faces):
    """(V, 3) unit area-weighted vertex normals of a triangle mesh."""
    n = np.zeros_like(verts)
    for k in range(faces.shape[0]):
        a, b, c = faces[k, 0], faces[k, 1], faces[k, 2]
        e1 = verts[b] - verts[a]
        e2 = verts[c] - verts[a]
        fn0 = e1[1] * e2[2] - e1[2] * e2[1]
        fn1 = e1[2] * e2[0] - e1[0] * e2[2]
        fn2 = e1[0] * e2[1] - e1[1] * e2[0]
        for v in (a, b, c):
            n[v, 0] += fn0
            n[v, 1] += fn1
            n[v, 2] += fn2
    for v in range(n.shape[0]):
        ln = np.sqrt(n[v, 0] ** 2 + n[v, 1] ** 2 + n[v, 2] ** 2)
        if ln > 0:
            n[v] /= ln
    return n


@njit(cache=True)
def raster_mesh(img, zbuf, idbuf, scr, faces, face_uv, uvs, vcol, vlight, vtex, tex, vseg,
                cull):
    """Z-buffered triangle rasterizer with perspective-correct interpolation.

    scr: (V, 3) per-vertex (u, v, depth) in this buffer's pixels / metres (depth > 0).
    faces (F, 3) int; face_uv (F, 3) int into uvs (U, 2) (v up, OBJ convention).
    vcol (V, 3) base colour; vlight (V,) light factor; vtex (V,) 0..1 weight of the
    skin-detail texture ``tex`` (T, T) float32 (mean 1); vseg (V,) int segment id written
    to ``idbuf`` (H, W) int16 (-1 = background). ``cull``: skip faces whose screen winding
    is clockwise when seen from the camera (back faces).
    """
    H, W = zbuf.shape
    T = tex.shape[0]
    for k in range(faces.shape[0]):
        ia, ib, ic = faces[k, 0], faces[k, 1], faces[k, 2]
        za, zb, zc = scr[ia, 2], scr[ib, 2], scr[ic, 2]
        if za < 0.05 or zb < 0.05 or zc < 0.05:
            continue
        xa, ya = scr[ia, 0], scr[ia, 1]
        xb, yb = scr[ib, 0], scr[ib, 1]
        xc, yc = scr[ic, 0], scr[ic, 1]
        area = (xb - xa) * (yc - ya) - (yb - ya) * (xc - xa)
        if area == 0.0 or (cull and area > 0.0):
            continue
        x0 = max(int(np.floor(min(xa, min(xb, xc)) - 0.5)), 0)
        x1 = min(int(np.ceil(max(xa, max(xb, xc)) - 0.5)), W - 1)
        y0 = max(int(np.floor(min(ya, min(yb, yc)) - 0.5)), 0)
        y1 = min(int(np.ceil(max(ya, max(yb, yc)) - 0.5)), H - 1)
        if x0 > x1 or y0 > y1:
            continue
        inv_area = 1.0 / area
        iza, izb, izc = 1.0 / za, 1.0 / zb, 1.0 / zc
        ua, va = uvs[face_uv[k, 0], 0], uvs[face_uv[k, 0], 1]
        ub, vb = uvs[face_uv[k, 1], 0], uvs[face_uv[k, 1], 1]
        uc, vc = uvs[face_uv[k, 2], 0], uvs[face_uv[k, 2], 1]
        seg = vseg[ia]
        for py in range(y0, y1 + 1):
            sy = py + 0.5
            for px in range(x0, x1 + 1):
                sx = px + 0.5
                w0 = ((xb - sx) * (yc - sy) - (yb - sy) * (xc - sx)) * inv_area
                w1 = ((xc - sx) * (ya - sy) - (yc - sy) * (xa - sx)) * inv_area
                w2 = 1.0 - w0 - w1
                if w0 < 0.0 or w1 < 0.0 or w2 < 0.0:
                    continue
                iz = w0 * iza + w1 * izb + w2 * izc
                z = 1.0 / iz
                if z >= zbuf[py, px]:
                    continue
                zbuf[py, px] = z
                p0 = w0 * iza * z
                p1 = w1 * izb * z
                p2 = w2 * izc * z
                lt = p0 * vlight[ia] + p1 * vlight[ib] + p2 * vlight[ic]
                tw = p0 * vtex[ia] + p1 * vtex[ib] + p2 * vtex[ic]
                m = 1.0
                if tw > 0.01:
                    tu = p0 * ua + p1 * ub + p2 * uc
                    tv = p0 * va + p1 * vb + p2 * vc
                    ti = min(max(int((1.0 - tv) * T), 0), T - 1)
                    tj = min(max(int(tu * T), 0), T - 1)
                    m = 1.0 + tw * (tex[ti, tj] - 1.0)
                for ch in range(3):
                    col = p0 * vcol[ia, ch] + p1 * vcol[ib, ch] + p2 * vcol[ic, ch]
                    img[py, px, ch] = col * lt * m
                idbuf[py, px] = seg


@njit(cache=True)
def raster_coverage(mask, pts, faces):
    """Accumulate coverage 1 into ``mask`` (H, W) for triangles with screen points pts (V, 2)."""
    H, W = mask.shape
    for k in range(faces.shape[0]):
        ia, ib, ic = faces[k, 0], faces[k, 1], faces[k, 2]
        xa, ya = pts[ia, 0], pts[ia, 1]
        xb, yb = pts[ib, 0], pts[ib, 1]
        xc, yc = pts[ic, 0], pts[ic, 1]
        area = (xb - xa) * (yc - ya) - (yb - ya) * (xc - xa)
        if area == 0.0 or not np.isfinite(area):
            continue
        x0 = max(int(np.floor(min(xa, min(xb, xc)) - 0.5)), 0)
        x1 = min(int(np.ceil(max(xa, max(xb, xc)) - 0.5)), W - 1)
        y0 = max(int(np.floor(min(ya, min(yb, yc)) - 0.5)), 0)
        y1 = min(int(np.ceil(max(ya, max(yb, yc)) - 0.5)), H - 1)
        inv = 1.0 / area
        for py in range(y0, y1 + 1):
            sy = py + 0.5
            for px in range(x0, x1 + 1):
                sx = px + 0.5
                w0 = ((xb - sx) * (yc - sy) - (yb - sy) * (xc - sx)) * inv
                w1 = ((xc - sx) * (ya - sy) - (yc - sy) * (xa - sx)) * inv
                if w0 >= 0.0 and w1 >= 0.0 and w0 + w1 <= 1.0:
                    mask[py, px] = 1.0


@njit(cache=True, parallel=True)
def downsample(src, k):
    """Box-filter (H*k, W*k, 3) float -> (H, W, 3) uint8 with sRGB-ish clamp."""
    H = src.shape[0] // k
    W = src.shape[1] // k
    out = np.empty((H, W, 3), np.uint8)
    s = 1.0 / (k * k)
    for i in prange(H):
        for j in range(W):
            for ch in range(3):
                acc = 0.0
                for a in range(k):
                    for b in range(k):
                        acc += src[i * k + a, j * k + b, ch]
                v = acc * s * 255.0 + 0.5
                out[i, j, ch] = min(max(int(v), 0), 255)
    return out
