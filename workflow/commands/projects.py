"""Registering and editing projects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select

from workflow import rates
from workflow.catalogue import Message
from workflow.codes import project_code
from workflow.commands.assignments import assign_missing
from workflow.commands.common import check_on, check_stage_allows, jsonable
from workflow.definition import default_definition
from workflow.directory import unit_codes
from workflow.errors import BadInput, Duplicate, NotFound, Refused
from workflow.events import Edited, Registered, YearPlanSet
from workflow.find import unit_code
from workflow.rows import ProjectRow
from workflow.store import Txn
from workflow.tables import project as P
from workflow.tables import year_plan as YP
from workflow.text import fold
from workflow.values import PROJECT_TEXT_LIMITS, amount, currency, day, optional_text, required
from workflow.words import PLAN_FIELDS, milestone_key

KEY_THRESHOLD_MINOR = 100_000_000 * 100  # 100 million CNY in fen: key by default from here (docs/usage.md)
PROJECT_TEXT_FIELDS = ("name", "investor", "origin", "industry", "category")
EDITABLE = frozenset({*PROJECT_TEXT_FIELDS, "investment_minor", "unit", "key", "plan", "year_plan"})
YEAR_PLAN_SPAN = 30  # a yearly plan may lie at most this many years from the project's registration
_PLAN_SET = frozenset(PLAN_FIELDS)


def is_key(planned_minor: int, override: bool | None) -> bool:
    return bool(override) if override is not None else planned_minor >= KEY_THRESHOLD_MINOR


def check_plan(plan: Mapping[str, Any] | None) -> dict[str, date]:
    """Planned milestone dates by name (``sign``, ``fund``, ``break_ground``, ``commission``)."""
    if not plan:
        return {}
    if _PLAN_SET.issuperset(plan) and all(v.__class__ is date for v in plan.values()):
        return dict(plan)  # the usual case (an import row): known keys, dates

    plan = {k if k in _PLAN_SET else milestone_key(k): v for k, v in plan.items()}
    if not _PLAN_SET.issuperset(plan):
        unknown = set(plan) - _PLAN_SET
        raise BadInput("plan_unknown_milestone_use", unknown=list(sorted(unknown)),
                       plan_fields=[f'{k}=YYYY-MM-DD' for k in PLAN_FIELDS])
    return {k: v if v.__class__ is date else day(v, f"--plan {k}") for k, v in plan.items()}


def check_year_plans(plans: Mapping[Any, Any] | None, registered: date | None = None) -> dict[int, int]:
    """Yearly investment plans ``{year: amount in fen (CNY)}``: whole years within ``YEAR_PLAN_SPAN`` of
    the registration year (or 1900–9999), amounts ≥ 0 (0 clears a plan)."""
    out: dict[int, int] = {}
    for year, minor in (plans or {}).items():
        if isinstance(year, bool) or not isinstance(year, int):
            raise BadInput("year_plan_is_not", year=year)
        lo, hi = (1900, 9999) if registered is None else (registered.year - YEAR_PLAN_SPAN,
                                                           registered.year + YEAR_PLAN_SPAN)
        if not lo <= year <= hi:
            raise BadInput("year_plan_year_lies", year=year, lo=lo, hi=hi)
        out[year] = amount(minor, f"--year-plan {year}", positive=False)
    return out


def current_year_plans(txn: Txn, proj: ProjectRow) -> dict[int, int]:
    """The plans in force: the newest ``year_plan`` row of each year (none for a project being created)."""
    if proj.new:
        return {}

    out: dict[int, int] = {}
    for year, minor in txn.conn.execute(select(YP.c.year, YP.c.amount_minor).where(YP.c.project_id == proj.id)
                                        .order_by(YP.c.event_seq)):
        out[int(year)] = int(minor)
    return out


def set_year_plans(txn: Txn, proj: ProjectRow, plans: Mapping[int, int], on: date) -> int:
    """One ``year_plan`` event per year whose plan changes; returns how many."""
    known = current_year_plans(txn, proj)
    n = 0
    for year in sorted(plans):
        if known.get(year, 0) == plans[year]:
            continue
        txn.emit(proj, YearPlanSet(on=on, year=year, amount_minor=plans[year]))
        n += 1
    return n


def _text(value: Any, what: str) -> str | None:
    if value is None or (value.__class__ is str and len(value) <= PROJECT_TEXT_LIMITS[what] and value
                         and value.isprintable() and not value[0].isspace() and not value[-1].isspace()):
        return value  # printable and stripped: nothing optional_text would change or refuse
    return optional_text(value, f"--{what}", PROJECT_TEXT_LIMITS[what])  # refuses, naming the field


class ProjectFields(NamedTuple):
    """A new project's checked fields (``parse`` refuses bad values naming the field); immutable."""

    name: str
    investor: str | None
    origin: str | None
    industry: str | None
    category: str | None
    key_override: bool | None
    planned_investment_minor: int
    unit_code: str | None
    plan: tuple[date | None, date | None, date | None, date | None]
    # the currency the planned investment is given in; not CNY: ``register`` converts it at the rate of
    # the registration year (docs/money.md, "Exchange rates")
    planned_currency: str = "CNY"

    @classmethod
    def parse(cls, *, name: Any, investor: Any = None, industry: Any = None, investment_minor: Any = 0,
              unit: Any = None, origin: Any = None, category: Any = None, key: Any = None,
              plan: Mapping[str, Any] | None = None, investment_currency: Any = "CNY") -> ProjectFields:
        checked = check_plan(plan)
        name = required(name, "--name", PROJECT_TEXT_LIMITS["name"])
        investment = amount(investment_minor, "--investment", positive=False)
        if key is not None and not isinstance(key, bool):
            raise BadInput("key_must_be_yes")
        get = checked.get
        return cls(name, _text(investor, "investor"), _text(origin, "origin"), _text(industry, "industry"),
                   _text(category, "category"), key, investment, _text(unit, "unit"),
                   (get("sign"), get("fund"), get("break_ground"), get("commission")),
                   currency(investment_currency))


