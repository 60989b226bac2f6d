"""``pipeline capital list`` and ``pipeline investment list`` (docs/money.md): the tranches of a
project, a unit or a period, newest first, with the total per currency; as a table, JSON, csv, md or
xlsx (the shared ``--format``/``--output`` of cli/options.py, written by cli/output.py)."""

from __future__ import annotations

from pathlib import Path

from cli.context import STATE, emit_json, say
from cli.options import LIST_FORMATS
from cli.output import check_format, open_output, write_csv, write_markdown
from workflow.amounts import YUAN, format_money, format_units
from workflow.catalogue import Message
from workflow.i18n import t
from workflow.periods import parse_period


def tranche_list(kind: str, code: str | None, unit: str | None, period: str | None, json: bool,
                 fmt: str | None, output: Path | None) -> None:
    from cli.render import capital_source  # output only: not loaded by the commands that print none

    check_format(fmt, LIST_FORMATS, output)
    lang = STATE.lang
    found = STATE.service(write=False).list_tranches(
        kind, code=code, unit=unit, period=parse_period(period, lang=lang) if period is not None else None)
    if json:
        emit_json(found)
        return
    rows = found["tranches"]
    capital = kind == "capital"
    if fmt is not None:
        headers = [t(c, lang) for c in ("col_code", "col_project", "col_date", "col_amount", "col_currency")]
        headers += [t("col_source", lang)] if capital else []
        cells = [[r["code"], r["name"], r["date"],
                  format_units(r["amount"]["amount_minor"], YUAN, grouped=False), r["amount"]["currency"],
                  *([capital_source(r["source"], lang)] if capital else [])] for r in rows]
        if fmt == "xlsx":
            from datetime import date

            from workflow.io.writing import write_xlsx

            assert output is not None  # check_format
            write_xlsx(output, headers, [[*c[:2], date.fromisoformat(c[2]), *c[3:]] for c in cells],
                       title=t(f"sec_{kind}", lang), money_columns=(3,))
        else:
            with open_output(output) as sink:
                if fmt == "csv":
                    write_csv(sink, headers, cells)
                else:
                    write_markdown(sink, headers, cells, t(f"sec_{kind}", lang))
    elif rows:
        from cli.render import print_rows

        headers = [t(c, lang) for c in ("col_code", "col_project", "col_date", "col_amount")]
        headers += [t("col_source", lang)] if capital else []
        print_rows(headers, [(r["code"], r["name"], r["date"],
                              format_money(r["amount"]["amount_minor"], r["amount"]["currency"], lang),
                              *([capital_source(r["source"], lang)] if capital else [])) for r in rows],
                   title=t(f"sec_{kind}", lang))
    if not rows:
        say(Message("tranches_none"))
        return
    say(Message("tranches_count", n=len(rows)))
    for total in found["totals"]:
        say(Message("tranches_total", amount=total))
