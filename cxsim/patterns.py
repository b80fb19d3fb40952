"""The patterns P1–P8 of the design brief, each declared as an experiment (``cxsim.experiment``).

Each is a contrast over firms of the shipped scenarios, the direction the essays predict, the
boundary lever, and one sentence for a strategist. Nothing here is tuned: the scenarios are the
shipped ones at the calibrated defaults (ODD §8), and a pattern that does not emerge is
reported as such.
"""

from __future__ import annotations

from .experiment import Arm, Boundary, Experiment, Grid

__all__ = ["EXPERIMENTS", "by_name"]

#: the levers swept alone and again, on fewer values, as a grid's first lever
_CEO_COMMITMENT = Boundary(
    "firms.0.leadership.ceo_commitment",
    (0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    arms=(0,),
    label="the CEO-led firm's CEO commitment",
)
_VISIBLE_WEIGHT = Boundary(
    "market.visible_weight",
    (0.5, 0.7, 0.9, 1.0),
    arms=(0, 1),
    label="the weight customers give the visible part of quality",
)
_MINOR_REPORTED = Boundary(
    "market.complaint_rate_minor",
    (0.036, 0.2, 0.5, 0.9),
    arms=(0, 1),
    label="the share of minor problems customers report",
)
_CHAMPION_TIES = Boundary(
    "firms.0.champions.ties_per_champion",
    (0, 2, 5, 10),
    arms=(0, 1),
    label="BigAsk's champions' cross-silo ties",
)

EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        name="p1_ceo_led",
        pattern="P1",
        hypothesis="A CEO-led firm retains more of its customers than the same firm whose CEO "
        "delegates CX to a CCO and stays lukewarm.",
        arms=(Arm("ceo_led", "Focal", 1.0), Arm("cco_only", "Focal", -1.0)),
        expect=1,
        boundary=_CEO_COMMITMENT,
        advice="Do not hand CX to a CCO instead of leading it: the CCO adds execution only on "
        "top of a CEO's own visible commitment.",
        grid=Grid(
            _CEO_COMMITMENT.at((0.5, 0.7, 0.9)),
            Boundary(
                "firms.0.cco.authority",
                (0.25, 0.5, 1.0),
                arms=(1,),
                label="the CCO-only firm's CCO authority",
            ),
        ),
    ),
    Experiment(
        name="p2_invisible_war",
        pattern="P2",
        hypothesis="A rival that copies the CEO-led firm's visible programs loses long-term "
        "retention to it.",
        arms=(Arm("invisible_war", "Rival", 1.0), Arm("invisible_war", "Focal", -1.0)),
        expect=-1,
        boundary=_VISIBLE_WEIGHT,
        advice="Copying a rival's visible programs does not copy its retention; what cannot be "
        "seen (culture, and leaders who make programs land) is the lasting advantage.",
        # the copy lag's first value is 0: the change column is the part of the loss that is lag
        grid=Grid(
            _VISIBLE_WEIGHT.at((0.5, 0.7, 1.0)),
            Boundary(
                "firms.1.copies.lag_weeks",
                (0, 26, 52),
                arms=(0, 1),
                label="the copier's lag, weeks",
            ),
        ),
    ),
    Experiment(
        name="p3_service_only",
        pattern="P3",
        hypothesis="A firm that fixes its journey retains more than one that spends the same on "
        "complaint recovery only, because most problems are never reported.",
        arms=(Arm("service_only", "Journey", 1.0), Arm("service_only", "ServiceDesk", -1.0)),
        expect=1,
        boundary=_MINOR_REPORTED,
        advice="Treat CX as the whole journey, not the complaint desk: the problems that drive "
        "churn are mostly the ones nobody reports.",
        grid=Grid(
            _MINOR_REPORTED.at((0.036, 0.3, 0.9)),
            Boundary(
                "firms.0.programs.service_tools.intensity",
                (0.3, 0.6, 0.9),
                arms=(0, 1),
                label="ServiceDesk's service-tools intensity",
            ),
        ),
    ),
    Experiment(
        name="p4_eras",
        pattern="P4",
        hypothesis="Under rising expectations a firm that keeps improving retains more than one "
        "that keeps doing what it did.",
        arms=(Arm("eras", "Improving", 1.0), Arm("eras", "StandingStill", -1.0)),
        expect=1,
        boundary=Boundary(
            "market.eras.2.expectation_drift_per_year",
            (0.0, 0.03, 0.06, 0.1),
            arms=(0, 1),
            label="the last era's yearly rise in expectations",
        ),
        advice="Budget for continuous improvement: what delights this year is expected next "
        "year, so standing still is falling behind.",
    ),
    Experiment(
        name="p5_brand_gap",
        pattern="P5",
        hypothesis="A transforming firm that promises more than it delivers retains fewer "
        "customers than the same firm without the promise.",
        arms=(
            Arm("transformational", "Overpromising", 1.0),
            Arm("transformational", "Transforming", -1.0),
        ),
        expect=-1,
        boundary=Boundary(
            "firms.1.brand_promise",
            (0.45, 0.55, 0.65, 0.75),
            arms=(0, 1),
            label="Overpromising's brand promise",
        ),
        advice="Promise what the experience delivers today: a brand promise above delivery "
        "raises expectations and speeds churn.",
    ),
    Experiment(
        name="p6_voice_of_customer",
        pattern="P6",
        hypothesis="The same programs aimed by the voice of the customer retain more than when "
        "aimed by a boardroom guess.",
        arms=(Arm("boardroom", "Listening", 1.0), Arm("boardroom", "Boardroom", -1.0)),
        expect=1,
        boundary=Boundary(
            "firms.1.voice_of_customer",
            (0.0, 0.25, 0.5, 0.75, 1.0),
            arms=(0, 1),
            label="Listening's voice-of-customer strength",
        ),
        advice="Aim CX investment where customers' complaints and surveys say the problems are.",
    ),
    Experiment(
        name="p7_diagonal",
        pattern="P7",
        hypothesis="Funded champions with cross-silo ties retain more than champions with a "
        "piecemeal budget.",
        arms=(Arm("diagonal", "BigAsk", 1.0), Arm("diagonal", "Piecemeal", -1.0)),
        expect=1,
        boundary=_CHAMPION_TIES,
        advice="Back grassroots champions with a real budget and ties across silos; a piecemeal "
        "budget buys enthusiasm, not results.",
        grid=Grid(
            _CHAMPION_TIES.at((0, 5, 10)),
            Boundary(
                "firms.0.champions.budget_per_week",
                (2000, 10000, 40000),
                arms=(0, 1),
                label="BigAsk's champions' budget, $ per week",
            ),
        ),
    ),
    Experiment(
        name="p8_programs_without_leaders",
        pattern="P8",
        hypothesis="Programs' effect on retention is multiplied by leadership: (Both − "
        "LeadersOnly) − (ProgramsOnly − Neither) > 0.",
        arms=(
            Arm("programs_without_leaders", "Both", 1.0),
            Arm("programs_without_leaders", "LeadersOnly", -1.0),
            Arm("programs_without_leaders", "ProgramsOnly", -1.0),
            Arm("programs_without_leaders", "Neither", 1.0),
        ),
        expect=1,
        boundary=Boundary(
            "market.training_transfer_support",
            (0.0, 0.25, 0.5, 0.75, 1.0),
            arms=(0, 1, 2, 3),
            label="how far training transfer depends on the manager",
        ),
        advice="Run programs where leaders will carry them: training and redesigns pay more "
        "under committed managers and executives.",
        grid=Grid(
            Boundary(
                (
                    "firms.1.programs.frontline_training.intensity",
                    "firms.3.programs.frontline_training.intensity",
                ),
                (0.4, 0.8, 1.0),
                arms=(0, 1, 2, 3),
                label="training intensity (ProgramsOnly and Both)",
            ),
            Boundary(
                ("firms.2.leadership.ceo_commitment", "firms.3.leadership.ceo_commitment"),
                (0.6, 0.75, 0.9),
                arms=(0, 1, 2, 3),
                label="the leaders' CEO commitment (LeadersOnly and Both)",
            ),
        ),
    ),
)


def by_name(name: str) -> Experiment:
    """The experiment called ``name`` (or whose pattern is ``name``, e.g. ``P1``)."""
    for exp in EXPERIMENTS:
        if name in (exp.name, exp.pattern, exp.pattern.lower()):
            return exp
    known = ", ".join(e.name for e in EXPERIMENTS)
    raise KeyError(f"no experiment {name!r} (known: {known}, or P1-P8)")
