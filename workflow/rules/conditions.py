"""Conditions: the assignment roles, a project's facts, a rule's conditions and how they match."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow.encoding import canonical
from workflow.errors import BadInput
from workflow.money import format_money
from workflow.values import NAME_LIMIT, clean

ASSIGNMENT_ROLES = ("lead_leader", "first_responsible", "team_member")
SINGLE_ROLES = ("lead_leader", "first_responsible")
LIST_CONDITIONS = ("categories", "industries", "units", "origins")
CONDITION_NAMES = ("key", *LIST_CONDITIONS, "min_investment", "max_investment")
# Project columns a condition reads: a change to any of them re-evaluates the project's rules.
CONDITION_FIELDS = frozenset({"key", "key_override", "category", "industry", "unit_code", "origin",
                              "planned_investment_minor"})
# The project attribute each list condition reads.
LIST_FIELD = {"categories": "category", "industries": "industry", "units": "unit", "origins": "origin"}
COUNTED_KINDS = ("active", "paused")  # a lead leader's slot is taken until the project is final


def _norm(value: str | None, exact: bool = False) -> str | None:
    """The comparison form of a text value: codes exactly, other text case- and space-insensitive."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    return text if exact else text.casefold()


def _is_exact(name: str) -> bool:
    return name == "units"


# --- conditions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What conditions read of a project."""

    key: bool
    category: str | None = None
    industry: str | None = None
    unit: str | None = None
    origin: str | None = None
    planned_investment_minor: int = 0

    @classmethod
    def of(cls, row: Any) -> Facts:
        get = row.get if isinstance(row, Mapping) else (lambda k: getattr(row, k))
        return cls(key=bool(get("key")), category=get("category"), industry=get("industry"),
                   unit=get("unit_code"), origin=get("origin"),
                   planned_investment_minor=int(get("planned_investment_minor") or 0))


@dataclass(frozen=True)
class ConditionResult:
    condition: str
    ok: bool
    expected: Any
    actual: Any
    text: str
    text_zh: str

    def as_dict(self) -> dict:
        return {"condition": self.condition, "ok": self.ok, "expected": self.expected, "actual": self.actual,
                "text": self.text, "text_zh": self.text_zh}


def _money(minor: int, lang: str) -> str:
    return format_money(minor, "CNY", lang)


