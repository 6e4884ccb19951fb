"""An accelerating sprinter with exact ground truth: the run from the first steps after a
start to maximum velocity (``docs/synthetic_sprinter.md``).

Each step (a touchdown to the other foot's touchdown) is one step of a
:class:`~tools.synth.motion.SprintCycle` with that step's parameters, so the stance foot is
exactly planted during its contact; the parameters change from step to step along a
profile ``f = 1 − exp(−step / STEP_SCALE)`` (0 at the first step, → 1 at top speed):

* speed 3.2 → 9.0 m/s, step frequency 3.9 → 4.6 steps/s, contact 0.15 → 0.09 s (first
  contacts of about 0.2 s in world-class starts, 0.09 s at top speed: Ciacci et al. 2017,
  Čoh et al. 2018; the motion model's stance cannot reach further than 0.15 s at 3.2 m/s);
* touchdown posture from the foot landing **behind** the hip (thigh −5°, knee 40°) to the
  max-velocity landing ahead of it (thigh 21°, knee 19°) (Nagahara et al. 2014: the foot
  lands behind the centre of mass in the first steps); toe-off knee 30° → 12°;
* trunk lean 45° → 7°, falling smoothly with time constant ``lean_tau_s`` (the trunk rises
  to upright over the first 10–30 m, Debaere et al. 2013).

Between steps the swing leg's keyframe curves and the root height change a little (a
few degrees, a few millimetres): the truth is exact per frame, not a smooth physical
simulation of the transitions. The clip starts at the first touchdown; a set position and
block start before it: :mod:`tools.synth.block_start`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .motion import SprintCycle
from .params import SprintParams
from .simulation import GroundTruth, _body_cache, _ground_truth, project

STEP_SCALE = 4.0


@dataclass(frozen=True)
class AccelerationProfile:
    """Start and top-speed values of the profile (module docstring)."""

    steps: int = 20
    speed: tuple[float, float] = (3.2, 9.0)
    cadence: tuple[float, float] = (3.9, 4.6)
    contact_s: tuple[float, float] = (0.15, 0.09)
    thigh_td: tuple[float, float] = (-5.0, 21.0)
    knee_td: tuple[float, float] = (40.0, 19.0)
    knee_to: tuple[float, float] = (30.0, 12.0)
    lean: tuple[float, float] = (45.0, 7.0)
    lean_tau_s: float = 1.4

    def at(self, step: int) -> dict:
        """The parameters of step ``step`` (0 = first)."""
        f = 1.0 - np.exp(-step / STEP_SCALE)
        mix = lambda pair: pair[0] + (pair[1] - pair[0]) * f  # noqa: E731
        return {"speed": mix(self.speed), "cadence": mix(self.cadence),
                "contact_s": mix(self.contact_s), "thigh_td": mix(self.thigh_td),
                "knee_td": mix(self.knee_td), "knee_to": mix(self.knee_to)}


def step_cycle(body, p: SprintParams, prof: AccelerationProfile, k: int) -> SprintCycle:
    """The :class:`SprintCycle` of step ``k`` of the profile (its touchdown posture keys)."""
    q = prof.at(k)
    duty = q["contact_s"] * q["cadence"] / 2.0
    keys = tuple(p.key_overrides) + (("thigh_td", q["thigh_td"]), ("knee_td", q["knee_td"]),
                                     ("knee_to", q["knee_to"]))
    return SprintCycle(body, p.style, q["cadence"], duty, q["speed"], None, keys)


def acceleration_kinematics(p: SprintParams, prof: AccelerationProfile, t_start: float = 0.0):
    """``(kin, events, steps, last_cycle, distance_m)`` of the accelerating run whose first
    (left) touchdown is at ``t_start`` s: :meth:`SprintCycle.sample` layout sampled on the
    frame grid ``k / fps`` from the first frame at or after ``t_start``, root_x = 0 at the
    first touchdown; exact events and each step's parameters."""
    body = _body_cache(p.body)
    parts, events, steps = [], [], []
    t0, x0 = t_start, 0.0
    for k in range(prof.steps):
        q = prof.at(k)
        cycle = step_cycle(body, p, prof, k)
        side = "left" if k % 2 == 0 else "right"
        first = int(np.ceil(t0 * p.fps - 1e-9))
        last = int(np.ceil((t0 + cycle.Ts) * p.fps - 1e-9))
        tt = np.arange(first, last) / p.fps - t0
        kin = cycle.sample(tt, 0.0 if side == "left" else 0.5)
        kin["root_x"] = x0 + q["speed"] * tt
        kin["t"] = tt + t0
        parts.append(kin)
        for kind, te in (("touchdown", t0), ("toe_off", t0 + cycle.t_c)):
            events.append({"side": side, "type": kind, "time": te,
                           "frame": int(np.ceil(te * p.fps - 1e-9))})
        steps.append({"touchdown_time": t0, **{k_: float(v) for k_, v in q.items()}})
        t0 += cycle.Ts
        x0 += q["speed"] * cycle.Ts
    kin = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    kin["lean"] = lean_at(prof, kin["t"] - t_start)
    kin["neck"] = 0.5 * kin["lean"]
    return kin, events, steps, cycle, x0


def lean_at(prof: AccelerationProfile, t):
    """Trunk lean (deg) ``t`` s after the first touchdown."""
    return prof.lean[1] + (prof.lean[0] - prof.lean[1]) * np.exp(-np.asarray(t) / prof.lean_tau_s)


def simulate_acceleration(p: SprintParams | None = None,
                          profile: AccelerationProfile | None = None) -> GroundTruth:
    """Kinematics and 2D ground truth of an accelerating run (no rendering). ``p`` gives the
    style keys, body, camera and format (its motion fields are replaced by the profile;
    the clip lasts as long as the profile's steps). The payload's ``events`` are exact;
    ``strides`` is empty; ``steps`` lists each step's parameters and touchdown time."""
    p = p or SprintParams()
    prof = profile or AccelerationProfile()
    kin, events, steps, cycle, x0 = acceleration_kinematics(p, prof)
    return finish(p, prof, kin, events, steps, cycle, x0)


def finish(p: SprintParams, prof: AccelerationProfile, kin: dict, events: list, steps: list,
           cycle: SprintCycle, distance_m: float) -> GroundTruth:
    """Project ``kin`` and make the :class:`GroundTruth` (events past the clip dropped)."""
    n = len(kin["t"])
    p = replace(p, seconds=n / p.fps)
    body = _body_cache(p.body)
    Qw, Pw, cam, world_pts, proj = project(p, body, kin, distance_m)
    gt = _ground_truth(p, body, cycle, kin, Qw, Pw, cam, world_pts, proj,
                       [e for e in events if e["frame"] < n], [],
                       {"run_speed_mps": prof.at(prof.steps - 1)["speed"]})
    gt.payload["steps"] = steps
    return gt
