"""Draw the analysis on video frames: skeleton, joint markers, knee/hip angles, time stamp.

Frames are RGB uint8 (H, W, 3) in the upright orientation; landmark coordinates are pixels of
that frame. Colours: the athlete's left side orange, right side blue (consistent in every
plot and export). Drawing scales with the frame height so labels stay readable from 360p to 4K.
"""

from __future__ import annotations

import cv2
import numpy as np

from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import SKELETON_EDGES

LEFT_RGB = (255, 140, 0)
RIGHT_RGB = (30, 144, 255)
CENTRE_RGB = (235, 235, 235)
_LEFT_IDS = {i for n, i in L.items() if n.startswith("left_")}
_RIGHT_IDS = {i for n, i in L.items() if n.startswith("right_")}


def _edge_colour(a: int, b: int) -> tuple[int, int, int]:
    if a in _LEFT_IDS and b in _LEFT_IDS:
        return LEFT_RGB
    if a in _RIGHT_IDS and b in _RIGHT_IDS:
        return RIGHT_RGB
    return CENTRE_RGB


def _label(img: np.ndarray, text: str, org: tuple[int, int], scale: float,
           colour: tuple[int, int, int]) -> None:
    """Text with a dark box behind it, clamped inside the frame; org = left-baseline."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    thick = max(1, int(round(scale * 2)))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    h, w = img.shape[:2]
    x = int(min(max(org[0], 2), w - tw - 4))
    y = int(min(max(org[1], th + 4), h - base - 2))
    cv2.rectangle(img, (x - 3, y - th - 4), (x + tw + 3, y + base + 2), (20, 20, 20), -1)
    cv2.putText(img, text, (x, y), font, scale, colour, thick, cv2.LINE_AA)


def label_baseline(joint_y: int, above: bool, text_h: int, base: int) -> int:
    """Baseline y (px) of a joint's angle label: its box (as :func:`_label` draws it,
    ``text_h + 4`` above the baseline to ``base + 2`` below) ends just above the joint
    (``above``: the left leg's labels) or starts just below it (the right leg's), so the two
    legs' labels of the same joint never overlap, even when the joints coincide (the hips,
    side-on)."""
    return joint_y - base - 3 if above else joint_y + text_h + 5


def label_places(labels: list[tuple[str, tuple[int, int], bool]], font_scale: float, gap: int,
                 direction: int) -> list[tuple[int, int, int]]:
    """Where the joints' angle labels go: ``labels`` = (text, joint (x, y) px, left leg?);
    returns (x, baseline y, text width) px each, in order. Each label sits behind the runner
    (``direction`` +1: running right), ``gap`` px from its joint, the left leg's just above
    it and the right leg's just below (:func:`label_baseline`). When two of them would
    overlap (a small athlete: the knee is less than two labels below the hip), they are
    stacked in one column behind the runner instead, in the given order, centred on the
    joints' mean height (each keeps its line to its joint)."""
    thick = max(1, int(round(font_scale * 2)))
    sizes = [cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick) for t, _p, _l in labels]
    places = []
    for (_t, (jx, jy), left), ((tw, th), base) in zip(labels, sizes):
        x = jx - gap - tw if direction > 0 else jx + gap
        places.append((x, label_baseline(jy, above=left, text_h=th, base=base), tw))

    def box(k: int) -> tuple[int, int, int, int]:
        x, y, tw = places[k]
        (_tw, th), base = sizes[k]
        return x - 3, y - th - 4, x + tw + 3, y + base + 2

    def overlap(a, b) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    boxes = [box(k) for k in range(len(places))]
    if not any(overlap(boxes[i], boxes[j]) for i in range(len(boxes)) for j in range(i)):
        return places
    row = max(th + base + 8 for (_tw, th), base in sizes)
    edge = (min(jx for _t, (jx, _jy), _l in labels) - gap if direction > 0
            else max(jx for _t, (jx, _jy), _l in labels) + gap)
    top = int(np.mean([jy for _t, (_jx, jy), _l in labels])) - row * (len(labels) - 1) // 2
    return [((edge - tw) if direction > 0 else edge, top + k * row, tw)
            for k, ((tw, _th), _base) in enumerate(sizes)]


def value_fmt(value: float, signed: bool) -> str:
    """Angle label text: whole degrees, with an explicit sign for signed angles."""
    return f"{value:+.0f}°".replace("°", "") if signed else f"{value:.0f}"


