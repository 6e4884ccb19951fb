"""Published values that posecheck's verdict, cues and reports rest on, with their sources
(the references table of ``docs/metrics.md`` §9 is this module in prose), and the pose
models' measured errors per metric.

Only what a source states is used: a metric with a published *definition or criterion* may
be judged against it; a metric with only elite *values* is reported next to them; a metric
with neither is reported plainly. No number here was fitted to posecheck's own synthetic
sprinter.
"""

from __future__ import annotations

from dataclasses import dataclass

#: short key → full citation
REFERENCES: dict[str, str] = {
    "Mann1986": "Mann RV (1986). The biomechanical analysis of sprinters. Track Technique 94: "
                "3000–3003; Mann R, Murphy A (2018). The Mechanics of Sprinting and Hurdling.",
    "Haugen2018": "Haugen T, Danielsen J, Alnes LO, McGhie D, Sandbakk Ø, Ettema G (2018). On "
                  "the importance of \"front-side mechanics\" in athletics sprinting. Int J "
                  "Sports Physiol Perform 13(4): 420–427.",
    "Ito2008": "Ito A, Fukuda K, Kijima K (2008). Mid-phase sprinting movements of Tyson Gay and "
               "Asafa Powell in the 100-m race during the 2007 IAAF World Championships in "
               "Athletics. New Stud Athl 23(2): 39–43.",
    "Ito1998": "Ito A, Ishikawa M, Isolehto J, Komi PV (1998/2006). Changes in the step width, "
               "step length and step frequency of the world's top sprinters; and Ito A et al. "
               "(1998) Relationship between sprint running movement and velocity at full speed "
               "(Jpn J Phys Educ 42: 71–83).",
    "Coh2018": "Čoh M, Hébert-Losier K, Štuhec S, Babić V, Supej M (2018). Maximal Speed "
               "Sprinting Kinematics: A Case Study of Usain Bolt. Kinesiology 50(2): 172–180.",
    "Mattes2021": "Mattes K, Wolff S, Alizadeh S (2021). Kinematic Stride Characteristics of "
                  "Maximal Sprint Running of Elite Sprinters. J Hum Kinet 77: 15–24.",
    "Debaere2013": "Debaere S, Jonkers I, Delecluse C (2013). The contribution of step "
                   "characteristics to sprint running performance in high-level male and "
                   "female athletes. J Strength Cond Res 27(1): 116–124.",
    "Bramah2024": "Bramah C, Tawiah-Dodoo J, Rhodes S, Elliott JD, Dos'Santos T (2024). The "
                  "Sprint Mechanics Assessment Score: A Qualitative Screening Tool for the "
                  "In-field Assessment of Sprint Running Mechanics. Am J Sports Med 52(6): "
                  "1608–1616.",
    "Clark2020": "Clark KP, Meng CR, Stearne DJ (2020). 'Whip from the hip': thigh angular "
                 "motion, ground contact mechanics, and running speed. Biol Open 9: bio053546.",
    "Thelen2005": "Thelen DG, Chumanov ES, Hoerth DM, Best TM, Swanson SC, Li L, Young M, "
                  "Heiderscheit BC (2005). Hamstring muscle kinematics during treadmill "
                  "sprinting. Med Sci Sports Exerc 37(1): 108–114.",
    "Chumanov2011": "Chumanov ES, Heiderscheit BC, Thelen DG (2011). Hamstring musculotendon "
                    "dynamics during stance and swing phases of high-speed running. Med Sci "
                    "Sports Exerc 43(3): 525–532.",
    "Bushnell2007": "Bushnell T, Hunter I (2007). Differences in technique between sprinters "
                    "and distance runners at equal and maximal speeds. Sports Biomech 6(3): "
                    "261–268.",
    "vanOeveren2021": "van Oeveren BT, de Ruiter CJ, Beek PJ, van Dieën JH (2021). The "
                      "biomechanics of running and running styles: a synthesis. Sports "
                      "Biomech (doi 10.1080/14763141.2021.1873411).",
    "Nagahara2014": "Nagahara R, Matsubayashi T, Matsuo A, Zushi K (2014). Kinematics of "
                    "transition during human accelerated sprinting. Biol Open 3: 689–699.",
    "Ciacci2017": "Ciacci S, Merni F, Bartolomei S, Di Michele R (2017). Sprint start "
                  "kinematics during competition in elite and world-class male and female "
                  "sprinters. J Sports Sci 35(13): 1270–1278.",
    "HarlandSteele1997": "Harland MJ, Steele JR (1997). Biomechanics of the sprint start. "
                         "Sports Med 23(1): 11–20.",
    "Bezodis2019": "Bezodis NE, Willwacher S, Salo AIT (2019). The biomechanics of the track "
                   "and field sprint start: a narrative review. Sports Med 49(9): 1345–1364.",
    "Exell2017": "Exell TA, Irwin G, Gittoes MJR, Kerwin DG (2017). Strength and performance "
                 "asymmetry during maximal velocity sprint running. Scand J Med Sci Sports "
                 "27(11): 1273–1282.",
    "Winter2009": "Winter DA (2009). Biomechanics and Motor Control of Human Movement, 4th "
                  "ed. (segment lengths after Drillis & Contini 1966).",
    "Miller2010": "Miller KC, Stone MS, Huxel KC, Edwards JE (2010). Exercise-associated "
                  "muscle cramps: causes, treatment, and prevention. Sports Health 2(4): "
                  "279–283.",
}