def in_cny(conn: Any, fields: ProjectFields, on: date) -> tuple[ProjectFields, tuple[int, str, str] | None]:
    """``fields`` with a planned investment given in another currency converted to CNY at the rate of
    the registration year (``on``), and (amount, currency, rate) as given; refused (exit 3) when the
    bureau has set no rate for that year and currency (docs/money.md, "Exchange rates")."""
    cur = fields.planned_currency
    if cur == "CNY":
        return fields, None
    rate = rates.rate_of(rates.read(conn), on.year, cur)
    if rate is None:
        raise Refused("rates_none_for_registration", [{"currency": cur, "year": on.year}], currency=cur,
                      year=on.year)
    cny = rates.to_cny(fields.planned_investment_minor, cur, rate)
    assert cny is not None
    return (fields._replace(planned_investment_minor=amount(cny, "--investment", positive=False),
                            planned_currency="CNY"), (fields.planned_investment_minor, cur, str(rate)))


def project_identity(name: Any, investor: Any) -> tuple[str, str]:
    """A project as duplicates are recognised: its name and investor folded (``workflow.text.fold``:
    full/half width, spaces, case).  The one rule of `project add`, `import` and the Python API
    (docs/import-export.md)."""
    return fold(name), fold(investor)


def open_projects() -> Any:
    """``(code, name, investor, stage)`` of every project not in a final stage, oldest first: the
    projects a new one may duplicate."""
    finals = [s.key for s in default_definition().stages if s.is_final]
    return select(P.c.code, P.c.name, P.c.investor, P.c.stage).where(P.c.stage.not_in(finals)).order_by(P.c.id)


def duplicate_message(code: str) -> Message:
    """What a refused import row says when it names the project ``code`` (its row or line is given apart)."""
    return Message("import_same_project_as", code=code)


def check_project_duplicate(txn: Txn, fields: ProjectFields) -> None:
    """No silent duplicates: a project not in a final stage with the same ``project_identity`` refuses
    the new one (Duplicate, exit 2), naming it."""
    wanted = project_identity(fields.name, fields.investor)
    for code, other_name, other_investor, stage in txn.conn.execute(open_projects()):
        if project_identity(other_name, other_investor) == wanted:
            raise Duplicate(
                "duplicate_project",
                [{"project": code, "name": other_name, "investor": other_investor, "stage": stage}], code=code,
                other_name=other_name, other_investor=other_investor, stage=stage)