def draw_overlay(
    rgb: np.ndarray,
    xy: np.ndarray,
    knee_flexion: tuple[float, float],
    hip_flexion: tuple[float, float],
    time_s: float,
    frame_index: int,
    direction: int = 1,
) -> np.ndarray:
    """Return a copy of ``rgb`` with the overlay for one frame.

    Args:
        rgb: (H, W, 3) uint8 frame.
        xy: (33, 2) landmark pixels, NaN if nobody detected (then only the time is drawn).
        knee_flexion, hip_flexion: (left, right) degrees, NaN allowed.
        time_s: real time of the frame in seconds; frame_index: its index.
        direction: +1 running to the right; angle labels are placed behind the athlete.
    """
    img = np.ascontiguousarray(rgb).copy()
    h = img.shape[0]
    scale = max(0.45, h / 1080.0 * 0.9)
    line = max(2, int(round(h / 270)))
    radius = max(3, int(round(h / 200)))
    if np.isfinite(xy[L["left_hip"], 0]):
        pts = np.where(np.isfinite(xy), xy, -1.0)
        for a, b in SKELETON_EDGES:
            if pts[a, 0] < 0 or pts[b, 0] < 0:
                continue
            cv2.line(img, tuple(int(v) for v in pts[a]), tuple(int(v) for v in pts[b]),
                     _edge_colour(a, b), line, cv2.LINE_AA)
        for i in range(11, 33):
            if pts[i, 0] >= 0:
                colour = LEFT_RGB if i in _LEFT_IDS else RIGHT_RGB
                cv2.circle(img, (int(pts[i, 0]), int(pts[i, 1])), radius, colour, -1, cv2.LINE_AA)
                cv2.circle(img, (int(pts[i, 0]), int(pts[i, 1])), radius, (255, 255, 255), 1, cv2.LINE_AA)
        gap = int(round(22 * scale))
        font_scale = scale * 0.75
        labels = []
        for j, side in enumerate(("left", "right")):
            colour = LEFT_RGB if side == "left" else RIGHT_RGB
            for joint, value, text in (
                (f"{side}_hip", hip_flexion[j], f"{side[0].upper()} hip {value_fmt(hip_flexion[j], True)}"),
                (f"{side}_knee", knee_flexion[j], f"{side[0].upper()} knee {value_fmt(knee_flexion[j], False)}"),
            ):
                p = xy[L[joint]]
                if np.isfinite(value) and np.all(np.isfinite(p)):
                    labels.append((text, (int(p[0]), int(p[1])), side == "left", colour))
        for (text, p, _left, colour), (x, y, tw) in zip(labels, label_places(
                [(t, p, left) for t, p, left, _c in labels], font_scale, gap, direction)):
            anchor = (x + tw + 2, y - 4) if direction > 0 else (x - 2, y - 4)
            cv2.line(img, p, anchor, colour, 1, cv2.LINE_AA)
            _label(img, text, (x, y), font_scale, colour)
    _label(img, f"t = {time_s:6.3f} s   frame {frame_index}", (10, int(40 * scale)), scale, CENTRE_RGB)
    return img



CUE_SHOW_S = 0.5  #: a cue's banner stays on screen this long around its frame (real seconds)


def _text_scale(h: int) -> float:
    """Font scale for a frame of height ``h``: ~0.8 at 720p, never below 0.5."""
    return max(0.5, h / 720.0 * 0.8)


def draw_kinematics(rgb: np.ndarray, analysis, frame_index: int,
                    phase: tuple[str, str] | None = None) -> np.ndarray:
    """Draw the per-leg phase (contact / swing), the current stride's key numbers and a
    banner with the cue's text around frames that a cue cites.

    ``analysis`` is a :class:`posecheck.types.Analysis` with kinematics; ``rgb`` (H, W, 3)
    uint8 is modified in place and returned for chaining. Angles are in degrees.
    """
    h, w = rgb.shape[:2]
    s = _text_scale(h)
    y = int(round(78 * s))
    if phase is not None:
        for side, colour, ph in (("L", LEFT_RGB, phase[0]), ("R", RIGHT_RGB, phase[1])):
            if ph:
                _label(rgb, f"{side} {ph}", (10, y), s * 0.7, colour)
                y += int(round(30 * s))
    current = None
    for st in analysis.strides:
        if st.toe_off_frame <= frame_index:
            current = st
    if current is not None:
        colour = LEFT_RGB if current.side == "left" else RIGHT_RGB
        lines = [f"{current.side} swing: peak knee {current.peak_knee_flexion_deg:.0f} deg",
                 f"thigh vs trunk at peak knee {current.hip_flexion_at_peak_knee_deg:+.0f} deg",
                 f"knee lift {current.peak_thigh_deg:.0f} deg, step-over {current.step_over_shank:+.2f}"]
        for text in lines:
            if "nan" not in text:
                _label(rgb, text, (10, y), s * 0.6, colour)
            y += int(round(26 * s))
    times = analysis.times
    now = times[frame_index] if frame_index < len(times) else np.nan
    for cue in analysis.cues:
        if cue.frame is None or cue.frame < 0 or cue.frame >= len(times):
            continue
        if abs(times[cue.frame] - now) <= CUE_SHOW_S / 2:
            colour = (255, 90, 90) if cue.kind == "fault" else (90, 220, 130)
            cv2.rectangle(rgb, (0, 0), (w - 1, h - 1), colour, max(3, int(6 * s)))
            _banner(rgb, cue.text, colour, s * 0.65)
            break
    return rgb


def _banner(img: np.ndarray, text: str, colour: tuple[int, int, int], scale: float) -> None:
    """Wrap ``text`` over at most three lines on a dark band at the bottom of the frame."""
    font, thick = cv2.FONT_HERSHEY_SIMPLEX, max(1, int(round(scale * 2)))
    h, w = img.shape[:2]
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if cv2.getTextSize(trial, font, scale, thick)[0][0] > w - 30 and line:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    if len(lines) > 3:
        lines = lines[:3]
        lines[2] = lines[2][: max(0, len(lines[2]) - 3)] + "..."
    step = int(cv2.getTextSize("Ag", font, scale, thick)[0][1] * 1.9)
    top = h - step * len(lines) - 12
    band = img[top:h]
    band[:] = (band * 0.35).astype(np.uint8)  # darken, keep the picture visible
    for k, ln in enumerate(lines):
        cv2.putText(img, ln, (15, top + step * (k + 1) - 4), font, scale, colour, thick, cv2.LINE_AA)