@dataclass(frozen=True)
class Norm:
    """What is published about one metric.

    ``low``/``high``: the published range (or single value in both) in the metric's unit,
    ``None`` where nothing numeric is published; ``use``: ``criterion`` (a published
    definition or screening criterion the metric is judged against), ``reference`` (shown
    next to published values, never faulted) or ``report`` (no published norm: shown
    plainly)."""

    metric: str
    label: str
    unit: str
    low: float | None
    high: float | None
    population: str
    sources: tuple[str, ...]
    use: str


NORMS: dict[str, Norm] = {n.metric: n for n in (
    Norm("hip_flexion_at_peak_knee_deg", "thigh vs trunk line at peak knee flexion", "deg",
         0.0, 0.0, "definition: front-side = leg action in front of the line through the "
         "trunk, back-side = behind it", ("Mann1986", "Haugen2018"), "criterion"),
    Norm("peak_thigh_deg", "knee lift (peak thigh angle from vertical)", "deg", 65.0, 70.0,
         "Gay and Powell, 2007 World Championships 100 m; not related to top speed",
         ("Ito2008", "Ito1998", "Haugen2018"), "reference"),
    Norm("peak_knee_flexion_deg", "peak knee flexion in swing", "deg", 139.0, 142.0,
         "Gay and Powell (minimum knee angle 41° / 38°); faster sprinters flex less",
         ("Ito2008", "Ito1998"), "reference"),
    Norm("contact_time_s", "contact time", "s", 0.086, 0.09,
         "Bolt 0.086 s at 12.1 m/s; shorter contacts in faster sprinters (r = −0.53)",
         ("Coh2018", "Mattes2021"), "reference"),
    Norm("flight_time_s", "flight time", "s", 0.145, 0.145,
         "Bolt; similar across ability levels", ("Coh2018",), "reference"),
    Norm("step_frequency_hz", "step frequency", "steps/s", 4.43, 4.96,
         "high-level men 4.43 ± 0.18; Gay 4.90, Powell 4.96", ("Debaere2013", "Ito2008"),
         "reference"),
    Norm("foot_ahead_of_hip_td_leg", "foot ahead of the hip at touchdown", "leg lengths",
         0.35, 0.35, "toe 0.31 m ahead of the centre of mass for Gay and Powell (0.35 leg "
         "lengths at 1.80 m); barely separates levels", ("Ito2008", "Winter2009"),
         "reference"),
    Norm("trunk_lean_td_deg", "trunk lean at touchdown", "deg", None, 15.0,
         "S-MAS fault: trochanter–C7 line more than 15° from vertical at touchdown "
         "(maximum velocity)", ("Bramah2024",), "criterion"),
    Norm("shank_td_deg", "shin at touchdown", "deg", 0.0, None,
         "S-MAS fault: the ankle ahead of the knee at touchdown (shin reaching forward)",
         ("Bramah2024",), "criterion"),
    Norm("thigh_separation_td_deg", "thigh separation at touchdown", "deg", None, 20.0,
         "S-MAS fault: thighs more than 20° apart at touchdown", ("Bramah2024",),
         "criterion"),
    Norm("thigh_forward_velocity_dps", "peak forward thigh angular velocity in swing",
         "deg/s", None, None, "rises with running speed (R² > 0.70, 3–10 m/s); no norms",
         ("Clark2020",), "report"),
    Norm("thigh_backward_velocity_dps", "peak backward thigh angular velocity in swing",
         "deg/s", None, None, "rises with running speed (R² > 0.70, 3–10 m/s); no norms",
         ("Clark2020",), "report"),
    Norm("knee_flexion_to_deg", "knee flexion at toe-off", "deg", None, None,
         "sprinters do not fully extend the knee at toe-off at top speed",
         ("Mann1986", "Bushnell2007"), "report"),
    Norm("hamstring_bflh_peak", "biceps femoris long head peak stretch", "x upright length",
         1.095, 1.095, "peak 9.5 % above upright length in late swing (14 athletes, "
         "treadmill sprinting; model estimate)", ("Thelen2005",), "reference"),
    Norm("hamstring_peak_pct_stride", "timing of the peak stretch", "% of stride", 85.0, 91.0,
         "late swing, about 90 % of the gait cycle", ("Thelen2005", "Chumanov2011"),
         "reference"),
    Norm("step_over_shank", "step-over (swing ankle vs the other knee)", "shank lengths",
         None, None, "a coaching description only; no published norm", (), "report"),
)}

