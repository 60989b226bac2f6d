"""Exchange rates per year (docs/money.md, "Exchange rates"): how many yuan one unit of a foreign
currency is worth in a year (``USD=7.12`` for 2025), set by the bureau.

Rates are governed settings under ``rates.`` (``rates.2025.USD``), one set-up ledger entry per change
through ``workflow.settings.record`` (admin, reason required), in force from 1 January of their year;
the latest entry for a year and currency is its rate.  ``read`` is the one reader, ``to_cny`` the one
conversion (exact integers, rounded half-up to the fen).  Reports state amounts per currency and,
where a rate is set, the amount converted at it with the rate stated (docs/lights-and-reports.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.engine import Connection, Engine

from workflow.access import ADMIN, require
from workflow.amounts import CURRENCIES, round_half_up
from workflow.errors import BadInput
from workflow.settings import RATES_PREFIX, in_force, need_reason, record

PREFIX = RATES_PREFIX
MAX_DECIMALS = 6
MAX_RATE = Decimal(10_000)
FIRST_YEAR, LAST_YEAR = 1000, 9999
_FAR = date(9999, 12, 31)


def foreign() -> tuple[str, ...]:
    """The currencies a rate can be set for (every known currency but the yuan)."""
    return tuple(c for c in CURRENCIES if c != "CNY")


def key(year: int, currency: str) -> str:
    return f"{PREFIX}{year}.{currency}"


def check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadInput("rates_bad_year", year=year)
    return year


def parse_rate(currency: str, text: str) -> Decimal:
    """``"7.12"`` -> Decimal('7.12'): a positive number with at most six decimals, below 10,000."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise BadInput("rates_bad_rate", currency=currency, value=text, places=MAX_DECIMALS) from None
    if (not value.is_finite() or value <= 0 or value >= MAX_RATE
            or -int(value.as_tuple().exponent) > MAX_DECIMALS):
        raise BadInput("rates_bad_rate", currency=currency, value=text, places=MAX_DECIMALS)
    return value.normalize() if value == value.to_integral_value() else value


def parse_args(items: Iterable[str] | None) -> dict[str, Decimal]:
    """``["USD=7.12"]`` -> ``{"USD": Decimal("7.12")}``; refuses bad forms, unknown currencies, CNY."""
    out: dict[str, Decimal] = {}
    for item in items or []:
        cur, sep, value = str(item).partition("=")
        cur = cur.strip().upper()
        if not sep or not cur or not value.strip():
            raise BadInput("rates_not_currency_rate", item=item)
        if cur not in foreign():
            raise BadInput("rates_unknown_currency", currency=cur, known=list(foreign()))
        out[cur] = parse_rate(cur, value)
    if not out:
        raise BadInput("rates_give_one")
    return out


def set_rates(engine: Engine, actor: str, year: int, rates: Mapping[str, Decimal], *,
              reason: str | None = None) -> dict[str, Decimal]:
    """Store ``year``'s rates (admin): one set-up ledger entry, in force from 1 January of the year.
    Returns the year's rates."""
    check_year(year)
    if not rates:
        raise BadInput("rates_give_one")
    why = need_reason(reason, "set exchange rates")
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "set exchange rates")
        record(conn, actor, "rates", {key(year, c): str(r) for c, r in rates.items()}, date(year, 1, 1), why)
        return read(conn).get(year, {})


def read(conn: Connection) -> dict[int, dict[str, Decimal]]:
    """THE reader: ``{year: {currency: rate}}`` of every rate set (the latest entry of each)."""
    out: dict[int, dict[str, Decimal]] = {}
    for k, (value, _, _) in in_force(conn, _FAR, PREFIX).items():
        year, _, cur = k[len(PREFIX):].partition(".")
        out.setdefault(int(year), {})[cur] = Decimal(value)
    return dict(sorted(out.items()))


def sources(conn: Connection) -> list[dict]:
    """Every rate set with its entry: ``[{"year", "currency", "rate", "entry"}]``, by year."""
    rows = []
    for k, (value, entry, _) in in_force(conn, _FAR, PREFIX).items():
        year, _, cur = k[len(PREFIX):].partition(".")
        rows.append({"year": int(year), "currency": cur, "rate": value, "entry": entry})
    return sorted(rows, key=lambda r: (r["year"], r["currency"]))


def to_cny(amount_minor: int, currency: str, rate: Decimal | None) -> int | None:
    """``amount_minor`` of ``currency`` in fen at ``rate`` (yuan per unit), rounded half-up, exactly;
    the amount itself for CNY; None without a rate."""
    if currency == "CNY":
        return int(amount_minor)
    if rate is None:
        return None
    num, den = Decimal(rate).as_integer_ratio()
    return round_half_up(int(amount_minor) * num, den)


def rate_of(rates: Mapping[int, Mapping[str, Decimal]], year: int, currency: str) -> Decimal | None:
    return rates.get(year, {}).get(currency)