@dataclass(frozen=True)
class Conditions:
    """A rule's conditions; ``None`` means "not a condition".  All given conditions must hold."""

    key: bool | None = None
    categories: tuple[str, ...] | None = None
    industries: tuple[str, ...] | None = None
    units: tuple[str, ...] | None = None
    origins: tuple[str, ...] | None = None
    min_investment_minor: int | None = None
    max_investment_minor: int | None = None

    # -- construction and storage --

    @classmethod
    def build(cls, *, key: bool | None = None, categories: Iterable[str] | None = None,
              industries: Iterable[str] | None = None, units: Iterable[str] | None = None,
              origins: Iterable[str] | None = None, min_investment_minor: int | None = None,
              max_investment_minor: int | None = None) -> Conditions:
        """Validated conditions from user input (lists stripped and de-duplicated, order kept)."""
        lists = {}
        for name, values in (("categories", categories), ("industries", industries), ("units", units),
                             ("origins", origins)):
            lists[name] = _clean_list(name, values)
        for name, value in (("--min-investment", min_investment_minor), ("--max-investment", max_investment_minor)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise BadInput("must_be_amount_of", name=name)
        return cls(key=key, min_investment_minor=min_investment_minor, max_investment_minor=max_investment_minor,
                   **lists)

    @classmethod
    def from_dict(cls, data: Mapping) -> Conditions:
        def tup(name):
            v = data.get(name)
            return tuple(v) if v is not None else None

        return cls(key=data.get("key"), categories=tup("categories"), industries=tup("industries"),
                   units=tup("units"), origins=tup("origins"),
                   min_investment_minor=data.get("min_investment_minor"),
                   max_investment_minor=data.get("max_investment_minor"))

    @classmethod
    def from_text(cls, text: str) -> Conditions:
        return cls.from_dict(json.loads(text) if text else {})

    def as_dict(self) -> dict:
        out: dict[str, Any] = {}
        if self.key is not None:
            out["key"] = self.key
        for name in LIST_CONDITIONS:
            v = getattr(self, name)
            if v is not None:
                out[name] = list(v)
        if self.min_investment_minor is not None:
            out["min_investment_minor"] = self.min_investment_minor
        if self.max_investment_minor is not None:
            out["max_investment_minor"] = self.max_investment_minor
        return out

    def text(self) -> str:
        """The stored form: canonical JSON (RFC 8785)."""
        return canonical(self.as_dict()).decode("utf-8")

    def merged(self, changes: Mapping[str, Any], clear: Iterable[str]) -> Conditions:
        """These conditions with ``changes`` applied (same names as ``build``) and ``clear`` removed."""
        data: dict[str, Any] = {f: getattr(self, f) for f in self.__dataclass_fields__}
        for name in clear:
            if name not in CONDITION_NAMES:
                raise BadInput("clear_is_not_one", name=name, condition_names=list(CONDITION_NAMES))
            data[name + "_minor" if name.endswith("investment") else name] = None
        data.update(changes)
        return Conditions.build(**data)

    # -- evaluation --

    @property
    def impossible(self) -> bool:
        lo, hi = self.min_investment_minor, self.max_investment_minor
        return lo is not None and hi is not None and lo > hi

    def __post_init__(self) -> None:
        # The comparison forms of the list conditions, computed once (not a dataclass field).
        sets = {name: frozenset(_norm(w, _is_exact(name)) for w in getattr(self, name))
                for name in LIST_CONDITIONS if getattr(self, name) is not None}
        object.__setattr__(self, "_sets", sets)

    def _list_ok(self, name: str, value: str | None) -> bool:
        wanted = self.__dict__["_sets"].get(name)  # set by __post_init__ (not a field)
        if wanted is None:
            return True
        v = _norm(value, _is_exact(name))
        return v is not None and v in wanted

    def matches(self, facts: Facts) -> bool:
        if self.key is not None and self.key != facts.key:
            return False
        for name in LIST_CONDITIONS:
            if not self._list_ok(name, getattr(facts, LIST_FIELD[name])):
                return False
        inv = facts.planned_investment_minor
        if self.min_investment_minor is not None and inv < self.min_investment_minor:
            return False
        return not (self.max_investment_minor is not None and inv > self.max_investment_minor)

    def check(self, facts: Facts) -> list[ConditionResult]:
        """Each condition with its result on ``facts`` (for ``rules explain``)."""
        out = []
        if self.key is not None:
            ok = self.key == facts.key
            want_en, want_zh = ("a key project", "重点项目") if self.key else ("not a key project", "非重点项目")
            is_en = "key" if facts.key else "not key"
            is_zh = "是重点项目" if facts.key else "不是重点项目"
            out.append(ConditionResult("key", ok, self.key, facts.key, f"{want_en} (project is {is_en})",
                                       f"{want_zh}（本项目{is_zh}）"))
        labels = {"categories": ("category", "类别"), "industries": ("industry", "行业"),
                  "units": ("unit", "责任单位"), "origins": ("origin", "投资方来源")}
        for name in LIST_CONDITIONS:
            wanted = getattr(self, name)
            if wanted is None:
                continue
            actual = getattr(facts, LIST_FIELD[name])
            ok = self._list_ok(name, actual)
            en, zh = labels[name]
            shown = actual if actual is not None else "(none)"
            shown_zh = actual if actual is not None else "（空）"
            out.append(ConditionResult(
                name, ok, list(wanted), actual,
                f"{en} in [{', '.join(wanted)}] (project: {shown})",
                f"{zh}属于［{'、'.join(wanted)}］（本项目：{shown_zh}）"))
        inv = facts.planned_investment_minor
        bounds = (("min_investment", self.min_investment_minor), ("max_investment", self.max_investment_minor))
        for name, bound in bounds:
            if bound is None:
                continue
            ok = inv >= bound if name == "min_investment" else inv <= bound
            op = "≥" if name == "min_investment" else "≤"
            out.append(ConditionResult(
                name, ok, {"amount_minor": bound, "currency": "CNY"}, {"amount_minor": inv, "currency": "CNY"},
                f"planned investment {op} {_money(bound, 'en')} (project: {_money(inv, 'en')})",
                f"计划总投资{op}{_money(bound, 'zh')}（本项目：{_money(inv, 'zh')}）"))
        return out

    def overlaps(self, other: Conditions) -> bool:
        """Whether some project could match both."""
        if self.impossible or other.impossible:
            return False
        if self.key is not None and other.key is not None and self.key != other.key:
            return False
        for name in LIST_CONDITIONS:
            a, b = getattr(self, name), getattr(other, name)
            if a is not None and b is not None:
                exact = _is_exact(name)
                if not {_norm(x, exact) for x in a} & {_norm(x, exact) for x in b}:
                    return False
        lows = [v for v in (self.min_investment_minor, other.min_investment_minor) if v is not None]
        highs = [v for v in (self.max_investment_minor, other.max_investment_minor) if v is not None]
        return not (lows and highs and max(lows) > min(highs))

    def describe(self, lang: str = "en") -> str:
        """A short human text: ``key; industry: mining, energy; investment ≥ CNY 100,000,000.00``."""
        zh = lang.lower().startswith("zh")
        parts = []
        if self.key is not None:
            parts.append(("重点项目" if self.key else "非重点项目") if zh else ("key" if self.key else "not key"))
        names = {"categories": ("category", "类别"), "industries": ("industry", "行业"), "units": ("unit", "单位"),
                 "origins": ("origin", "来源")}
        for name in LIST_CONDITIONS:
            v = getattr(self, name)
            if v is not None:
                en, zh_name = names[name]
                parts.append(f"{zh_name}：{'、'.join(v)}" if zh else f"{en}: {', '.join(v)}")
        if self.min_investment_minor is not None:
            parts.append(f"{'投资' if zh else 'investment'} ≥ {_money(self.min_investment_minor, lang)}")
        if self.max_investment_minor is not None:
            parts.append(f"{'投资' if zh else 'investment'} ≤ {_money(self.max_investment_minor, lang)}")
        if not parts:
            return "所有项目" if zh else "every project"
        return ("；" if zh else "; ").join(parts)


def _clean_list(name: str, values: Iterable[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    out: list[str] = []
    seen = set()
    for v in values:
        text = " ".join(str(v).split())
        if not text:
            raise BadInput("empty_value_is_not", name=name)
        if len(text) > NAME_LIMIT:
            raise BadInput("is_longer_than_characters", name=name, name_limit=NAME_LIMIT)
        clean(text, f"--{name}")
        k = _norm(text, _is_exact(name))
        if k not in seen:
            seen.add(k)
            out.append(text)
    if not out:
        return None
    return tuple(out)
