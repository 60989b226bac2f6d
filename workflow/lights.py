"""Traffic lights (红黄绿灯, SPEC §5): a pure function of a project's facts and an as-of date.

The same facts and date always give the same light and the same reasons, in the same order.
"More than N days" means `(as_of - date).days > N`. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date

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

    @classmethod
    def from_mapping(cls, m: Mapping[str, object] | None) -> Thresholds:
        """Defaults overridden by `m`; unknown keys, non-integers, negatives and a yellow limit
        above its red limit raise BadInput."""
        m = dict(m or {})
        known = [f.name for f in fields(cls)]
        unknown = sorted(k for k in m if k not in known)
        if unknown:
            raise BadInput(
                f"unknown warning threshold(s): {', '.join(map(str, unknown))}; "
                f"known: {', '.join(known)}"
            )
        for key, value in m.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadInput(
                    f"warning threshold {key} must be a whole number, not {value!r}"
                )
            if value < 0:
                raise BadInput(f"warning threshold {key} must not be negative, got {value}")
            if key in SWITCHES and value not in (0, 1):
                raise BadInput(f"warning threshold {key} is a switch: 0 or 1, not {value}")
        t = cls(**m)  # type: ignore[arg-type]
        if t.progress_red_ratio_pct > t.progress_yellow_ratio_pct:
            raise BadInput(
                f"warning threshold progress_red_ratio_pct ({t.progress_red_ratio_pct}) must not exceed "
                f"progress_yellow_ratio_pct ({t.progress_yellow_ratio_pct})"
            )
        for yellow, red in (
            ("screening_yellow_days", "screening_red_days"),
            ("followup_yellow_days", "followup_red_days"),
            ("progress_yellow_points", "progress_red_points"),
        ):
            if getattr(t, yellow) > getattr(t, red):
                raise BadInput(
                    f"warning threshold {yellow} ({getattr(t, yellow)}) must not exceed "
                    f"{red} ({getattr(t, red)})"
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


def milestone_reached(stage: str, milestone: str) -> bool:
    """Whether a project in `stage` has reached the stage of `milestone`.

    Stages outside STAGE_ORDER (rejected, withdrawn, on_hold, custom ones) have reached nothing.
    """
    if milestone not in MILESTONE_STAGE:
        raise BadInput(f"unknown milestone {milestone!r}; known: {', '.join(MILESTONES)}")
    if stage not in STAGE_ORDER:
        return False
    return STAGE_ORDER.index(stage) >= STAGE_ORDER.index(MILESTONE_STAGE[milestone])


def _days(as_of: date, since: date) -> int:
    return (as_of - since).days


def compute_light(facts: LightFacts, as_of: date, thresholds: Thresholds = Thresholds()) -> Light:
    """The light of one project on `as_of`, with every reason: red ones first, then yellow, each
    in a fixed order (milestones in plan order, screening, signed, follow-up, lead leader, escalated
    problems by id; then the yellow ones, a missed promised follow-up last)."""
    if facts.stage_kind not in STAGE_KINDS:
        raise ValueError(
            f"unknown stage kind {facts.stage_kind!r}; known: {', '.join(STAGE_KINDS)}"
        )
    if facts.stage_kind != "active":
        return Light(None, ())
    unknown = sorted(set(facts.plan) - set(MILESTONES))
    if unknown:
        raise ValueError(f"unknown plan milestone(s): {', '.join(unknown)}")

    t = thresholds
    red: list[Reason] = []
    yellow: list[Reason] = []

    # Planned milestones: passed (red) or due soon (yellow), while the stage is not reached.
    for milestone in MILESTONES:
        planned = facts.plan.get(milestone)
        if planned is None or milestone_reached(facts.stage, milestone):
            continue
        en_noun, en_not, zh_noun, zh_not = _MILESTONE_WORDS[milestone]
        left = (planned - as_of).days
        if left < 0:
            red.append(
                Reason(
                    f"{milestone}_overdue",
                    RED,
                    f"planned {en_noun} {planned.isoformat()} passed, {en_not}",
                    f"计划{zh_noun}日期{planned.isoformat()}已过，{zh_not}",
                )
            )
        elif left <= t.milestone_due_days:
            if left == 0:
                en = f"planned {en_noun} {planned.isoformat()} is due today, {en_not}"
                zh = f"计划{zh_noun}日期{planned.isoformat()}为今天，{zh_not}"
            else:
                unit = "day" if left == 1 else "days"
                en = f"planned {en_noun} {planned.isoformat()} is due in {left} {unit}, {en_not}"
                zh = f"距计划{zh_noun}日期{planned.isoformat()}还有{left}天，{zh_not}"
            yellow.append(Reason(f"{milestone}_due", YELLOW, en, zh))

    # Too long in committee review.
    if facts.stage == "screening":
        days = _days(as_of, facts.stage_since)
        for color, limit, bucket in (
            (RED, t.screening_red_days, red),
            (YELLOW, t.screening_yellow_days, yellow),
        ):
            if days > limit:
                bucket.append(
                    Reason(
                        "screening_too_long",
                        color,
                        f"in screening for {days} days (more than {limit})",
                        f"审核中已{days}天（超过{limit}天）",
                    )
                )
                break

    # Signed but no capital: the first capital moves the project on to funding.
    if facts.stage == "signed":
        days = _days(as_of, facts.stage_since)
        limit = t.signed_no_capital_red_days
        if days > limit:
            red.append(
                Reason(
                    "signed_no_capital",
                    RED,
                    f"signed for {days} days with no capital in place (more than {limit})",
                    f"签约已{days}天，资金仍未到位（超过{limit}天）",
                )
            )

    # No follow-up: from the last one, or from registration when there is none.
    since = facts.last_followup_on if facts.last_followup_on is not None else facts.registered_on
    days = _days(as_of, since)
    for color, limit, bucket in (
        (RED, t.followup_red_days, red),
        (YELLOW, t.followup_yellow_days, yellow),
    ):
        if days > limit:
            if facts.last_followup_on is None:
                en = f"no follow-up since registration {days} days ago (more than {limit})"
                zh = f"登记已{days}天，尚无跟进记录（超过{limit}天）"
            else:
                en = f"no follow-up for {days} days (more than {limit})"
                zh = f"已{days}天未跟进（超过{limit}天）"
            bucket.append(Reason("no_followup", color, en, zh))
            break

    # Planned progress (序时进度): investment completed in the year against the year's plan.
    if facts.year_plan_minor:
        reason = progress_reason(facts.year_plan_minor, facts.year_done_minor, as_of, t)
        if reason is not None:
            (red if reason.color == RED else yellow).append(reason)

    # One key project, one county-level leader.
    if facts.key and not facts.has_lead_leader:
        red.append(
            Reason(
                "no_lead_leader", RED, "no lead leader for a key project", "重点项目未明确县级领导"
            )
        )

    # Problems escalated up the supervision ladder (督办).
    for pid, text, level in facts.problems:
        short = text if len(text) <= 40 else text[:39] + "…"
        red.append(Reason("problem_escalated", RED, f"problem #{pid} ({short}) at supervision level {level}",
                          f"问题#{pid}（{short}）督办等级{level}级"))

    # A promised follow-up whose day has passed with no later follow-up.
    if facts.promised_on is not None and facts.promised_on < as_of:
        day = facts.promised_on.isoformat()
        yellow.append(Reason("promise_missed", YELLOW, f"promised follow-up on {day} not recorded",
                             f"承诺{day}跟进，尚无记录"))

    reasons = tuple(red + yellow)
    color = RED if red else YELLOW if yellow else GREEN
    return Light(color, reasons)


def _pct(x) -> str:
    return f"{float(x * 100):.1f}%"


def progress_reason(plan_minor: int, done_minor: int, as_of: date, t: Thresholds) -> Reason | None:
    """The planned-progress reason (red or yellow) of a project, or None when it keeps pace."""
    from workflow.progress import plan_progress, time_progress

    progress = plan_progress(done_minor, plan_minor)
    if progress is None:
        return None
    elapsed = time_progress(as_of, by_day=bool(t.progress_by_day))
    behind = (elapsed - progress) * 100  # points, exact
    year = as_of.year
    head_en = f"{_pct(progress)} of the {year} investment plan completed, time progress {_pct(elapsed)}"
    head_zh = f"{year}年度计划投资完成{_pct(progress)}，序时进度{_pct(elapsed)}"
    if t.progress_ratio_rule:
        share = progress / elapsed * 100  # progress as a percentage of time progress
        for color, limit in ((RED, t.progress_red_ratio_pct), (YELLOW, t.progress_yellow_ratio_pct)):
            if share < limit:
                return Reason("progress_behind", color,
                              f"{head_en} ({float(share):.1f}% of time progress, below {limit}%)",
                              f"{head_zh}（为序时进度的{float(share):.1f}%，低于{limit}%）")
        return None
    for color, limit in ((RED, t.progress_red_points), (YELLOW, t.progress_yellow_points)):
        if behind > limit:
            return Reason("progress_behind", color,
                          f"{head_en} ({float(behind):.1f} points behind, more than {limit})",
                          f"{head_zh}，落后{float(behind):.1f}个百分点（超过{limit}个百分点）")
    return None
