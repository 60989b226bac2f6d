"""Exchange rates per year (docs/money.md, "Exchange rates"): `pipeline rates set YEAR CUR=RATE --reason`,
`pipeline rates show [--year]`.  The rules are ``workflow/rates.py``; this module parses and prints."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import STATE, emit_json, say
from cli.options import JsonFlag, group
from cli.params import YEAR_MAX, YEAR_MIN
from workflow.catalogue import Message

rates_app = group("Exchange rates per year (汇率): how many yuan one US dollar is worth in a year.")


def _rates_doc(conn, year: int | None) -> dict:
    from workflow import rates

    rows = [r for r in rates.sources(conn) if year is None or r["year"] == year]
    return {"rates": rows}


@rates_app.command("set")
def rates_set(year: int = typer.Argument(..., metavar="YEAR", min=YEAR_MIN, max=YEAR_MAX, help="The year, e.g. 2025."),
              values: list[str] = typer.Argument(..., metavar="CUR=RATE",
                                                 help="Yuan per unit of the currency, e.g. USD=7.12."),
              reason: Annotated[str | None, typer.Option(
                  "--reason", help="Why (required; kept in the set-up ledger).")] = None,
              json: JsonFlag = False) -> None:
    """Set a year's exchange rates (admin): reports convert that year's amounts at them and state the
    rate; a planned investment in that currency registered that year is valued at it.  One set-up
    ledger entry."""
    from workflow import rates

    parsed = rates.parse_args(values)
    svc = STATE.service()
    stored = rates.set_rates(svc.engine, svc.actor, rates.check_year(year), parsed, reason=reason)
    if json:
        emit_json({"year": year, "rates": {c: str(r) for c, r in stored.items()}})
    else:
        say(Message("rates_stored", year=year, listed=", ".join(f"{c}={r}" for c, r in parsed.items())))


@rates_app.command("show")
def rates_show(year: Annotated[int | None, typer.Option("--year", min=YEAR_MIN, max=YEAR_MAX,
                                                      help="Only this year.")] = None,
               json: JsonFlag = False) -> None:
    """The exchange rates set, per year and currency, with the ledger entry that set each."""
    from cli.render import print_rows
    from workflow import rates
    from workflow.i18n import t

    svc = STATE.service(write=False)
    if year is not None:
        rates.check_year(year)
    with svc.engine.connect() as conn:
        doc = _rates_doc(conn, year)
    if json:
        emit_json(doc)
        return
    if not doc["rates"]:
        say(Message("rates_none_set"))
        return
    lang = STATE.lang
    print_rows([t(c, lang) for c in ("col_year", "currency_h", "col_rate_cny", "col_entry")],
               [(r["year"], r["currency"], r["rate"], r["entry"]) for r in doc["rates"]])


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app."""
    app.add_typer(rates_app, name="rates")