def register(txn: Txn, fields: ProjectFields, on: date, *, units: set[str] | None = None,
             allow_duplicate: bool = False) -> ProjectRow:
    """A new project at the workflow's first stage, with the assignments the rules give it.

    ``units``: the unit codes that exist (a batch reads them once); else the unit is looked up.
    A project with the same name and investor as one not in a final stage is refused unless
    ``allow_duplicate`` (an import checks its rows as a whole first: ``workflow.bulk.import_projects``,
    ``workflow.io.check_rows``)."""
    if not allow_duplicate:
        check_project_duplicate(txn, fields)
    if fields.unit_code is not None:
        if units is None:  # one project: the unit by its code (any case) or its name

            fields = fields._replace(unit_code=unit_code(txn.conn, fields.unit_code, "--unit"))
        elif fields.unit_code not in units:
            raise NotFound("no_unit_unit_code", [{"unit": fields.unit_code}], unit_code=fields.unit_code)
    today = txn.today
    if on > today:
        raise BadInput("on_lies_in_future_today", on=on, today=today)
    fields, given = in_cny(txn.conn, fields, on)
    defn = default_definition()
    new_id = txn.next_project_id()
    key = is_key(fields.planned_investment_minor, fields.key_override)
    initial = defn.stages[0].key
    registered = Registered(
        on=on, stage=initial, name=fields.name, investor=fields.investor, origin=fields.origin,
        industry=fields.industry, category=fields.category, key=key,
        planned_investment_minor=fields.planned_investment_minor, unit_code=fields.unit_code,
        workflow_name=defn.name, workflow_version=defn.version, plan=fields.plan, planned_original=given)
    proj = txn.create(registered.new_row(new_id, project_code(new_id), key_override=fields.key_override,
                                         created_at=txn.recorded_at, new=True))
    txn.emit(proj, registered)
    assign_missing(txn, proj, on, None)
    return proj


def txn_units(txn: Txn) -> set[str]:
    """The unit codes, read once per transaction."""
    units = txn.cache.get("units")
    if units is None:
        units = txn.cache["units"] = unit_codes(txn.conn)
    return set(units)


def edit(txn: Txn, proj: ProjectRow, *, changes: Mapping[str, Any], on: date, reason: str | None = None) -> None:
    """Change a project's descriptive fields; one ``edited`` event lists old and new values, and
    the rules fill any role the new values call for."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise BadInput("cannot_edit", unknown=list(sorted(unknown)))
    new: dict[str, Any] = {}
    for f in PROJECT_TEXT_FIELDS:
        if f in changes:
            new[f] = (required(changes[f], "--name", PROJECT_TEXT_LIMITS["name"]) if f == "name"
                      else _text(changes[f], f))
    if "name" in new and len(new["name"]) > PROJECT_TEXT_LIMITS["name"]:
        raise BadInput("name_is_longer_than", name=PROJECT_TEXT_LIMITS['name'])
    if "unit" in changes:
        unit = _text(changes["unit"], "unit")
        if unit is not None and unit not in txn_units(txn):
            unit = unit_code(txn.conn, unit, "--unit")
        new["unit_code"] = unit
    if "investment_minor" in changes:
        new["planned_investment_minor"] = amount(changes["investment_minor"], "--investment", positive=False)
    if "key" in changes:
        if changes["key"] is not None and not isinstance(changes["key"], bool):
            raise BadInput("key_must_be_yes")
        new["key_override"] = changes["key"]
    for k, v in check_plan(changes.get("plan")).items():
        new[f"plan_{k}"] = v
    check_stage_allows(proj, "edit")
    year_plans = check_year_plans(changes.get("year_plan"), proj.registered_on)
    check_on(txn, proj, on, transition=False)
    before = {k: getattr(proj, k) for k in new}
    planned = new.get("planned_investment_minor", proj.planned_investment_minor)
    key = is_key(planned, new.get("key_override", proj.key_override))
    if key != proj.key:
        before["key"] = proj.key
        new["key"] = key
    diff = {k: (jsonable(before[k]), jsonable(new[k])) for k in new if before[k] != new[k]}
    planned = set_year_plans(txn, proj, year_plans, on) if year_plans else 0
    if not diff:
        if planned:
            return
        raise BadInput("nothing_to_change_on", code=proj.code)
    txn.emit(proj, Edited(on=on, changes=diff, values=new, why=reason))
    assign_missing(txn, proj, on, set(new))