#: per-stride mean |error| of the style metric per pose model (deg): the thigh at peak knee
#: flexion on held-out renders (docs/metrics.md §4), and its worst bias: the trunk read
#: 4° too upright by every MediaPipe model (§8), 1.5° on exact landmarks
STYLE_ERROR: dict[str, tuple[float, float]] = {
    "exact": (2.4, 1.5), "lite": (13.2, 4.0), "full": (9.5, 4.0), "heavy": (7.8, 4.0),
}
#: per-stride mean |error| (exact / MediaPipe lite, full, heavy; docs/metrics.md §4, §8) of
#: metrics judged against a criterion
MEAN_ERROR: dict[str, dict[str, float]] = {
    "shank_td_deg": {"exact": 2.1, "lite": 7.6, "full": 5.4, "heavy": 5.1},
    "thigh_separation_td_deg": {"exact": 2.7, "lite": 17.0, "full": 11.9, "heavy": 10.0},
    "trunk_lean_td_deg": {"exact": 1.5, "lite": 4.0, "full": 4.0, "heavy": 4.0},
}
#: within this of a criterion posecheck says it cannot tell: twice the mean |error|, because
#: a clip's median carries the model's bias, which on single rendered clips reached twice the
#: mean |error| (thigh separation at touchdown read 27° wide, the shank 9.5°; §6)
CRITERION_ERROR: dict[str, dict[str, float]] = {
    name: {model: 2.0 * err for model, err in errs.items()} for name, errs in MEAN_ERROR.items()}


def cite(metric: str) -> str:
    """Short source text for a metric, e.g. "Ito et al. 2008; Ito et al. 1998"."""
    norm = NORMS.get(metric)
    if norm is None or not norm.sources:
        return "no published norm"
    return "; ".join(_short(k) for k in norm.sources)


_SHORT = {"Mann1986": "Mann 1986", "Coh2018": "Čoh et al. 2018", "Bushnell2007": "Bushnell & Hunter 2007",
          "Winter2009": "Winter 2009", "vanOeveren2021": "van Oeveren et al. 2021",
          "Miller2010": "Miller et al. 2010"}


def _short(key: str) -> str:
    if key in _SHORT:
        return _SHORT[key]
    name = key.rstrip("0123456789")
    return f"{name} et al. {key[len(name):]}"
