"""Parameters of a synthetic sprint clip (motion, body, camera, look, output).

All angles in degrees, lengths in metres, times in seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from .body import BodyShape

CAMERA_MODES = ("static", "track", "pan")


@dataclass(frozen=True)
class CameraParams:
    """Phone-like pinhole camera.

    mode: ``static`` (fixed, aimed at the middle of the run), ``track`` (moves along the
        track with the runner, side-on), ``pan`` (fixed position, turns to follow).
    distance: camera distance from the runner's lane centre line (m).
    height: lens height above the ground (m).
    hfov: horizontal field of view (deg); ``None`` = chosen so the runner fills about
        ``fill`` of the frame height (track/pan) or the whole run fits (static).
    fill: fraction of the frame height the standing stature should fill when hfov is None.
    yaw_off: extra yaw of the optical axis away from perpendicular-to-the-track (deg);
        for ``track`` it also offsets the camera along the track so the runner stays centred.
    shake: hand-held shake amplitude (deg of rotation, smooth random walk); 0 = tripod.
    lag: panning/tracking lag (s) of the operator following the runner.
    """

    mode: str = "pan"
    distance: float = 14.0
    height: float = 1.3
    hfov: float | None = None
    fill: float = 0.62
    yaw_off: float = 0.0
    shake: float = 0.0
    lag: float = 0.04

    def __post_init__(self) -> None:
        if self.mode not in CAMERA_MODES:
            raise ValueError(f"camera mode must be one of {CAMERA_MODES}")


@dataclass(frozen=True)
class Look:
    """Clothing and skin colours (sRGB 0-255) and hair."""

    skin: tuple[int, int, int] = (176, 122, 90)
    shirt: tuple[int, int, int] = (30, 60, 160)
    shorts: tuple[int, int, int] = (25, 25, 30)
    shoes: tuple[int, int, int] = (235, 235, 235)
    hair: tuple[int, int, int] = (30, 22, 18)
    sleeveless: bool = True
    shorts_length: float = 0.30  # fraction of the thigh covered (0 = briefs, 1 = knee)


@dataclass(frozen=True)
class SprintParams:
    """Everything that defines one clip.

    style: 0 = back-kick (back-side) mechanics .. 1 = front-side mechanics (continuous).
    cadence: steps per second. duty: contact time / stride time (per leg). A jog: cadence
        2.9, duty 0.36, speed 3.2 (contact 0.25 s, flight 0.1 s; van Oeveren et al. 2021).
    speed: running speed (m/s); ``None`` = cadence * step length, step length =
        ``step_ratio`` x stature (``None`` = 1.08 + 0.07 * style).
    lean: mean trunk lean from vertical (deg, + forward); ``None`` = style default.
    direction: +1 = runs left-to-right in the image (the athlete's RIGHT side faces the
        camera), -1 = right-to-left (LEFT side faces the camera).
    phase: stride phase at t = 0 (fraction of the left leg's stride after its touchdown).
    seconds, fps, width, height: clip length and format. supersample: render scale for
        anti-aliasing (2 = render 2x and downsample).
    key_overrides: ``((name, value), ...)`` style keys (``motion.STYLE_KEYS``) set directly
        instead of interpolated from ``style``, e.g. ``(("thigh_peak", 67.0),)`` for a
        profile built from published values.
    """

    style: float = 1.0
    cadence: float = 4.6
    duty: float = 0.2
    speed: float | None = None
    step_ratio: float | None = None
    lean: float | None = None
    direction: int = 1
    phase: float = 0.1
    seconds: float = 3.0
    fps: float = 60.0
    width: int = 1280
    height: int = 720
    supersample: int = 2
    seed: int = 0
    body: BodyShape = field(default_factory=BodyShape)
    camera: CameraParams = field(default_factory=CameraParams)
    look: Look = field(default_factory=Look)
    key_overrides: tuple = ()

    def __post_init__(self) -> None:
        from .motion import STYLE_KEYS

        pairs = tuple((str(k), float(v)) for k, v in self.key_overrides)
        unknown = [k for k, _ in pairs if k not in STYLE_KEYS]
        if unknown:
            raise ValueError(f"unknown style key(s): {', '.join(unknown)}")
        object.__setattr__(self, "key_overrides", pairs)
        if not 0.0 <= self.style <= 1.0:
            raise ValueError("style must be in [0, 1]")
        if self.direction not in (1, -1):
            raise ValueError("direction must be +1 or -1")
        if not 0.12 <= self.duty <= 0.42:
            raise ValueError("duty must be in [0.12, 0.42] (sprinting 0.2, jogging 0.35–0.4)")
        if not 2.4 <= self.cadence <= 6.0:
            raise ValueError("cadence must be in [2.4, 6] steps/s")

    @property
    def n_frames(self) -> int:
        return int(round(self.seconds * self.fps))

    @property
    def run_speed(self) -> float:
        if self.speed is not None:
            return float(self.speed)
        ratio = self.step_ratio if self.step_ratio is not None else 1.08 + 0.07 * self.style
        return self.cadence * ratio * self.body.stature_m

    def to_dict(self) -> dict:
        return asdict(self)


def params_from_dict(d: dict) -> SprintParams:
    """Inverse of :meth:`SprintParams.to_dict` (for re-rendering a clip from its JSON)."""
    kw = dict(d)
    for name, cls in (("body", BodyShape), ("camera", CameraParams), ("look", Look)):
        if name in kw and isinstance(kw[name], dict):
            sub = dict(kw[name])
            for f in fields(cls):
                if isinstance(sub.get(f.name), list):
                    sub[f.name] = tuple(sub[f.name])
            kw[name] = cls(**sub)
    names = {f.name for f in fields(SprintParams)}
    return SprintParams(**{k: v for k, v in kw.items() if k in names})
