"""Yearly targets of the townships and departments (目标考核): set by an admin, read by everyone.

A target row holds up to four figures for one unit and year: projects signed (a count), capital in
place (CNY), actually used foreign capital (USD) and investment completed (CNY).  Setting a target
changes only the figures given; the others keep their values.  A figure of 0 means "no target".

Every setting of a target is a set-up ledger entry ``target_set`` (``workflow.setup_rows``) with its
reason (required) and the date it takes effect (``--from``; by default a unit's first target of a
year is in force for the whole year, from 1 January, and a change from today): a report as of a date
uses the targets in force that day (:func:`in_force`; docs/audit.md).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from workflow import clock, setup_rows
from workflow.errors import BadInput
from workflow.find import resolve_unit, unit_code
from workflow.settings import need_reason
from workflow.tables import target as TGT
from workflow.tables import unit as U

# option -> (column, currency or None for a count)
FIELDS: dict[str, tuple[str, str | None]] = {
    "signed": ("signed", None),
    "capital": ("capital_minor", "CNY"),
    "foreign": ("foreign_minor", "USD"),
    "investment": ("investment_minor", "CNY"),
}


def _check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise BadInput("year_is_not_year", year=year)
    return year


def target_json(row) -> dict:
    doc = {"unit": row["unit_code"], "year": row["year"]}
    for name, (col, currency) in FIELDS.items():
        v = row[col]
        if v is None:
            doc[name] = None
        elif currency is None:
            doc[name] = int(v)
        else:
            doc[name] = {"amount_minor": int(v), "currency": currency}
    doc["set_by"] = row["set_by"]
    at = row["set_at"]
    doc["set_at"] = at.isoformat() if hasattr(at, "isoformat") else str(at)
    return doc


def set_target(service, unit: str, year: int, *, signed: int | None = None, capital=None, foreign=None,
               investment=None, reason: str | None = None, effective_on: date | None = None) -> dict:
    """Create or change a unit's target for `year` (admin), in force from ``effective_on`` (default:
    1 January of ``year`` for the unit's first target of the year, else today), saying why
    (``reason``, required).  Money arguments are `workflow.money.Money` values; capital and
    investment must be CNY, foreign capital USD."""
    year = _check_year(year)
    values: dict = {}
    if signed is not None:
        if isinstance(signed, bool) or not isinstance(signed, int) or signed < 0:
            raise BadInput("signed_is_not_count", signed=signed)
        values["signed"] = signed
    for name, money in (("capital", capital), ("foreign", foreign), ("investment", investment)):
        if money is None:
            continue
        col, currency = FIELDS[name]
        assert currency is not None  # the money fields have one
        if money.currency != currency:
            hint = {"CNY": "e.g. 9亿 or 5600万元", "USD": "e.g. 4179万美元 or USD 1,000,000"}[currency]
            raise BadInput("target_is_in_got", name=name, currency=currency, money_currency=money.currency, hint=hint)
        values[col] = money.amount_minor
    if not values:
        raise BadInput("nothing_to_set_give")
    why = need_reason(reason, "set targets")
    with service.engine.begin() as conn:
        service.require(conn, ("admin",), "set targets")
        unit = unit_code(conn, unit, "UNIT")  # a code or a name (workflow/find.py)
        key = (TGT.c.unit_code == unit) & (TGT.c.year == year)
        if effective_on is None:  # a unit's first target of a year: the whole year; a change: from today
            first = conn.execute(select(TGT.c.year).where(key)).first() is None
            effective_on = date(year, 1, 1) if first else clock.today()
        entry = setup_rows.write(conn, service.actor, "target", {"unit_code": unit, "year": year}, values,
                                 reason=why, effective_on=effective_on)
        row = conn.execute(select(TGT).where(key)).mappings().one()
    return target_json(row) | {"effective_on": entry["payload"]["effective_on"], "reason": why}


def in_force(conn, years, as_of: date | None = None, unit: str | None = None) -> list[dict]:
    """The target rows of ``years`` (and ``unit``) in force on ``as_of`` (default: today), as the set-up
    ledger dates them (one query): ``{"unit_code", "year", <figure columns>}`` each."""
    wanted = set(years)
    out = []
    for (code, year), row in sorted(setup_rows.in_force(conn, "target", as_of).items()):
        if year in wanted and (unit is None or code == unit):
            out.append({"unit_code": code, "year": year, **row})
    return out


def list_targets(service, *, year: int | None = None, unit: str | None = None) -> list[dict]:
    """Targets by year (newest first) and unit; anyone may read them."""
    unit = resolve_unit(service.engine, unit)
    q = (select(TGT, U.c.name.label("unit_name")).select_from(TGT.join(U, U.c.code == TGT.c.unit_code))
         .order_by(TGT.c.year.desc(), TGT.c.unit_code))
    if year is not None:
        q = q.where(TGT.c.year == _check_year(year))
    if unit is not None:
        q = q.where(TGT.c.unit_code == unit)
    with service.engine.connect() as conn:
        return [target_json(r) | {"unit_name": r["unit_name"]} for r in conn.execute(q).mappings()]


def current_year() -> int:
    return clock.today().year


__all__ = ["FIELDS", "in_force", "list_targets", "set_target", "target_json"]
