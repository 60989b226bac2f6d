"""The guard registry: named conditions a transition may require (docs/usage.md, "The workflow").

A workflow definition names its guards from this registry. Guards are pure functions of a
`GuardContext` (a snapshot of the project the service builds); `evaluate` runs every guard of a
transition and reports each result in English and Chinese, never stopping at the first failure,
because a refusal must name every guard that fails.

Plain guards: see `PLAIN_GUARDS`. Parametrized guards: ``document:<kind>`` (a document of that kind is
recorded) and ``check:<item>`` (the latest result of that screening check item is ``pass``).

Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from workflow.catalogue import Message, detail
from workflow.errors import BadInput

__all__ = [
    "GuardContext",
    "ProjectContext",
    "Context",
    "GuardResult",
    "PLAIN_GUARDS",
    "PARAMETRIZED_PREFIXES",
    "is_known_guard",
    "parse_guard",
    "evaluate",
    "all_hold",
    "failures",
    "known_guard_names",
]

_PARAM_RE = re.compile(r"^[a-z][a-z0-9_]*$")

PARAMETRIZED_PREFIXES = ("document", "check")


@dataclass(frozen=True)
class GuardContext:
    """What the guards may look at: a snapshot of one project, built by the service."""

    name: str | None = None
    investor: str | None = None
    industry: str | None = None
    unit: str | None = None
    planned_investment_minor: int = 0
    key: bool = False
    documents: frozenset[str] = frozenset()  # document kinds recorded
    checks: Mapping[str, str] = field(default_factory=dict)  # latest result per item: 'pass'|'fail'
    capital_minor: int = 0  # total capital in place, any currency
    has_lead_leader: bool = False
    reason: str | None = None


class ProjectContext:
    """The guard context of a project row and its guard facts as they stand now, each field read when
    a guard asks for it: what ``context_of`` copies into a `GuardContext` (the one place that says
    which column or fact each field is).  For a caller that judges the guards at once and keeps
    nothing, as the replay does for every transition in history (``all_hold`` and ``evaluate`` take
    either)."""

    __slots__ = ("project", "facts", "reason")

    def __init__(self, project: Any, facts: Any, reason: str | None = None):
        self.project = project
        self.facts = facts
        self.reason = reason

    @property
    def name(self) -> str | None:
        return self.project.name  # type: ignore[no-any-return]

    @property
    def investor(self) -> str | None:
        return self.project.investor  # type: ignore[no-any-return]

    @property
    def industry(self) -> str | None:
        return self.project.industry  # type: ignore[no-any-return]

    @property
    def unit(self) -> str | None:
        return self.project.unit_code  # type: ignore[no-any-return]

    @property
    def planned_investment_minor(self) -> int:
        return self.project.planned_investment_minor  # type: ignore[no-any-return]

    @property
    def key(self) -> bool:
        return bool(self.project.key)

    @property
    def documents(self) -> Collection[str]:
        return self.facts.documents  # type: ignore[no-any-return]

    @property
    def checks(self) -> Mapping[str, str]:
        return self.facts.checks  # type: ignore[no-any-return]

    @property
    def capital_minor(self) -> int:
        return self.facts.capital  # type: ignore[no-any-return]

    @property
    def has_lead_leader(self) -> bool:
        return bool(self.facts.holders.get("lead_leader"))


# What the guards read: a snapshot (``context_of``) or the project as it stands (`ProjectContext`).
Context = GuardContext | ProjectContext


def context_of(project: Any, facts: Any, reason: str | None = None,
               guards: Iterable[str] | None = None) -> GuardContext:
    """The guard context of a project row (``workflow.rows.ProjectRow``) and its guard facts
    (``workflow.events.Facts``: documents, checks, capital, leaders): a snapshot of `ProjectContext`.
    With ``guards`` given, only the parts of the facts those guards read are looked at (a single
    write then reads only those)."""
    now = ProjectContext(project, facts, reason)
    if guards is None:
        documents, checks, capital, lead = True, True, True, True
    else:
        names = tuple(guards)

        def needs(prefix: str) -> bool:
            return any(g == prefix or g.startswith(prefix + ":") for g in names)

        documents, checks = needs("document"), needs("check")
        capital, lead = needs("capital_in_place"), needs("key_has_lead_leader")
    return GuardContext(
        name=now.name, investor=now.investor, industry=now.industry, unit=now.unit,
        planned_investment_minor=now.planned_investment_minor, key=now.key,
        documents=frozenset(now.documents) if documents else frozenset(),
        checks=dict(now.checks) if checks else {},
        capital_minor=now.capital_minor if capital else 0,
        has_lead_leader=now.has_lead_leader if lead else False,
        reason=reason,
    )


@dataclass(frozen=True)
class GuardResult:
    """The outcome of one guard: whether it holds and, in both languages, what holds or is missing."""

    guard: str
    ok: bool
    said: Message  # what holds or is missing, by its code in the catalogue (workflow/catalogue/guards.toml)

    @property
    def message(self) -> str:
        return self.said.text("en")

    @property
    def message_zh(self) -> str:
        return self.said.text("zh")

    def text(self, lang: str = "en") -> str:
        return self.said.text(lang)

    def as_dict(self, lang: str = "en") -> dict:
        """A failed guard in a JSON error's `details` (docs/usage.md, "Output and errors"): its code and
        fields beside it."""
        return {"guard": self.guard, "message": self.text(lang), **self.said.json()}

    def detail(self) -> dict:
        """The failed guard as a detail of an error (rendered in the run's language when shown)."""
        return {"guard": self.guard, "message": self.said}


def _is_zh(lang: str | None) -> bool:
    return lang is not None and lang.lower().startswith("zh")


def _filled(value: str | None) -> bool:
    return value is not None and str(value).strip() != ""


# --- plain guards ------------------------------------------------------------------------------


# Each guard's condition, once: ``evaluate`` words its result, ``all_hold`` only asks whether it holds.
PLAIN_HOLDS: dict[str, Callable[[Context], bool]] = {
    "has_name": lambda ctx: _filled(ctx.name),
    "has_investor": lambda ctx: _filled(ctx.investor),
    "has_industry": lambda ctx: _filled(ctx.industry),
    "has_unit": lambda ctx: _filled(ctx.unit),
    "has_planned_investment": lambda ctx: (ctx.planned_investment_minor or 0) > 0,
    "key_has_lead_leader": lambda ctx: not ctx.key or ctx.has_lead_leader,
    "capital_in_place": lambda ctx: (ctx.capital_minor or 0) > 0,
    "reason_given": lambda ctx: _filled(ctx.reason),
}


def _field_guard(name: str, en: str) -> Callable[[str, Context], GuardResult]:
    holds = PLAIN_HOLDS[name]

    def check(guard: str, ctx: Context) -> GuardResult:
        if holds(ctx):
            return GuardResult(guard, True, Message("guard_field_set", field=en))
        return GuardResult(guard, False, Message("guard_field_missing", field=en))

    return check


def _has_planned_investment(guard: str, ctx: Context) -> GuardResult:
    if PLAIN_HOLDS["has_planned_investment"](ctx):
        return GuardResult(guard, True, Message("guard_planned_investment_ok"))
    return GuardResult(guard, False, Message("guard_planned_investment_missing"))


def _key_has_lead_leader(guard: str, ctx: Context) -> GuardResult:
    if not PLAIN_HOLDS["key_has_lead_leader"](ctx):
        return GuardResult(guard, False, Message("guard_key_needs_lead_leader"))
    if not ctx.key:
        return GuardResult(guard, True, Message("guard_not_key"))
    return GuardResult(guard, True, Message("guard_key_has_lead_leader"))


def _capital_in_place(guard: str, ctx: Context) -> GuardResult:
    if PLAIN_HOLDS["capital_in_place"](ctx):
        return GuardResult(guard, True, Message("guard_capital_ok"))
    return GuardResult(guard, False, Message("guard_capital_missing"))


def _reason_given(guard: str, ctx: Context) -> GuardResult:
    if PLAIN_HOLDS["reason_given"](ctx):
        return GuardResult(guard, True, Message("guard_reason_given"))
    return GuardResult(guard, False, Message("guard_reason_missing"))


PLAIN_GUARDS: dict[str, Callable[[str, Context], GuardResult]] = {
    "has_name": _field_guard("has_name", "name"),
    "has_investor": _field_guard("has_investor", "investor"),
    "has_industry": _field_guard("has_industry", "industry"),
    "has_unit": _field_guard("has_unit", "responsible unit"),
    "has_planned_investment": _has_planned_investment,
    "key_has_lead_leader": _key_has_lead_leader,
    "capital_in_place": _capital_in_place,
    "reason_given": _reason_given,
}


# --- parametrized guards -----------------------------------------------------------------------


def _document_holds(kind: str, ctx: Context) -> bool:
    return kind in ctx.documents


def _check_holds(item: str, ctx: Context) -> bool:
    return (ctx.checks or {}).get(item) == "pass"


def _said(code: str, zh_label: str | None, **fields: object) -> Message:
    """The message ``code`` of a document or check guard, naming the kind's label when there is one."""
    if zh_label:
        return Message(f"{code}_labelled", label=zh_label, **fields)
    return Message(code, **fields)


def _document(guard: str, kind: str, ctx: Context, zh_label: str | None) -> GuardResult:
    if _document_holds(kind, ctx):
        return GuardResult(guard, True, _said("guard_document_recorded", zh_label, kind=kind))
    return GuardResult(guard, False, _said("guard_document_missing", zh_label, kind=kind))


def _check(guard: str, item: str, ctx: Context, zh_label: str | None) -> GuardResult:
    result = (ctx.checks or {}).get(item)
    if _check_holds(item, ctx):
        return GuardResult(guard, True, _said("guard_check_passed", zh_label, item=item))
    if result is None:
        return GuardResult(guard, False, _said("guard_check_not_recorded", zh_label, item=item))
    if result == "fail":
        return GuardResult(guard, False, _said("guard_check_failed", zh_label, item=item))
    return GuardResult(guard, False, _said("guard_check_result", zh_label, item=item, result=str(result)))


def parse_guard(name: str) -> tuple[str, str | None]:
    """Split a guard name into (base, parameter): 'document:eia' -> ('document', 'eia')."""
    if not isinstance(name, str):
        return ("", None)
    base, sep, param = name.partition(":")
    return (base, param) if sep else (base, None)


def is_known_guard(name: str) -> bool:
    """True for a registered plain guard, or 'document:<kind>' / 'check:<item>' with a well-formed key.

    Whether the kind or item is declared is the definition's business (the loader checks it).
    """
    base, param = parse_guard(name)
    if param is None:
        return base in PLAIN_GUARDS
    return base in PARAMETRIZED_PREFIXES and bool(_PARAM_RE.match(param))


@lru_cache(maxsize=1024)
def _parsed(name: str) -> tuple[bool, str, str | None]:
    """``(is_known_guard(name), *parse_guard(name))``, worked out once per name (a definition names a
    few dozen; verify evaluates them for every transition in history)."""
    return (is_known_guard(name), *parse_guard(name))


def _known(name: str) -> tuple[str, str | None]:
    """``parse_guard(name)`` of a known guard; BadInput naming the known ones otherwise."""
    try:
        known, base, param = _parsed(name)
    except TypeError:  # an unhashable name
        known, base, param = False, "", None
    if not known:
        raise BadInput("unknown_guard", [detail("known_guards", field="guard", names=known_guard_names())],
                       name=name)
    return base, param


def evaluate(
    guard_names: Iterable[str],
    ctx: Context,
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> list[GuardResult]:
    """Evaluate every guard, in order, never stopping at the first failure.

    `labels` optionally maps a parametrized guard ('document:eia', 'check:environment') to its
    (en, zh) labels, so messages can say "document eia (环评) is recorded";
    `WorkflowDefinition.guard_labels` provides it. An unknown guard name raises `BadInput`.
    """
    labels = labels or {}
    results: list[GuardResult] = []
    for name in guard_names:
        base, param = _known(name)
        if param is None:
            results.append(PLAIN_GUARDS[base](name, ctx))
            continue
        zh_label = labels.get(name, (None, None))[1]
        if base == "document":
            results.append(_document(name, param, ctx, zh_label))
        else:
            results.append(_check(name, param, ctx, zh_label))
    return results


def all_hold(guard_names: Iterable[str], ctx: Context) -> bool:
    """Whether every guard holds: what ``evaluate`` finds, without wording each result (verify asks
    this for every transition in history, and words only a guard that fails).  An unknown guard name
    raises ``BadInput`` as in ``evaluate``."""
    for name in guard_names:
        try:
            holds, param = _condition(name)
        except TypeError:  # an unhashable name
            _known(name)  # raises BadInput
            raise
        if not (holds(ctx) if param is None else holds(param, ctx)):
            return False
    return True


@lru_cache(maxsize=1024)
def _condition(name: str) -> tuple[Callable[..., bool], str | None]:
    """How ``all_hold`` judges guard ``name``, worked out once per name: its condition and the
    parameter it takes (None: a plain guard's, which takes the context alone); BadInput for an
    unknown name (``_known``)."""
    base, param = _known(name)
    if param is None:
        return PLAIN_HOLDS[base], None
    return (_document_holds if base == "document" else _check_holds), param


def failures(results: Iterable[GuardResult]) -> list[GuardResult]:
    """The results that did not hold."""
    return [r for r in results if not r.ok]


def known_guard_names() -> list[str]:
    """Registered guard names, for messages and `workflow show`."""
    return [*PLAIN_GUARDS, *(f"{p}:<key>" for p in PARAMETRIZED_PREFIXES)]
