"""Traffic lights (docs/lights-and-reports.md): every rule at its boundary days, ordering, wording, thresholds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.errors import BadInput
from workflow.lights import (
    MILESTONE_STAGE,
    STAGE_ORDER,
    Light,
    LightFacts,
    Reason,
    Thresholds,
    compute_light,
    milestone_reached,
)

AS_OF = date(2026, 6, 30)


def facts(**kw: object) -> LightFacts:
    """A green active project on AS_OF unless told otherwise."""
    base = {
        "stage": "lead",
        "stage_kind": "active",
        "stage_since": AS_OF,
        "registered_on": AS_OF,
        "last_followup_on": AS_OF,
        "key": False,
        "has_lead_leader": False,
        "plan": {},
    }
    base.update(kw)
    return LightFacts(**base)  # type: ignore[arg-type]


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def ahead(days: int) -> date:
    return AS_OF + timedelta(days=days)


def codes(light: Light) -> list[tuple[str, str]]:
    return [(r.code, r.color) for r in light.reasons]


def test_green_when_nothing_is_wrong() -> None:
    assert compute_light(facts(), AS_OF) == Light("green", ())


@pytest.mark.parametrize(
    ("stage", "kind"),
    [("production", "final"), ("rejected", "final"), ("withdrawn", "final"), ("on_hold", "paused")],
)
def test_final_and_paused_have_no_light(stage: str, kind: str) -> None:
    worst = facts(
        stage=stage,
        stage_kind=kind,
        stage_since=ago(400),
        registered_on=ago(400),
        last_followup_on=None,
        key=True,
        has_lead_leader=False,
        plan={"sign": ago(100), "commission": ago(1)},
    )
    assert compute_light(worst, AS_OF) == Light(None, ())


# --- screening ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, []),
        (5, []),
        (6, [("screening_too_long", "yellow")]),
        (10, [("screening_too_long", "yellow")]),
        (11, [("screening_too_long", "red")]),
        (200, [("screening_too_long", "red")]),
    ],
)
def test_screening_days(days: int, expected: list[tuple[str, str]]) -> None:
    light = compute_light(facts(stage="screening", stage_since=ago(days)), AS_OF)
    assert codes(light) == expected


def test_screening_messages() -> None:
    red = compute_light(facts(stage="screening", stage_since=ago(11)), AS_OF).reasons[0]
    assert red.message("en") == "in screening for 11 days (more than 10)"
    assert red.message("zh") == "审核中已11天（超过10天）"
    yellow = compute_light(facts(stage="screening", stage_since=ago(6)), AS_OF).reasons[0]
    assert yellow.message("en") == "in screening for 6 days (more than 5)"
    assert yellow.message("zh") == "审核中已6天（超过5天）"


@pytest.mark.parametrize("stage", ["lead", "approved", "signed", "funding", "construction"])
def test_screening_rule_only_in_screening(stage: str) -> None:
    light = compute_light(facts(stage=stage, stage_since=ago(30)), AS_OF)
    assert "screening_too_long" not in [r.code for r in light.reasons]


# --- signed without capital ----------------------------------------------------------------


@pytest.mark.parametrize(("days", "red"), [(0, False), (89, False), (90, False), (91, True)])
def test_signed_without_capital(days: int, red: bool) -> None:
    light = compute_light(facts(stage="signed", stage_since=ago(days)), AS_OF)
    assert codes(light) == ([("signed_no_capital", "red")] if red else [])


def test_signed_message() -> None:
    light = compute_light(facts(stage="signed", stage_since=ago(91)), AS_OF)
    assert light.reasons[0].message("en") == (
        "signed for 91 days with no capital in place (more than 90)"
    )
    assert light.reasons[0].message("zh") == "签约已91天，资金仍未到位（超过90天）"


def test_funding_is_not_signed_without_capital() -> None:
    assert compute_light(facts(stage="funding", stage_since=ago(500)), AS_OF).color == "green"


# --- follow-up -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (30, []),
        (31, [("no_followup", "yellow")]),
        (60, [("no_followup", "yellow")]),
        (61, [("no_followup", "red")]),
    ],
)
def test_followup_days(days: int, expected: list[tuple[str, str]]) -> None:
    light = compute_light(facts(registered_on=ago(1000), last_followup_on=ago(days)), AS_OF)
    assert codes(light) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (30, []),
        (31, [("no_followup", "yellow")]),
        (60, [("no_followup", "yellow")]),
        (61, [("no_followup", "red")]),
    ],
)
def test_followup_counts_from_registration_when_none(
    days: int, expected: list[tuple[str, str]]
) -> None:
    light = compute_light(facts(registered_on=ago(days), last_followup_on=None), AS_OF)
    assert codes(light) == expected


def test_followup_messages() -> None:
    red = compute_light(facts(registered_on=ago(90), last_followup_on=ago(61)), AS_OF).reasons[0]
    assert red.message("en") == "no follow-up for 61 days (more than 60)"
    assert red.message("zh") == "已61天未跟进（超过60天）"
    yellow = compute_light(facts(registered_on=ago(31), last_followup_on=None), AS_OF).reasons[0]
    assert yellow.message("en") == "no follow-up since registration 31 days ago (more than 30)"
    assert yellow.message("zh") == "登记已31天，尚无跟进记录（超过30天）"


def test_followup_applies_to_every_active_stage() -> None:
    for stage in STAGE_ORDER[:-1]:
        light = compute_light(
            facts(stage=stage, last_followup_on=ago(61), stage_since=AS_OF), AS_OF
        )
        assert ("no_followup", "red") in codes(light)


# --- lead leader ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "has_leader", "red"),
    [(True, False, True), (True, True, False), (False, False, False), (False, True, False)],
)
def test_key_project_needs_lead_leader(key: bool, has_leader: bool, red: bool) -> None:
    light = compute_light(facts(key=key, has_lead_leader=has_leader), AS_OF)
    assert codes(light) == ([("no_lead_leader", "red")] if red else [])
    if red:
        assert light.reasons[0].message("en") == "no lead leader for a key project"
        assert light.reasons[0].message("zh") == "重点项目未明确县级领导"


# --- planned milestones --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("planned", "expected"),
    [
        (ago(30), "red"),
        (ago(1), "red"),  # passed by one day
        (AS_OF, "yellow"),  # passed by 0 days: due today
        (ahead(1), "yellow"),
        (ahead(15), "yellow"),  # due in 15 days
        (ahead(16), None),  # due in 16 days
        (ahead(400), None),
    ],
)
@pytest.mark.parametrize("milestone", list(MILESTONE_STAGE))
def test_milestone_boundaries(milestone: str, planned: date, expected: str | None) -> None:
    light = compute_light(facts(stage="lead", plan={milestone: planned}), AS_OF)
    if expected is None:
        assert codes(light) == []
    else:
        suffix = "overdue" if expected == "red" else "due"
        assert codes(light) == [(f"{milestone}_{suffix}", expected)]


@pytest.mark.parametrize("milestone", list(MILESTONE_STAGE))
def test_reached_milestone_never_warns(milestone: str) -> None:
    stage = MILESTONE_STAGE[milestone]
    if stage == "production":
        return  # production is final: no light at all
    light = compute_light(facts(stage=stage, plan={milestone: ago(100)}, stage_since=AS_OF), AS_OF)
    assert light.color == "green"


@pytest.mark.parametrize("stage", [*STAGE_ORDER, "on_hold", "not_a_stage"])
def test_milestones_judged_are_those_of_stages_not_reached(stage: str) -> None:
    """Every milestone passed: the overdue ones are those whose stage comes after ``stage`` in
    STAGE_ORDER, in plan order (a stage outside STAGE_ORDER has reached none)."""
    from workflow.lights import findings

    pos = STAGE_ORDER.index(stage) if stage in STAGE_ORDER else -1
    plan = {m: ago(10 + i) for i, m in enumerate(MILESTONE_STAGE)}
    found = findings(facts(stage=stage, plan=plan), AS_OF, Thresholds())
    assert [code for _, code, _ in found if code.endswith("_overdue")] == [
        f"{m}_overdue" for m, s in MILESTONE_STAGE.items() if STAGE_ORDER.index(s) > pos]


def test_milestone_messages() -> None:
    red = compute_light(facts(plan={"sign": date(2026, 3, 1)}), AS_OF).reasons[0]
    assert red.message("en") == "planned signing 2026-03-01 passed, not signed"
    assert red.message("zh") == "计划签约日期2026-03-01已过，尚未签约"
    due = compute_light(facts(plan={"break_ground": ahead(9)}), AS_OF).reasons[0]
    assert (
        due.message("en")
        == "planned groundbreaking 2026-07-09 is due in 9 days, not under construction"
    )
    assert due.message("zh") == "距计划开工日期2026-07-09还有9天，尚未开工"
    today = compute_light(facts(plan={"fund": AS_OF}), AS_OF).reasons[0]
    assert (
        today.message("en")
        == "planned capital arrival 2026-06-30 is due today, no capital in place"
    )
    assert today.message("zh") == "计划到资日期2026-06-30为今天，资金尚未到位"
    one = compute_light(facts(plan={"commission": ahead(1)}), AS_OF).reasons[0]
    assert one.message("en") == "planned production 2026-07-01 is due in 1 day, not in production"


def test_milestones_none_are_ignored() -> None:
    plan = {"sign": None, "fund": None, "break_ground": None, "commission": None}
    assert compute_light(facts(plan=plan), AS_OF).color == "green"


def test_unknown_plan_key_is_a_bug() -> None:
    with pytest.raises(ValueError):
        compute_light(facts(plan={"dance": AS_OF}), AS_OF)


def test_unknown_plan_key_is_a_bug_for_the_color_alone_too() -> None:
    from workflow.lights import findings, light_color

    for plan in ({"dance": AS_OF}, {"sign": AS_OF - timedelta(days=1), "dance": None}):
        with pytest.raises(ValueError, match="dance"):
            light_color(facts(plan=plan), AS_OF)
        with pytest.raises(ValueError, match="dance"):
            findings(facts(plan=plan), AS_OF, Thresholds(), until_red=True)


def test_unknown_stage_kind_is_a_bug() -> None:
    with pytest.raises(ValueError):
        compute_light(facts(stage_kind="sleeping"), AS_OF)


@pytest.mark.parametrize(
    ("stage", "milestone", "reached"),
    [
        ("lead", "sign", False),
        ("approved", "sign", False),
        ("signed", "sign", True),
        ("signed", "fund", False),
        ("funding", "sign", True),
        ("funding", "fund", True),
        ("funding", "break_ground", False),
        ("construction", "break_ground", True),
        ("construction", "commission", False),
        ("production", "commission", True),
        ("production", "sign", True),
        ("on_hold", "sign", False),
        ("withdrawn", "sign", False),
    ],
)
def test_milestone_reached(stage: str, milestone: str, reached: bool) -> None:
    assert milestone_reached(stage, milestone) is reached


def test_milestone_reached_unknown_milestone() -> None:
    with pytest.raises(BadInput):
        milestone_reached("lead", "launch")


# --- combined: colour, ordering ------------------------------------------------------------


def test_every_reason_present_red_first_in_fixed_order() -> None:
    light = compute_light(
        facts(
            stage="screening",
            stage_since=ago(11),
            registered_on=ago(100),
            last_followup_on=ago(31),
            key=True,
            has_lead_leader=False,
            plan={
                "commission": ahead(10),
                "break_ground": ago(2),
                "sign": ago(1),
                "fund": ahead(15),
            },
        ),
        AS_OF,
    )
    assert light.color == "red"
    assert codes(light) == [
        ("sign_overdue", "red"),
        ("break_ground_overdue", "red"),
        ("screening_too_long", "red"),
        ("no_lead_leader", "red"),
        ("fund_due", "yellow"),
        ("commission_due", "yellow"),
        ("no_followup", "yellow"),
    ]
    assert light.messages("zh")[0] == "计划签约日期2026-06-29已过，尚未签约"
    assert light.json("en")["light"] == "red"
    assert light.json("en")["light_reasons"][2] == "in screening for 11 days (more than 10)"


def test_yellow_only() -> None:
    light = compute_light(
        facts(stage="screening", stage_since=ago(6), last_followup_on=ago(31)), AS_OF
    )
    assert light.color == "yellow"
    assert codes(light) == [("screening_too_long", "yellow"), ("no_followup", "yellow")]


def test_reason_message_language_tags() -> None:
    r = Reason("x", "red", "english", "中文")
    assert r.message("en") == "english"
    assert r.message("zh") == "中文"
    assert r.message("zh_CN.UTF-8") == "中文"
    assert r.message("fr") == "english"


# --- thresholds ----------------------------------------------------------------------------


def test_thresholds_override_moves_boundaries() -> None:
    t = Thresholds.from_mapping(
        {
            "screening_yellow_days": 1,
            "screening_red_days": 2,
            "milestone_due_days": 3,
            "signed_no_capital_red_days": 4,
            "followup_yellow_days": 5,
            "followup_red_days": 6,
        }
    )
    assert codes(compute_light(facts(stage="screening", stage_since=ago(2)), AS_OF, t)) == [
        ("screening_too_long", "yellow")
    ]
    assert codes(compute_light(facts(stage="screening", stage_since=ago(3)), AS_OF, t)) == [
        ("screening_too_long", "red")
    ]
    assert codes(compute_light(facts(stage="signed", stage_since=ago(5)), AS_OF, t)) == [
        ("signed_no_capital", "red")
    ]
    assert codes(compute_light(facts(plan={"sign": ahead(3)}), AS_OF, t)) == [
        ("sign_due", "yellow")
    ]
    assert codes(compute_light(facts(plan={"sign": ahead(4)}), AS_OF, t)) == []
    assert codes(compute_light(facts(last_followup_on=ago(6)), AS_OF, t)) == [
        ("no_followup", "yellow")
    ]
    assert codes(compute_light(facts(last_followup_on=ago(7)), AS_OF, t)) == [
        ("no_followup", "red")
    ]
    msg = compute_light(facts(stage="screening", stage_since=ago(3)), AS_OF, t).reasons[0]
    assert msg.message("en") == "in screening for 3 days (more than 2)"


def test_thresholds_partial_mapping_keeps_defaults() -> None:
    t = Thresholds.from_mapping({"followup_red_days": 45})
    assert t == replace(Thresholds(), followup_red_days=45)
    assert Thresholds.from_mapping({}) == Thresholds()
    assert Thresholds.from_mapping(None) == Thresholds()
    assert Thresholds.from_mapping({"screening_yellow_days": 0}).screening_yellow_days == 0


@pytest.mark.parametrize(
    ("mapping", "match"),
    [
        ({"screening_days": 3}, "unknown"),
        ({"screening_red_days": "10"}, "whole number"),
        ({"screening_red_days": 10.0}, "whole number"),
        ({"screening_red_days": True}, "whole number"),
        ({"screening_red_days": None}, "whole number"),
        ({"followup_red_days": -1}, "negative"),
        ({"screening_red_days": 3}, "must not exceed"),
        ({"followup_yellow_days": 61}, "must not exceed"),
        ({"followup_red_days": 3651}, "from 0 to 3650"),
        ({"progress_red_points": 101}, "from 0 to 100"),
        ({"progress_yellow_ratio_pct": 10**30}, "from 0 to 100"),
    ],
)
def test_thresholds_refused(mapping: dict, match: str) -> None:
    with pytest.raises(BadInput, match=match):
        Thresholds.from_mapping(mapping)


# --- properties ----------------------------------------------------------------------------

_RANK = {"red": 2, "yellow": 1}
_STAGES = [(s, "active") for s in STAGE_ORDER[:-1]] + [
    ("production", "final"),
    ("rejected", "final"),
    ("withdrawn", "final"),
    ("on_hold", "paused"),
]
_DAYS = st.integers(min_value=-20, max_value=200)
_MAYBE_DATE = st.none() | _DAYS.map(lambda n: AS_OF - timedelta(days=n))


@st.composite
def light_facts(draw: st.DrawFn) -> LightFacts:
    stage, kind = draw(st.sampled_from(_STAGES))
    return LightFacts(
        stage=stage,
        stage_kind=kind,
        stage_since=AS_OF - timedelta(days=draw(_DAYS)),
        registered_on=AS_OF - timedelta(days=draw(_DAYS)),
        last_followup_on=draw(_MAYBE_DATE),
        key=draw(st.booleans()),
        has_lead_leader=draw(st.booleans()),
        plan={m: draw(_MAYBE_DATE) for m in MILESTONE_STAGE},
    )


@given(light_facts(), st.integers(min_value=0, max_value=60))
def test_light_is_deterministic_and_as_bad_as_its_worst_reason(f: LightFacts, shift: int) -> None:
    as_of = AS_OF + timedelta(days=shift)
    light = compute_light(f, as_of)
    assert compute_light(f, as_of) == light
    assert compute_light(replace(f, plan=dict(reversed(list(f.plan.items())))), as_of) == light
    if f.stage_kind != "active":
        assert light == Light(None, ())
        return
    if not light.reasons:
        assert light.color == "green"
    else:
        worst = max(light.reasons, key=lambda r: _RANK[r.color])
        assert light.color == worst.color
        ranks = [_RANK[r.color] for r in light.reasons]
        assert ranks == sorted(ranks, reverse=True)  # red ones first
    assert len({r.code for r in light.reasons}) == len(light.reasons)  # one reason per rule
    for r in light.reasons:
        assert r.en and r.zh and r.color in ("red", "yellow")


# --- the color alone (the reports' counts) decides by the same rules ----------------------------------

_THRESHOLDS = st.sampled_from([
    Thresholds(),
    Thresholds(progress_ratio_rule=1),
    Thresholds(progress_by_day=1),
    Thresholds(progress_by_day=1, progress_ratio_rule=1, screening_yellow_days=0, screening_red_days=0,
               milestone_due_days=0, followup_yellow_days=0, followup_red_days=0),
])


@st.composite
def full_facts(draw: st.DrawFn) -> LightFacts:
    """Every fact a light reads, planned progress, escalated problems and promises included."""
    f = draw(light_facts())
    problems = tuple((i, draw(st.text(min_size=1, max_size=50)), draw(st.integers(1, 4)))
                     for i in range(draw(st.integers(0, 2))))
    return replace(f, problems=problems, promised_on=draw(_MAYBE_DATE),
                   year_plan_minor=draw(st.none() | st.integers(-10, 10**12)),
                   year_done_minor=draw(st.integers(-10, 10**12)))


@given(full_facts(), st.integers(min_value=-200, max_value=200), _THRESHOLDS)
def test_light_color_is_the_color_of_the_worded_light(f: LightFacts, shift: int, t: Thresholds) -> None:
    from workflow.lights import light_color

    as_of = AS_OF + timedelta(days=shift)
    assert light_color(f, as_of, t) == compute_light(f, as_of, t).color


@given(full_facts(), st.integers(min_value=-200, max_value=200), _THRESHOLDS)
def test_findings_until_red_are_the_findings_up_to_the_first_red_one(f: LightFacts, shift: int,
                                                                      t: Thresholds) -> None:
    from workflow.lights import findings

    as_of = AS_OF + timedelta(days=shift)
    every = findings(f, as_of, t)
    colors = [color for color, _, _ in every]
    upto = colors.index("red") + 1 if "red" in colors else len(every)
    assert findings(f, as_of, t, until_red=True) == every[:upto]


@given(st.integers(1, 10**12), st.integers(-10, 2 * 10**12), st.dates(date(2000, 1, 1), date(2100, 12, 31)),
       _THRESHOLDS)
def test_progress_color_in_integers_equals_the_definition_in_fractions(
        plan: int, done: int, as_of: date, t: Thresholds) -> None:
    """The integer decision against the documented definition computed directly in exact fractions."""
    from fractions import Fraction

    from workflow.lights import progress_color
    from workflow.progress import time_progress

    elapsed = time_progress(as_of, by_day=bool(t.progress_by_day))
    progress = Fraction(max(done, 0), plan)
    if t.progress_ratio_rule:
        share = progress / elapsed * 100
        expected = ("red" if share < t.progress_red_ratio_pct
                    else "yellow" if share < t.progress_yellow_ratio_pct else None)
    else:
        behind = (elapsed - progress) * 100
        expected = ("red" if behind > t.progress_red_points
                    else "yellow" if behind > t.progress_yellow_points else None)
    assert progress_color(plan, done, as_of, t) == expected


def test_progress_color_at_the_exact_boundary() -> None:
    """March: time progress 25%.  Exactly 10 points behind is not yellow; a fen more is."""
    from workflow.lights import progress_color

    as_of = date(2026, 3, 31)
    assert progress_color(100_00, 15_00, as_of, Thresholds()) is None
    assert progress_color(100_00, 15_00 - 1, as_of, Thresholds()) == "yellow"
    assert progress_color(100_00, 0, as_of, Thresholds(progress_red_points=24)) == "red"
    assert progress_color(0, 0, as_of, Thresholds()) is None  # no plan, no light


def test_any_object_with_the_facts_gets_the_same_light() -> None:
    """The reports pass their snapshot of a project, not a LightFacts: the light reads attributes."""
    from types import SimpleNamespace

    f = facts(stage="screening", stage_since=ago(12), plan={"sign": ago(1)}, key=True)
    other = SimpleNamespace(**{k: getattr(f, k) for k in f.__dataclass_fields__})
    assert compute_light(other, AS_OF) == compute_light(f, AS_OF)  # type: ignore[arg-type]
    assert compute_light(f, AS_OF).color == "red"


@given(st.integers(1, 10**13), st.integers(-10, 3 * 10**13), st.dates(date(2000, 1, 1), date(2100, 12, 31)),
       _THRESHOLDS)
def test_progress_words_show_the_exact_shares_rounded(plan: int, done: int, as_of: date, t: Thresholds) -> None:
    """The reason's percentages are worded from integers: each equals the float of the exact
    fraction, as the documented definition computed in fractions gives it."""
    from fractions import Fraction

    from workflow.lights import progress_reason
    from workflow.progress import time_progress

    reason = progress_reason(plan, done, as_of, t)
    if reason is None:
        return
    elapsed = time_progress(as_of, by_day=bool(t.progress_by_day))
    progress = Fraction(max(done, 0), plan)
    assert f"{float(progress * 100):.1f}% of the {as_of.year} investment plan" in reason.en
    assert f"time progress {float(elapsed * 100):.1f}%" in reason.en
    if t.progress_ratio_rule:
        assert f"({float(progress / elapsed * 100):.1f}% of time progress" in reason.en
    else:
        assert f"({float((elapsed - progress) * 100):.1f} points behind" in reason.en


def test_the_lights_do_not_load_fractions() -> None:
    """Deciding and wording planned progress needs no ``fractions`` (and its ``decimal``) at start-up."""
    import subprocess
    import sys

    code = ("import sys; from datetime import date; from workflow.lights import *; "
            "f = LightFacts(stage='construction', stage_kind='active', stage_since=date(2026, 1, 1), "
            "registered_on=date(2026, 1, 1), last_followup_on=date(2026, 6, 1), key=False, has_lead_leader=False, "
            "year_plan_minor=100, year_done_minor=1); "
            "assert compute_light(f, date(2026, 6, 2)).reasons[0].code == 'progress_behind'; "
            "print('fractions' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
