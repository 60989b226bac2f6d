"""Traffic lights (红黄绿灯, docs/lights-and-reports.md): a pure function of a project's facts and an as-of date.

The same facts and date always give the same light and the same reasons, in the same order.
"More than N days" means `(as_of - date).days > N`. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Protocol

from workflow.amounts import compact_money
from workflow.errors import BadInput

RED = "red"
YELLOW = "yellow"
GREEN = "green"

STAGE_ORDER: tuple[str, ...] = (
    "lead",
    "screening",
    "approved",
    "signed",
    "funding",
    "construction",
    "production",
)
# Planned milestone -> the stage whose reaching fulfils it.
MILESTONE_STAGE: dict[str, str] = {
    "sign": "signed",
    "fund": "funding",
    "break_ground": "construction",
    "commission": "production",
}
MILESTONES: tuple[str, ...] = tuple(MILESTONE_STAGE)
STAGE_KINDS: tuple[str, ...] = ("active", "final", "paused")

# Wording per milestone: (en noun, en "not reached", zh noun, zh "not reached").
_MILESTONE_WORDS: dict[str, tuple[str, str, str, str]] = {
    "sign": ("signing", "not signed", "签约", "尚未签约"),
    "fund": ("capital arrival", "no capital in place", "到资", "资金尚未到位"),
    "break_ground": ("groundbreaking", "not under construction", "开工", "尚未开工"),
    "commission": ("production", "not in production", "投产", "尚未投产"),
}


def _lang(lang: str | None) -> str:
    return "zh" if (lang or "").lower().startswith("zh") else "en"


DAYS_MAX = 3650  # the most days a threshold or a figure of the supervision ladder may be: ten years
POINTS_MAX = 100  # the most percentage points (or per cent) a threshold may be


@dataclass(frozen=True)
class Thresholds:
    """Day limits of the warnings; every rule fires on "more than N days"."""

    screening_yellow_days: int = 5
    screening_red_days: int = 10
    milestone_due_days: int = 15
    signed_no_capital_red_days: int = 90
    followup_yellow_days: int = 30
    followup_red_days: int = 60
    # Planned progress (序时进度, workflow.progress): points behind time progress, or the relative rule.
    progress_yellow_points: int = 10
    progress_red_points: int = 30
    progress_by_day: int = 0  # 0: time progress by month, 1: by day
    progress_ratio_rule: int = 0  # 0: points behind; 1: progress below a share of time progress
    progress_yellow_ratio_pct: int = 80
    progress_red_ratio_pct: int = 50

    @staticmethod
    def limits(name: str) -> tuple[int, int]:
        """The smallest and largest value of threshold ``name``: a switch 0 or 1, points and per cents
        0..100, days 0..3650 (docs/lights-and-reports.md, "Thresholds")."""
        if name in SWITCHES:
            return 0, 1
        return (0, POINTS_MAX) if name.endswith(("_points", "_pct")) else (0, DAYS_MAX)

    @classmethod
    def check_values(cls, m: Mapping[str, object] | None) -> dict[str, int]:
        """``m`` if every name is a threshold and every value a whole number within its ``limits``;
        BadInput otherwise.  How the values go together is left to ``from_mapping``, on the full set
        in force."""
        m = dict(m or {})
        known = [f.name for f in fields(cls)]
        unknown = sorted(k for k in m if k not in known)
        if unknown:
            raise BadInput(
                "unknown_warning_threshold_known", map=list(map(str, unknown)), known=list(known)
            )
        for key, value in m.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadInput(
                    "warning_threshold_must_be", key=key, value=value
                )
            if value < 0:
                raise BadInput("warning_threshold_must_not", key=key, value=value)
            if key in SWITCHES and value not in (0, 1):
                raise BadInput("warning_threshold_is_switch", key=key, value=value)
            low, high = cls.limits(key)
            if value > high:
                raise BadInput("warning_threshold_range", key=key, value=value, low=low, high=high)
        return m  # type: ignore[return-value]

    @classmethod
    def from_mapping(cls, m: Mapping[str, object] | None) -> Thresholds:
        """Defaults overridden by `m`; unknown keys, non-integers, values outside their ``limits``
        and a yellow limit above its red limit raise BadInput."""
        t = cls(**cls.check_values(m))
        if t.progress_red_ratio_pct > t.progress_yellow_ratio_pct:
            raise BadInput(
                "warning_threshold_progress_red", progress_red_ratio_pct=t.progress_red_ratio_pct,
                progress_yellow_ratio_pct=t.progress_yellow_ratio_pct
            )
        for yellow, red in (
            ("screening_yellow_days", "screening_red_days"),
            ("followup_yellow_days", "followup_red_days"),
            ("progress_yellow_points", "progress_red_points"),
        ):
            if getattr(t, yellow) > getattr(t, red):
                raise BadInput(
                    "warning_threshold_must_not_exceed", yellow=yellow, getattr=getattr(t, yellow), red=red,
                    getattr_2=getattr(t, red)
                )
        return t


SWITCHES: frozenset[str] = frozenset({"progress_by_day", "progress_ratio_rule"})


@dataclass(frozen=True)
class Reason:
    """Why a light is red or yellow, in both languages."""

    code: str
    color: str
    en: str
    zh: str

    def message(self, lang: str) -> str:
        return self.zh if _lang(lang) == "zh" else self.en


@dataclass(frozen=True)
class Light:
    """`color` is red, yellow, green, or None (final and paused stages have no light)."""

    color: str | None
    reasons: tuple[Reason, ...] = ()

    def messages(self, lang: str) -> list[str]:
        return [r.message(lang) for r in self.reasons]

    def json(self, lang: str = "en") -> dict:
        return {
            "light": self.color,
            "light_reasons": self.messages(lang),
            "reasons": [
                {"code": r.code, "color": r.color, "message": r.message(lang)} for r in self.reasons
            ],
        }


@dataclass(frozen=True)
class LightFacts:
    """What the lights need to know about one project."""

    stage: str
    stage_kind: str
    stage_since: date
    registered_on: date
    last_followup_on: date | None
    key: bool
    has_lead_leader: bool
    plan: dict = field(default_factory=dict)  # milestone -> planned date or None
    # open problems at the supervision ladder's red level or more: (id, text, level), by id
    problems: tuple[tuple[int, str, int], ...] = ()
    promised_on: date | None = None  # the next follow-up the latest follow-up promised, if any
    year_plan_minor: int | None = None  # the investment plan of the as-of date's year (CNY fen)
    year_done_minor: int = 0  # investment completed (CNY) from 1 January to the as-of date
    # a producing project's 履约 check of the last full year (``workflow.performance``): per kind
    # (kind, year, status, committed, actual, threshold pct, report deadline)
    performance: tuple = ()


def milestone_reached(stage: str, milestone: str) -> bool:
    """Whether a project in `stage` has reached the stage of `milestone`.

    Stages outside STAGE_ORDER (rejected, withdrawn, on_hold, custom ones) have reached nothing.
    """
    if milestone not in MILESTONE_STAGE:
        raise BadInput("unknown_milestone_known", milestone=milestone, milestones=list(MILESTONES))
    if stage not in STAGE_ORDER:
        return False
    return STAGE_ORDER.index(stage) >= STAGE_ORDER.index(MILESTONE_STAGE[milestone])


class Facts(Protocol):
    """What a light is computed from: a `LightFacts`, or any object with the same attributes (the
    reports' snapshot of a project on a date is one)."""

    @property
    def stage(self) -> str: ...
    @property
    def stage_kind(self) -> str: ...
    @property
    def stage_since(self) -> date: ...
    @property
    def registered_on(self) -> date: ...
    @property
    def last_followup_on(self) -> date | None: ...
    @property
    def key(self) -> bool: ...
    @property
    def has_lead_leader(self) -> bool: ...
    @property
    def plan(self) -> dict: ...
    @property
    def problems(self) -> tuple[tuple[int, str, int], ...]: ...
    @property
    def promised_on(self) -> date | None: ...
    @property
    def year_plan_minor(self) -> int | None: ...
    @property
    def year_done_minor(self) -> int: ...
    @property
    def performance(self) -> tuple: ...


# A rule that fired: (color, code, what its words need).  Decided without wording anything, so a
# caller that only needs the color (the reports' counts of red and yellow) never builds text.
Finding = tuple[str, str, tuple]

# The plan milestones with the position in STAGE_ORDER of the stage that fulfils each, and the
# codes of their two reasons.
_MILESTONE_RULES: tuple[tuple[str, int, str, str], ...] = tuple(
    (m, STAGE_ORDER.index(s), f"{m}_overdue", f"{m}_due") for m, s in MILESTONE_STAGE.items()
)
# per stage of STAGE_ORDER, the milestone rules whose stage it has not reached (a stage outside
# STAGE_ORDER has reached none: all of them)
_RULES_AHEAD: dict[str, tuple[tuple[str, int, str, str], ...]] = {
    s: tuple(r for r in _MILESTONE_RULES if pos < r[1]) for pos, s in enumerate(STAGE_ORDER)}
_MILESTONE_KEYS: frozenset[str] = frozenset(MILESTONE_STAGE)


def findings(facts: Facts, as_of: date, t: Thresholds, *, until_red: bool = False) -> list[Finding]:
    """Every rule that fires for an active project on `as_of`, in rule order (milestones in plan
    order, screening, signed, follow-up, planned progress, lead leader, escalated problems by id,
    a missed promised follow-up).  ``until_red``: only up to the first red one (what `light_color`
    needs: the light is red once one is)."""
    plan = facts.plan
    if plan and not _MILESTONE_KEYS.issuperset(plan):  # most projects plan nothing
        unknown = [m for m in plan if m not in MILESTONE_STAGE]
        raise ValueError(f"unknown plan milestone(s): {', '.join(sorted(unknown))}")
    out: list[Finding] = []
    stage = facts.stage

    # Planned milestones: passed (red) or due soon (yellow), while the stage is not reached.
    for milestone, _, overdue, due in _RULES_AHEAD.get(stage, _MILESTONE_RULES) if plan else ():
        planned = plan.get(milestone)
        if planned is None:
            continue
        left = (planned - as_of).days
        if left < 0:
            out.append((RED, overdue, (milestone, planned, left)))
            if until_red:
                return out
        elif left <= t.milestone_due_days:
            out.append((YELLOW, due, (milestone, planned, left)))

    # Too long in committee review.
    if stage == "screening":
        days = (as_of - facts.stage_since).days
        if days > t.screening_red_days:
            out.append((RED, "screening_too_long", (days, t.screening_red_days)))
            if until_red:
                return out
        elif days > t.screening_yellow_days:
            out.append((YELLOW, "screening_too_long", (days, t.screening_yellow_days)))

    # Signed but no capital: the first capital moves the project on to funding.
    elif stage == "signed":
        days = (as_of - facts.stage_since).days
        if days > t.signed_no_capital_red_days:
            out.append((RED, "signed_no_capital", (days, t.signed_no_capital_red_days)))
            if until_red:
                return out

    # No follow-up: from the last one, or from registration when there is none.
    last = facts.last_followup_on
    days = (as_of - (last if last is not None else facts.registered_on)).days
    if days > t.followup_red_days:
        out.append((RED, "no_followup", (days, t.followup_red_days, last is not None)))
        if until_red:
            return out
    elif days > t.followup_yellow_days:
        out.append((YELLOW, "no_followup", (days, t.followup_yellow_days, last is not None)))

    # Planned progress (序时进度): investment completed in the year against the year's plan.
    if facts.year_plan_minor:
        color = progress_color(facts.year_plan_minor, facts.year_done_minor, as_of, t)
        if color is not None:
            out.append((color, "progress_behind", (facts.year_plan_minor, facts.year_done_minor)))
            if until_red and color == RED:
                return out

    # One key project, one county-level leader.
    if facts.key and not facts.has_lead_leader:
        out.append((RED, "no_lead_leader", ()))
        if until_red:
            return out

    # Problems escalated up the supervision ladder (督办).
    for problem in facts.problems:
        out.append((RED, "problem_escalated", problem))
        if until_red:
            return out

    # A promised follow-up whose day has passed with no later follow-up.
    promised = facts.promised_on
    if promised is not None and promised < as_of:
        out.append((YELLOW, "promise_missed", (promised,)))
    return out


def performance_findings(performance: tuple) -> list[Finding]:
    """The 履约 rule of a producing project (docs/lights-and-reports.md, "履约"): a kind whose actual of
    the year is below the threshold share of its commitment is red; one with no actual reported by
    the deadline is yellow; met and not yet due are nothing."""
    out: list[Finding] = []
    for item in performance:
        status = item[2]
        if status == "below":
            out.append((RED, "performance_below", item))
        elif status == "no_report":
            out.append((YELLOW, "performance_no_report", item))
    return out


def _performance_light(facts: Facts, as_of: date, t: Thresholds, worded: bool) -> Light | str | None:
    """A final-stage project's light: only a producing project's 履约 findings give one."""
    found = performance_findings(getattr(facts, "performance", ()))
    if not found:
        return Light(None, ()) if worded else None
    color = RED if any(f[0] == RED for f in found) else YELLOW
    if not worded:
        return color
    red = [_word(f, as_of, t) for f in found if f[0] == RED]
    yellow = [_word(f, as_of, t) for f in found if f[0] != RED]
    return Light(color, tuple(red + yellow))


def _check_kind(kind: str) -> None:
    if kind not in STAGE_KINDS:
        raise ValueError(f"unknown stage kind {kind!r}; known: {', '.join(STAGE_KINDS)}")


def light_color(facts: Facts, as_of: date, thresholds: Thresholds = Thresholds()) -> str | None:
    """The color of `compute_light(facts, as_of, thresholds)`, decided by the same rules without
    wording any reason."""
    if facts.stage_kind != "active":
        _check_kind(facts.stage_kind)
        return _performance_light(facts, as_of, thresholds, False)  # type: ignore[return-value]
    found = findings(facts, as_of, thresholds, until_red=True)
    if not found:
        return GREEN
    return RED if found[-1][0] == RED else YELLOW  # the first red one ends them


def compute_light(facts: Facts, as_of: date, thresholds: Thresholds = Thresholds()) -> Light:
    """The light of one project on `as_of`, with every reason: red ones first, then yellow, each
    in a fixed order (milestones in plan order, screening, signed, follow-up, lead leader, escalated
    problems by id; then the yellow ones, a missed promised follow-up last)."""
    if facts.stage_kind != "active":
        _check_kind(facts.stage_kind)
        return _performance_light(facts, as_of, thresholds, True)  # type: ignore[return-value]
    found = findings(facts, as_of, thresholds)
    if not found:
        return Light(GREEN, ())
    red = [_word(f, as_of, thresholds) for f in found if f[0] == RED]
    yellow = [_word(f, as_of, thresholds) for f in found if f[0] != RED]
    return Light(RED if red else YELLOW, tuple(red + yellow))


def _word(finding: Finding, as_of: date, t: Thresholds) -> Reason:
    """The reason of a rule that fired, in both languages."""
    color, code, d = finding
    if code == "screening_too_long":
        days, limit = d
        return Reason(code, color, f"in screening for {days} days (more than {limit})",
                      f"审核中已{days}天（超过{limit}天）")
    if code == "signed_no_capital":
        days, limit = d
        return Reason(code, color, f"signed for {days} days with no capital in place (more than {limit})",
                      f"签约已{days}天，资金仍未到位（超过{limit}天）")
    if code == "no_followup":
        days, limit, any_followup = d
        if not any_followup:
            return Reason(code, color, f"no follow-up since registration {days} days ago (more than {limit})",
                          f"登记已{days}天，尚无跟进记录（超过{limit}天）")
        return Reason(code, color, f"no follow-up for {days} days (more than {limit})",
                      f"已{days}天未跟进（超过{limit}天）")
    if code == "progress_behind":
        reason = progress_reason(d[0], d[1], as_of, t)
        assert reason is not None  # the decision findings took, now worded
        return reason
    if code == "no_lead_leader":
        return Reason(code, color, "no lead leader for a key project", "重点项目未明确县级领导")
    if code == "problem_escalated":
        pid, text, level = d
        short = text if len(text) <= 40 else text[:39] + "…"
        return Reason(code, color, f"problem #{pid} ({short}) at supervision level {level}",
                      f"问题#{pid}（{short}）督办等级{level}级")
    if code in ("performance_below", "performance_no_report"):
        kind, year, _, committed, actual, pct, deadline = d
        en_kind, zh_kind = _PERFORMANCE_WORDS[kind]
        if code == "performance_no_report":
            return Reason(code, color, f"{en_kind} {year}: no actual reported by {deadline.isoformat()}",
                          f"{year}年{zh_kind}：截至{deadline.isoformat()}未报告实绩")
        share = _pct(actual * 100, committed) if committed else "-"
        return Reason(code, color, f"{en_kind} {year}: {_perf_value(kind, actual, False)} of "
                      f"{_perf_value(kind, committed, False)} committed ({share}, below {pct}%)",
                      f"{year}年{zh_kind}：完成{_perf_value(kind, actual, True)}，承诺"
                      f"{_perf_value(kind, committed, True)}（{share}，低于{pct}%）")
    if code == "promise_missed":
        day = d[0].isoformat()
        return Reason(code, color, f"promised follow-up on {day} not recorded", f"承诺{day}跟进，尚无记录")
    milestone, planned, left = d  # a planned milestone: overdue or due
    en_noun, en_not, zh_noun, zh_not = _MILESTONE_WORDS[milestone]
    when = planned.isoformat()
    if left < 0:
        return Reason(code, color, f"planned {en_noun} {when} passed, {en_not}",
                      f"计划{zh_noun}日期{when}已过，{zh_not}")
    if left == 0:
        return Reason(code, color, f"planned {en_noun} {when} is due today, {en_not}",
                      f"计划{zh_noun}日期{when}为今天，{zh_not}")
    unit = "day" if left == 1 else "days"
    return Reason(code, color, f"planned {en_noun} {when} is due in {left} {unit}, {en_not}",
                  f"距计划{zh_noun}日期{when}还有{left}天，{zh_not}")


_PERFORMANCE_WORDS = {"output_value": ("output value", "产值"), "tax": ("tax paid", "纳税额"),
                      "jobs": ("jobs", "就业人数"), "land_intensity": ("investment per mu", "亩均投资强度"),
                      "investment": ("investment", "投资")}


def _perf_value(kind: str, value: int, zh: bool) -> str:
    """A 履约 figure: people for jobs, else a CNY amount as narrow columns show it (per 亩 for land
    intensity)."""
    if kind == "jobs":
        return f"{value}人" if zh else f"{value} people"
    per = ("/亩" if zh else " per mu") if kind == "land_intensity" else ""
    return compact_money(value, "CNY", "zh" if zh else "en") + per


def _pct(numerator: int, denominator: int) -> str:
    """A share as a percentage with one decimal: the correctly rounded float of the exact quotient
    (what ``float(Fraction(numerator, denominator))`` gives), without loading ``fractions``."""
    return f"{numerator / denominator:.1f}%"


def progress_color(plan_minor: int, done_minor: int, as_of: date, t: Thresholds) -> str | None:
    """The color `progress_reason` gives (None when the project keeps pace), decided in exact
    integers: with time progress a/b and progress d/p, behind by points is
    100·(a·p − d·b) > limit·b·p, and the relative rule is 100·d·b < limit·p·a."""
    if plan_minor <= 0:
        return None
    done = max(done_minor, 0)
    a, b = _elapsed(as_of, t.progress_by_day)
    if t.progress_ratio_rule:
        if 100 * done * b < t.progress_red_ratio_pct * plan_minor * a:
            return RED
        if 100 * done * b < t.progress_yellow_ratio_pct * plan_minor * a:
            return YELLOW
        return None
    behind = 100 * (a * plan_minor - done * b)
    if behind > t.progress_red_points * b * plan_minor:
        return RED
    if behind > t.progress_yellow_points * b * plan_minor:
        return YELLOW
    return None


def _elapsed(as_of: date, by_day: int) -> tuple[int, int]:
    """Time progress of ``as_of`` as (numerator, denominator) (``workflow.progress``), kept per date."""
    key = (as_of, by_day)
    got = _ELAPSED.get(key)
    if got is None:
        from workflow.progress import elapsed_parts

        if len(_ELAPSED) > 64:
            _ELAPSED.clear()
        got = _ELAPSED[key] = elapsed_parts(as_of, by_day=bool(by_day))
    return got


_ELAPSED: dict[tuple[date, int], tuple[int, int]] = {}


def progress_reason(plan_minor: int, done_minor: int, as_of: date, t: Thresholds) -> Reason | None:
    """The planned-progress reason (red or yellow) of a project, or None when it keeps pace: the
    decision of `progress_color`, worded with the exact figures (each shown share is the correctly
    rounded quotient of exact integers)."""
    color = progress_color(plan_minor, done_minor, as_of, t)
    if color is None:
        return None
    done = max(done_minor, 0)
    a, b = _elapsed(as_of, t.progress_by_day)
    year = as_of.year
    head_en = (f"{_pct(100 * done, plan_minor)} of the {year} investment plan completed, "
               f"time progress {_pct(100 * a, b)}")
    head_zh = f"{year}年度计划投资完成{_pct(100 * done, plan_minor)}，序时进度{_pct(100 * a, b)}"
    if t.progress_ratio_rule:
        share = (100 * done * b) / (plan_minor * a)  # progress as a percentage of time progress
        limit = t.progress_red_ratio_pct if color == RED else t.progress_yellow_ratio_pct
        return Reason("progress_behind", color,
                      f"{head_en} ({share:.1f}% of time progress, below {limit}%)",
                      f"{head_zh}（为序时进度的{share:.1f}%，低于{limit}%）")
    behind = (100 * (a * plan_minor - done * b)) / (b * plan_minor)  # points
    limit = t.progress_red_points if color == RED else t.progress_yellow_points
    return Reason("progress_behind", color,
                  f"{head_en} ({behind:.1f} points behind, more than {limit})",
                  f"{head_zh}，落后{behind:.1f}个百分点（超过{limit}个百分点）")
