"""Yearly targets of the townships and departments (目标考核): set by an admin, read by everyone.

A target row holds up to four figures for one unit and year: projects signed (a count), capital in
place (CNY), actually used foreign capital (USD) and investment completed (CNY).  Setting a target
changes only the figures given; the others keep their values.  A figure of 0 means "no target".
"""

from __future__ import annotations

from sqlalchemy import insert, select, update

from workflow import clock, ledger
from workflow.errors import BadInput
from workflow.find import resolve_unit, unit_code
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
               investment=None) -> dict:
    """Create or change a unit's target for `year` (admin).  Money arguments are
    `workflow.money.Money` values; capital and investment must be CNY, foreign capital USD."""
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
    with service.engine.begin() as conn:
        service.require(conn, ("admin",), "set targets")
        unit = unit_code(conn, unit, "UNIT")  # a code or a name (workflow/find.py)
        values.update(set_by=service.actor, set_at=clock.utcnow())
        key = (TGT.c.unit_code == unit) & (TGT.c.year == year)
        if conn.execute(select(TGT.c.year).where(key)).first() is None:
            conn.execute(insert(TGT).values(unit_code=unit, year=year, **values))
        else:
            conn.execute(update(TGT).where(key).values(**values))
        row = conn.execute(select(TGT).where(key)).mappings().one()
        ledger.append(conn, service.actor, "target_set", f"{unit}/{year}",
                      {k: v for k, v in values.items() if k not in ("set_by", "set_at")})
    return target_json(row)


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


__all__ = ["FIELDS", "list_targets", "set_target", "target_json"]
